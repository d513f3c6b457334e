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
    /// Whether its reports are accepted; a disabled project's reports are refused (403), and its
    /// tickets stay as they are.
    pub active: bool,
    /// The DSN with the key it had before its key was last replaced, while that key still works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_dsn: Option<String>,
    /// Until when the previous key works.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub previous_key_expires_at: Option<OffsetDateTime>,
    /// When the project was created.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// The longest the replaced key of a project may keep working, in hours (30 days).
pub const MAX_KEY_GRACE_HOURS: u32 = 720;
/// How long the replaced key keeps working when a request does not say.
pub const DEFAULT_KEY_GRACE_HOURS: u32 = 24;

/// A request to give a project a new key: the DSN changes, and the old key keeps working for the
/// grace period, so that deployed applications can be moved to the new DSN without losing reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyRotation {
    /// Hours the old key keeps working, 0 (it stops at once: it leaked) to 720; default 24.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 720))]
    pub grace_hours: Option<u32>,
}

impl KeyRotation {
    /// The grace period in hours.
    pub fn parse(self) -> Result<u32, FieldError> {
        match self.grace_hours {
            None => Ok(DEFAULT_KEY_GRACE_HOURS),
            Some(hours) if hours <= MAX_KEY_GRACE_HOURS => Ok(hours),
            Some(hours) => Err(FieldError::new(
                "grace_hours",
                format!("is {hours}; the most is {MAX_KEY_GRACE_HOURS} (30 days)"),
            )),
        }
    }
}

/// What a client sends to change a project: only the fields present change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    /// A new name.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// `false` disables the project (its reports are refused), `true` enables it again.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A checked change to a project.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckedProjectPatch {
    /// The trimmed, non-empty new name.
    pub name: Option<String>,
    /// Whether it is to be active.
    pub active: Option<bool>,
}

impl ProjectPatch {
    /// Checks the fields present.
    pub fn parse(self) -> Result<CheckedProjectPatch, FieldError> {
        Ok(CheckedProjectPatch {
            name: self
                .name
                .map(|name| checked_text("name", &name, MAX_PROJECT_NAME_CHARS, true))
                .transpose()?,
            active: self.active,
        })
    }
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
    fn a_key_rotation_keeps_the_old_key_for_a_bounded_time() {
        assert_eq!(KeyRotation::default().parse(), Ok(DEFAULT_KEY_GRACE_HOURS));
        assert_eq!(
            KeyRotation {
                grace_hours: Some(0)
            }
            .parse(),
            Ok(0)
        );
        assert_eq!(
            KeyRotation {
                grace_hours: Some(720)
            }
            .parse(),
            Ok(720)
        );
        assert_eq!(
            KeyRotation {
                grace_hours: Some(721)
            }
            .parse()
            .unwrap_err()
            .field,
            "grace_hours"
        );
        assert_eq!(
            ProjectPatch {
                name: Some("  ".into()),
                active: None
            }
            .parse()
            .unwrap_err()
            .field,
            "name"
        );
    }

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
