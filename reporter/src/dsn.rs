//! The DSN: where reports go and the key that lets them in, `http://PUBLIC_KEY@HOST:PORT/PROJECT_ID`.

use std::fmt;

/// A parsed DSN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dsn {
    text: String,
    scheme: String,
    public_key: String,
    host_and_port: String,
    path_prefix: String,
    project_id: u64,
}

/// Why a DSN could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsnError(String);

impl fmt::Display for DsnError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "invalid DSN: {}", self.0)
    }
}

impl std::error::Error for DsnError {}

impl Dsn {
    /// Reads `scheme://PUBLIC_KEY[:SECRET]@HOST[:PORT][/PATH]/PROJECT_ID`.
    pub fn parse(text: &str) -> Result<Dsn, DsnError> {
        let text = text.trim();
        let error = |reason: &str| DsnError(reason.to_string());
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| error("it has no scheme (http:// or https://)"))?;
        if scheme != "http" && scheme != "https" {
            return Err(error("the scheme must be http or https"));
        }
        let (credentials, location) = rest
            .split_once('@')
            .ok_or_else(|| error("it has no public key before an @"))?;
        let public_key = credentials.split(':').next().unwrap_or_default();
        if public_key.is_empty() {
            return Err(error("the public key is empty"));
        }
        let (host_and_port, path) = location.split_once('/').unwrap_or((location, ""));
        if host_and_port.is_empty() {
            return Err(error("the host is empty"));
        }
        let path = path.trim_end_matches('/');
        let (path_prefix, project) = match path.rsplit_once('/') {
            Some((prefix, project)) => (format!("/{prefix}"), project),
            None => (String::new(), path),
        };
        let project_id = project
            .parse::<u64>()
            .map_err(|_| error("it does not end with a numeric project id"))?;
        Ok(Dsn {
            text: text.to_string(),
            scheme: scheme.to_string(),
            public_key: public_key.to_string(),
            host_and_port: host_and_port.to_string(),
            path_prefix,
            project_id,
        })
    }

    /// The project's public key.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The project's id.
    pub fn project_id(&self) -> u64 {
        self.project_id
    }

    /// Where envelopes are posted.
    pub fn envelope_url(&self) -> String {
        format!(
            "{}://{}{}/api/{}/envelope/",
            self.scheme, self.host_and_port, self.path_prefix, self.project_id
        )
    }

    /// The `X-Sentry-Auth` header naming the key.
    pub fn auth_header(&self) -> String {
        format!(
            "Sentry sentry_version=7, sentry_client=reporter/{}, sentry_key={}",
            env!("CARGO_PKG_VERSION"),
            self.public_key
        )
    }
}

impl fmt::Display for Dsn {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dsn_names_the_envelope_endpoint_and_the_key() {
        let dsn = Dsn::parse("http://abc123@127.0.0.1:3000/7").unwrap();
        assert_eq!(dsn.public_key(), "abc123");
        assert_eq!(dsn.project_id(), 7);
        assert_eq!(dsn.envelope_url(), "http://127.0.0.1:3000/api/7/envelope/");
        assert!(dsn.auth_header().contains("sentry_key=abc123"));
    }

    #[test]
    fn a_dsn_behind_a_path_keeps_the_path() {
        let dsn = Dsn::parse("https://key:secret@help.example.com/desk/12").unwrap();
        assert_eq!(
            dsn.envelope_url(),
            "https://help.example.com/desk/api/12/envelope/"
        );
        assert_eq!(dsn.public_key(), "key");
    }

    #[test]
    fn malformed_dsns_are_refused_with_a_reason() {
        for text in [
            "",
            "127.0.0.1:3000/7",
            "ftp://key@host/7",
            "http://host/7",
            "http://@host/7",
            "http://key@/7",
            "http://key@host/",
            "http://key@host/seven",
        ] {
            let error = Dsn::parse(text).unwrap_err();
            assert!(error.to_string().starts_with("invalid DSN: "), "{text}");
        }
    }
}
