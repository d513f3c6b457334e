//! Projects: applications that report their crashes, each with the DSN its reporter posts to.

use crate::fields::{FieldError, checked_text};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The longest project name.
pub const MAX_PROJECT_NAME_CHARS: usize = 100;

/// A project as clients of the API see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Project {
    /// The project id, the last part of its DSN.
    pub id: u64,
    /// What the application is called.
    pub name: String,
    /// Where its reporter sends crash reports: `http://PUBLIC_KEY@HOST:PORT/ID`. The key in it can
    /// only submit reports; it reads nothing.
    pub dsn: String,
    /// When the project was created.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// A request to create a project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// What the application is called.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
}

impl NewProject {
    /// The trimmed, non-empty name.
    pub fn parse(self) -> Result<String, FieldError> {
        checked_text("name", &self.name, MAX_PROJECT_NAME_CHARS, true)
    }
}

/// How to point our `reporter` crate and the official Sentry SDKs at a DSN: (language, code).
pub fn sdk_snippets(dsn: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "Rust (reporter crate)",
            format!(
                "let _guard = reporter::init(\n    reporter::Options::new()\n        .dsn(\"{dsn}\")\n        .release(reporter::release_name!()),\n);"
            ),
        ),
        (
            "Python",
            format!("import sentry_sdk\nsentry_sdk.init(dsn=\"{dsn}\")"),
        ),
        (
            "JavaScript (Node)",
            format!(
                "const Sentry = require(\"@sentry/node\");\nSentry.init({{ dsn: \"{dsn}\" }});"
            ),
        ),
        (
            "Go",
            format!("sentry.Init(sentry.ClientOptions{{Dsn: \"{dsn}\"}})"),
        ),
        (
            "Rust (sentry crate)",
            format!("let _guard = sentry::init(\"{dsn}\");"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_snippet_names_the_dsn() {
        let dsn = "http://0123456789abcdef0123456789abcdef@127.0.0.1:3000/7";
        for (_, code) in sdk_snippets(dsn) {
            assert!(code.contains(dsn), "{code}");
        }
    }

    #[test]
    fn project_names_are_trimmed_and_required() {
        let parse = |name: &str| NewProject { name: name.into() }.parse();
        assert_eq!(parse("  Shop backend ").unwrap(), "Shop backend");
        assert_eq!(parse("   ").unwrap_err().field, "name");
        assert_eq!(
            parse(&"x".repeat(MAX_PROJECT_NAME_CHARS + 1))
                .unwrap_err()
                .field,
            "name"
        );
    }
}
