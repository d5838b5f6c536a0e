//! Client authentication input (RFC 6749 §2.3.1) and the parsing of form-encoded requests.

use crate::oauth_error::OAuthError;
use crate::secret::PlainSecret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The largest accepted value of one parameter, in bytes after decoding.
/// (Large enough for the biggest access token this server issues, which `token` carries.)
pub const MAX_PARAM_LEN: usize = 48 * 1024;

/// Decoded `application/x-www-form-urlencoded` parameters, in order, with duplicates kept so that
/// a repeated parameter can be refused.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FormParams(Vec<(String, String)>);

impl FormParams {
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut params = Vec::new();
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let name = form_urldecode(name).ok_or_else(|| {
                OAuthError::invalid_request("the form body is not valid form-urlencoded UTF-8")
            })?;
            let value = form_urldecode(value).ok_or_else(|| {
                OAuthError::invalid_request(format!(
                    "parameter {name} is not valid form-urlencoded UTF-8"
                ))
            })?;
            if value.len() > MAX_PARAM_LEN {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {name} is longer than {MAX_PARAM_LEN} bytes"
                )));
            }
            params.push((name, value));
        }
        Ok(Self(params))
    }

    /// The value of `name`. A parameter sent without a value counts as omitted (RFC 6749 §3.1);
    /// one sent twice is an error (§3.2).
    pub fn single(&self, name: &str) -> Result<Option<&str>, OAuthError> {
        let mut found = None;
        for (n, v) in &self.0 {
            if n == name {
                if found.is_some() {
                    return Err(OAuthError::invalid_request(format!(
                        "parameter {name} is repeated"
                    )));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found.filter(|v| !v.is_empty()))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }
}

/// Decodes one form-urlencoded component: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn form_urldecode(input: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input.get(i + 1..i + 3)?;
                let text = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `client_secret_basic`
    Basic,
    /// `client_secret_post`
    Post,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: PlainSecret,
    pub method: AuthMethod,
}

/// Finds the client's credentials in the `Authorization` header or the form body.
///
/// Returns the method that was attempted alongside any error, so that the HTTP layer can answer
/// 401 with `WWW-Authenticate` when Basic was tried.
pub fn extract_credentials(
    authorization: Option<&str>,
    form: &FormParams,
) -> Result<ClientCredentials, (OAuthError, Option<AuthMethod>)> {
    let in_body = form.contains("client_secret");
    let body_id = form.single("client_id").map_err(|e| (e, None))?;
    let body_secret = form.single("client_secret").map_err(|e| (e, None))?;
    match authorization {
        Some(header) => {
            // RFC 6749 §5.2: a client that tried the Authorization header gets invalid_client
            let creds = parse_basic(header).map_err(|e| (e, Some(AuthMethod::Basic)))?;
            if in_body {
                let e = OAuthError::invalid_request(
                    "the client authenticated with both HTTP Basic and client_secret in the body; use one",
                );
                return Err((e, Some(AuthMethod::Basic)));
            }
            if body_id.is_some_and(|id| id != creds.client_id) {
                let e = OAuthError::invalid_request("client_id in the body differs from the one in HTTP Basic");
                return Err((e, Some(AuthMethod::Basic)));
            }
            Ok(creds)
        }
        None => match (body_id, body_secret) {
            (Some(id), Some(secret)) => Ok(ClientCredentials {
                client_id: id.to_string(),
                secret: PlainSecret::new(secret.to_string()),
                method: AuthMethod::Post,
            }),
            (Some(_), None) => Err((
                OAuthError::InvalidClient("client_secret is missing".into()),
                Some(AuthMethod::Post),
            )),
            // RFC 6749 §5.2: "no client authentication included" is invalid_client
            _ => Err((
                OAuthError::InvalidClient(
                    "client authentication is missing: send client_id and client_secret, or HTTP Basic".into(),
                ),
                None,
            )),
        },
    }
}

/// Parses `Basic base64(urlencode(id):urlencode(secret))`; the scheme is case-insensitive, the
/// credentials are split at the first ':' and both halves are form-urldecoded.
fn parse_basic(header: &str) -> Result<ClientCredentials, OAuthError> {
    let bad = |why: &str| {
        OAuthError::InvalidClient(format!("malformed HTTP Basic credentials: {why}").into())
    };
    let (scheme, rest) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("expected 'Basic <credentials>'"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::InvalidClient(
            "unsupported Authorization scheme; use Basic, or send client_id and client_secret in the body".into(),
        ));
    }
    let decoded = STANDARD
        .decode(rest.trim())
        .map_err(|_| bad("not valid base64"))?;
    let text = String::from_utf8(decoded).map_err(|_| bad("not UTF-8"))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| bad("no ':' between id and secret"))?;
    let id = form_urldecode(id.as_bytes()).ok_or_else(|| bad("bad percent-encoding in the id"))?;
    let secret = form_urldecode(secret.as_bytes())
        .ok_or_else(|| bad("bad percent-encoding in the secret"))?;
    if id.is_empty() || secret.is_empty() {
        return Err(bad("empty id or secret"));
    }
    Ok(ClientCredentials {
        client_id: id,
        secret: PlainSecret::new(secret),
        method: AuthMethod::Basic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(s: &str) -> FormParams {
        FormParams::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn decodes_plus_and_percent() {
        let f = form("scope=a+b%20c&x=%2B");
        assert_eq!(f.single("scope").unwrap(), Some("a b c"));
        assert_eq!(f.single("x").unwrap(), Some("+"));
        assert!(FormParams::parse(b"a=%zz").is_err());
        assert!(FormParams::parse(b"a=%ff").is_err());
        assert!(FormParams::parse(b"a=%4").is_err());
    }

    #[test]
    fn empty_counts_as_omitted_and_repeats_are_refused() {
        let f = form("scope=&a=1&a=2");
        assert_eq!(f.single("scope").unwrap(), None);
        assert_eq!(
            f.single("a").unwrap_err().description(),
            "parameter a is repeated"
        );
    }

    #[test]
    fn basic_is_case_insensitive_split_at_first_colon_and_urldecoded() {
        let header = format!("bAsIc {}", STANDARD.encode("my%3Aid:se%3Acret:x"));
        let c = extract_credentials(Some(&header), &form("grant_type=client_credentials")).unwrap();
        assert_eq!(c.client_id, "my:id");
        assert_eq!(c.secret.expose(), "se:cret:x");
        assert_eq!(c.method, AuthMethod::Basic);
    }

    #[test]
    fn two_methods_is_invalid_request() {
        let header = format!("Basic {}", STANDARD.encode("id:s"));
        let (e, m) =
            extract_credentials(Some(&header), &form("client_id=id&client_secret=s")).unwrap_err();
        assert_eq!(e.code(), "invalid_request");
        assert_eq!(m, Some(AuthMethod::Basic));
    }

    #[test]
    fn body_credentials() {
        let c = extract_credentials(None, &form("client_id=a&client_secret=b")).unwrap();
        assert_eq!(
            (c.client_id.as_str(), c.secret.expose(), c.method),
            ("a", "b", AuthMethod::Post)
        );
        let (e, _) = extract_credentials(None, &form("grant_type=x")).unwrap_err();
        assert_eq!(
            e.code(),
            "invalid_client",
            "no client authentication included (RFC 6749 §5.2)"
        );
        let (e, _) = extract_credentials(None, &form("client_id=a")).unwrap_err();
        assert_eq!(e.code(), "invalid_client");
    }

    #[test]
    fn a_bad_authorization_header_is_invalid_client() {
        for header in ["Bearer abc", "Basic", "Basic !!!", "Basic YWJj"] {
            let (e, m) = extract_credentials(Some(header), &form("client_secret=s")).unwrap_err();
            assert_eq!(
                (e.code(), m),
                ("invalid_client", Some(AuthMethod::Basic)),
                "{header}"
            );
        }
    }
}
