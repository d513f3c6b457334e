//! DSNs and the three ways a Sentry client presents its project key.
//!
//! A DSN has the form `http://PUBLIC_KEY@HOST:PORT/PROJECT_ID` (a secret after the key, and a
//! path before the project id, are allowed and ignored). A client presents the key in the
//! `X-Sentry-Auth` header (`Sentry sentry_key=…, sentry_version=7`), in the `sentry_key` query
//! parameter, or in the `dsn` of an envelope's header.

use std::fmt;

/// A project's DSN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dsn {
    /// `http` or `https`.
    pub scheme: String,
    /// The project's public key.
    pub public_key: String,
    /// Host, with the port if any (`desk.example.com:3000`).
    pub authority: String,
    /// The project id.
    pub project_id: String,
}

impl fmt::Display for Dsn {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}://{}@{}/{}",
            self.scheme, self.public_key, self.authority, self.project_id
        )
    }
}

/// Whether text can be a key or project id: short, and only letters, digits, `-` and `_`.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

impl Dsn {
    /// Parses a DSN; `None` when it does not have the Sentry form.
    pub fn parse(text: &str) -> Option<Dsn> {
        let (scheme, rest) = text.trim().split_once("://")?;
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let (credentials, location) = rest.split_once('@')?;
        let public_key = credentials.split(':').next()?;
        let (authority, path) = location.split_once('/')?;
        let project_id = path.trim_end_matches('/').rsplit('/').next()?;
        (is_token(public_key) && !authority.is_empty() && is_token(project_id)).then(|| Dsn {
            scheme: scheme.to_string(),
            public_key: public_key.to_string(),
            authority: authority.to_string(),
            project_id: project_id.to_string(),
        })
    }
}

/// The key in an `X-Sentry-Auth` (or `Authorization: Sentry …`) header.
pub fn key_from_auth_header(value: &str) -> Option<String> {
    let value = value.trim();
    let fields = value
        .get(..7)
        .filter(|prefix| prefix.eq_ignore_ascii_case("sentry "))
        .map(|_| &value[7..])?;
    fields
        .split(',')
        .filter_map(|field| field.trim().split_once('='))
        .find(|(name, _)| name.trim() == "sentry_key")
        .map(|(_, key)| key.trim().to_string())
        .filter(|key| is_token(key))
}

/// The `sentry_key` parameter of a query string.
pub fn key_from_query(query: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "sentry_key")
        .map(|(_, key)| key.to_string())
        .filter(|key| is_token(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsns_parse_and_print_in_the_sentry_form() {
        let dsn = Dsn::parse("http://0123abcd@127.0.0.1:3000/7").unwrap();
        assert_eq!(dsn.public_key, "0123abcd");
        assert_eq!(dsn.authority, "127.0.0.1:3000");
        assert_eq!(dsn.project_id, "7");
        assert_eq!(dsn.to_string(), "http://0123abcd@127.0.0.1:3000/7");
        let legacy = Dsn::parse("https://key:secret@o1.ingest.example.com/prefix/42/").unwrap();
        assert_eq!(
            (legacy.public_key.as_str(), legacy.project_id.as_str()),
            ("key", "42")
        );
        for bad in [
            "",
            "ftp://k@h/1",
            "http://h/1",
            "http://k@h",
            "http://k@/1",
            "http://k y@h/1",
            "http://k@h/",
        ] {
            assert_eq!(Dsn::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn keys_come_from_the_auth_header_or_the_query() {
        assert_eq!(
            key_from_auth_header(
                "Sentry sentry_version=7, sentry_client=sentry.python/2.0, sentry_key=abc123"
            ),
            Some("abc123".into())
        );
        assert_eq!(
            key_from_auth_header("sentry sentry_key=abc"),
            Some("abc".into())
        );
        assert_eq!(key_from_auth_header("Bearer abc"), None);
        assert_eq!(key_from_auth_header("Sentry sentry_version=7"), None);
        assert_eq!(key_from_auth_header("Sentry sentry_key=a b"), None);
        assert_eq!(
            key_from_query("sentry_version=7&sentry_key=abc"),
            Some("abc".into())
        );
        assert_eq!(key_from_query("sentry_key="), None);
        assert_eq!(key_from_query("key=abc"), None);
    }
}
