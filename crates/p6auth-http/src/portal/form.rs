//! A submitted form, with repeated fields kept (checkbox lists): axum's `Form` into pairs.

use axum::extract::Form;

pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn new(Form(pairs): Form<Vec<(String, String)>>) -> Self {
        Self(pairs)
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every non-empty value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// The non-empty lines of a textarea.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_and_textarea_lines_are_kept() {
        let pairs = [
            ("csrf_token", "t"),
            ("sets", "A"),
            ("sets", " "),
            ("sets", "B"),
            ("permissions", "users=read\r\n\r\n  orgs=read  \n"),
        ];
        let f = Fields::new(Form(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ));
        assert_eq!(f.get("csrf_token"), "t");
        assert_eq!(f.get("missing"), "");
        assert_eq!(f.all("sets"), ["A", "B"]);
        assert_eq!(f.lines("permissions"), ["users=read", "orgs=read"]);
        assert!(f.checked("sets") && !f.checked("enabled"));
    }
}
