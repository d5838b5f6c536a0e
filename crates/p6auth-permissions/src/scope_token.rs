//! Permissions as OAuth scope tokens (RFC 6749 §3.3).
//!
//! A scope token is `1*( %x21 / %x23-5B / %x5D-7E )`: printable ASCII
//! without space, `"` or `\`. A permission's token is its canonical display
//! form with every byte outside that set, and `%` itself, written as `%XX`
//! (uppercase hex) — so non-ASCII values are encoded byte by byte as UTF-8.

use crate::{ParseError, Permission};

/// Whether `b` may appear unencoded in a token produced by
/// [`Permission::to_scope_token`].
fn is_token_byte(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E) && b != b'%'
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl Permission {
    /// The scope token for this permission: the percent-encoded canonical
    /// display form.
    ///
    /// ```
    /// use p6auth_permissions::Permission;
    ///
    /// let p: Permission = "reports=read('Report 1')".parse().unwrap();
    /// assert_eq!(p.to_scope_token(), "reports=read('Report%201')");
    ///
    /// let p: Permission = r#"users=read("O'Brien")"#.parse().unwrap();
    /// assert_eq!(p.to_string(), r"users=read('O\'Brien')");
    /// assert_eq!(p.to_scope_token(), "users=read('O%5C'Brien')");
    /// ```
    pub fn to_scope_token(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let display = self.to_string();
        let mut token = String::with_capacity(display.len());
        for &b in display.as_bytes() {
            if is_token_byte(b) {
                token.push(char::from(b));
            } else {
                token.push('%');
                token.push(char::from(HEX[usize::from(b >> 4)]));
                token.push(char::from(HEX[usize::from(b & 0x0F)]));
            }
        }
        token
    }

    /// Decodes a scope token made by [`Permission::to_scope_token`] and
    /// parses it.
    ///
    /// The token must consist of scope-token characters only. Decoding
    /// errors (a `%` not followed by two hex digits, a character not allowed
    /// in a scope token, bytes that are not UTF-8) are reported at their
    /// position in the token; grammar errors are reported at their position
    /// in the *decoded* text. Lowercase hex digits are accepted.
    ///
    /// ```
    /// use p6auth_permissions::Permission;
    ///
    /// let p = Permission::from_scope_token("acme:reports=read('Report%201')").unwrap();
    /// assert_eq!(p.to_string(), "acme:reports=read('Report 1')");
    ///
    /// let err = Permission::from_scope_token("orgs=read('%G1')").unwrap_err();
    /// assert_eq!(err.to_string(), "at position 11: invalid percent escape");
    /// ```
    pub fn from_scope_token(token: &str) -> Result<Permission, ParseError> {
        let decoded = percent_decode(token)?;
        crate::parse(&decoded)
    }
}

/// Percent-decodes `token`, checking that it only has scope-token
/// characters (plus `%` escapes) and that the result is UTF-8.
fn percent_decode(token: &str) -> Result<String, ParseError> {
    let mut bytes = Vec::with_capacity(token.len());
    // For each decoded byte, the char offset in `token` it came from.
    let mut origin = Vec::with_capacity(token.len());
    let chars: Vec<char> = token.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c == '%' {
            let hi = chars.get(i + 1).and_then(|&h| u8::try_from(h).ok());
            let lo = chars.get(i + 2).and_then(|&l| u8::try_from(l).ok());
            match (hi.and_then(hex_digit), lo.and_then(hex_digit)) {
                (Some(hi), Some(lo)) => {
                    bytes.push(hi << 4 | lo);
                    origin.push(i);
                    i += 3;
                }
                _ => return Err(ParseError::new(i, "invalid percent escape")),
            }
        } else {
            match u8::try_from(c) {
                Ok(b) if is_token_byte(b) => {
                    bytes.push(b);
                    origin.push(i);
                    i += 1;
                }
                _ => {
                    return Err(ParseError::new(
                        i,
                        format!("character {} is not allowed in a scope token", describe(c)),
                    ));
                }
            }
        }
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = origin
            .get(e.utf8_error().valid_up_to())
            .copied()
            .unwrap_or(0);
        ParseError::new(at, "percent-decoded token is not valid UTF-8")
    })
}

/// A character as an OAuth error description can carry it (RFC 6749 §5.2 allows neither `"` nor
/// `\` nor anything outside printable ASCII): quoted when it is printable, else its code point.
fn describe(c: char) -> String {
    match c {
        ' ' => "U+0020 (space)".into(),
        '"' => "U+0022 (double quote)".into(),
        '\\' => "U+005C (backslash)".into(),
        c if c.is_ascii_graphic() => format!("'{c}'"),
        c => format!("U+{:04X}", c as u32),
    }
}
