//! Agents, their roles and API tokens: the wire types, and the checks of what clients send.
//!
//! Who makes a request is never taken from the request body: the server resolves a [`Principal`]
//! from the session cookie, the `Authorization: Bearer` token or a project's key, and every
//! timeline entry is written in that principal's name.

use crate::fields::{FieldError, checked_email, checked_text};
use crate::model::Role;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The shortest password an agent may choose, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in characters (hashing cost is bounded by it).
pub const MAX_PASSWORD_CHARS: usize = 256;
pub use crate::fields::MAX_EMAIL_CHARS;
/// The longest agent or token name.
pub const MAX_NAME_CHARS: usize = 100;

/// An agent as admins see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Agent {
    /// Stable identifier.
    pub id: String,
    /// Sign-in email, lower-case.
    pub email: String,
    /// The name shown on the timeline.
    pub name: String,
    /// What the agent may do.
    pub role: Role,
    /// Whether the agent may sign in; deactivation ends their sessions and tokens at once.
    pub active: bool,
    /// When the account was created.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// The network address a request came from, as the server saw it (for sign-in throttling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress {
    /// The peer of the connection.
    pub ip: std::net::IpAddr,
    /// Whether a proxy forwarded the request (then the peer is the proxy, not the client).
    pub forwarded: bool,
}

impl ClientAddress {
    /// Whether the request certainly comes from this machine: a loopback peer, not forwarded.
    pub fn is_this_machine(self) -> bool {
        self.ip.is_loopback() && !self.forwarded
    }
}

/// The longest path a sign-in may return to.
pub const MAX_NEXT_PATH_CHARS: usize = 2_000;

/// Where to go after signing in: `next` when it is a path on this site, else `/`. Refused:
/// anything not starting with one `/` (`//host` and `/\host` name another host to a browser;
/// `https:`, `javascript:` are other schemes), backslashes, and spaces or control characters
/// anywhere (a browser drops a tab or newline from a URL, so `/<tab>/host` becomes `//host`).
pub fn local_path(next: Option<&str>) -> String {
    let safe = next.filter(|path| {
        let mut characters = path.chars();
        characters.next() == Some('/')
            && !matches!(characters.next(), Some('/'))
            && path.chars().count() <= MAX_NEXT_PATH_CHARS
            && !path.chars().any(|character| {
                character == '\\' || character.is_whitespace() || character.is_control()
            })
    });
    safe.unwrap_or("/").to_string()
}

/// How a request proved who it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A dashboard session (cookie).
    Session {
        /// The session's identifier.
        id: String,
    },
    /// A personal API token.
    Token {
        /// The token's identifier.
        id: String,
        /// The name its owner gave it.
        name: String,
    },
}

/// Who is making a request, as the server resolved it: the subject of every operation of the
/// desk, which decides what each may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// Nobody the server knows: no credentials (and, later, someone holding only a public link).
    Stranger,
    /// An agent, through a dashboard session or one of their API tokens.
    Agent(AgentPrincipal),
    /// An application presenting a project's public key: it may file crash reports for that
    /// project and nothing else.
    Project(crate::ids::ProjectId),
}

impl Principal {
    /// The email `me` stands for in a query: the agent's; none (empty) for any other caller.
    pub fn email(&self) -> &str {
        match self {
            Principal::Agent(agent) => &agent.email,
            Principal::Stranger | Principal::Project(_) => "",
        }
    }
}

/// An agent making a request, through a session or an API token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentPrincipal {
    /// The agent's identifier.
    pub agent_id: String,
    /// The agent's email.
    pub email: String,
    /// The agent's name.
    pub name: String,
    /// The effective role: the agent's, or the token's if lower.
    pub role: Role,
    /// Session or token.
    pub credential: Credential,
}

impl AgentPrincipal {
    /// The author name written on the timeline.
    pub fn author(&self) -> String {
        match &self.credential {
            Credential::Session { .. } => self.name.clone(),
            Credential::Token { name, .. } => format!("{} (API token “{name}”)", self.name),
        }
    }

    /// The dashboard's view of the signed-in agent.
    pub fn current(&self) -> CurrentAgent {
        CurrentAgent {
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
        }
    }
}

/// The signed-in agent, as the dashboard shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CurrentAgent {
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Effective role.
    pub role: Role,
}

/// A request to create an agent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// Sign-in email.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 254))]
    pub email: String,
    /// The name shown on the timeline.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// `admin`, `agent` (default) or `viewer`.
    pub role: Option<Role>,
    /// The first password, at least [`MIN_PASSWORD_CHARS`] characters; the agent should change it.
    #[cfg_attr(feature = "ssr", schema(min_length = 12, max_length = 256))]
    pub password: String,
}

/// A checked new agent.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentDraft {
    /// Lower-case email.
    pub email: String,
    /// Trimmed name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The password, as typed.
    pub password: String,
}

impl NewAgent {
    /// Checks every field.
    pub fn parse(self) -> Result<AgentDraft, FieldError> {
        Ok(AgentDraft {
            email: checked_email(&self.email)?,
            name: checked_text("name", &self.name, MAX_NAME_CHARS, true)?,
            role: self.role.unwrap_or(Role::Agent),
            password: checked_password("password", &self.password)?,
        })
    }
}

/// A change to an agent, by an admin.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    /// New name.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// `false` deactivates: the agent's sessions and tokens stop working on their next request.
    pub active: Option<bool>,
    /// A new password.
    #[cfg_attr(feature = "ssr", schema(min_length = 12, max_length = 256))]
    pub password: Option<String>,
}

/// A checked agent change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckedAgentPatch {
    /// New name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New activity.
    pub active: Option<bool>,
    /// New password.
    pub password: Option<String>,
}

impl AgentPatch {
    /// Checks every present field; a patch without any changes nothing.
    pub fn parse(self) -> Result<CheckedAgentPatch, FieldError> {
        let patch = CheckedAgentPatch {
            name: self
                .name
                .map(|name| checked_text("name", &name, MAX_NAME_CHARS, true))
                .transpose()?,
            role: self.role,
            active: self.active,
            password: self
                .password
                .map(|password| checked_password("password", &password))
                .transpose()?,
        };
        Ok(patch)
    }
}

/// A request to change one's own password.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now.
    pub current_password: String,
    /// The new one, at least [`MIN_PASSWORD_CHARS`] characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 12, max_length = 256))]
    pub new_password: String,
}

/// A personal API token, as its owner sees it (the secret is shown only once, at creation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiToken {
    /// Identifier, used to revoke it.
    pub id: String,
    /// What its owner called it.
    pub name: String,
    /// The most it may do; never more than its owner may.
    pub role: Role,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// A token just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    /// The token's details.
    #[serde(flatten)]
    pub token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`. Stored only as a hash; it cannot be shown again.
    pub secret: String,
}

/// A request for a new personal API token.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// The most it may do; defaults to, and may not exceed, the owner's role.
    pub role: Option<Role>,
}

/// A checked token request.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenDraft {
    /// Trimmed name.
    pub name: String,
    /// The role asked for; the owner's when none.
    pub role: Option<Role>,
}

impl NewToken {
    /// Checks the name; whether the role may be had is the desk's to decide, against the
    /// caller's own.
    pub fn parse(self) -> Result<TokenDraft, FieldError> {
        Ok(TokenDraft {
            name: checked_text("name", &self.name, MAX_NAME_CHARS, true)?,
            role: self.role,
        })
    }
}

/// A password that meets the policy: long enough, bounded, not blank.
pub fn checked_password(field: &str, password: &str) -> Result<String, FieldError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters long"),
        ));
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            field,
            format!("may be at most {MAX_PASSWORD_CHARS} characters long"),
        ));
    }
    if password.trim().is_empty() {
        return Err(FieldError::new(field, "may not be only spaces"));
    }
    Ok(password.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_returned_to_after_signing_in() {
        for kept in [
            "/",
            "/tickets/TCK-4",
            "/search?q=printer&status=open",
            "/a/b//c",
            "/%2F%2Fevil.example",
        ] {
            assert_eq!(local_path(Some(kept)), kept);
        }
        for refused in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/tickets\\..\\x",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/\u{0}",
            "/\u{2028}/evil.example",
        ] {
            assert_eq!(local_path(Some(refused)), "/", "{refused:?}");
        }
        assert_eq!(local_path(None), "/");
        assert_eq!(
            local_path(Some(&format!("/{}", "a".repeat(MAX_NEXT_PATH_CHARS)))),
            "/"
        );
    }

    #[test]
    fn roles_are_ordered_admin_over_agent_over_viewer() {
        assert!(Role::Admin.allows(Role::Agent));
        assert!(Role::Agent.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Agent));
        assert!(!Role::Agent.allows(Role::Admin));
        assert_eq!(Role::Admin.min(Role::Viewer), Role::Viewer);
        assert_eq!(Role::Agent.min(Role::Admin), Role::Agent);
    }

    #[test]
    fn emails_are_trimmed_lowered_and_need_one_at_sign() {
        assert_eq!(
            checked_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a@b@c",
            "ada lovelace@example.com",
        ] {
            assert_eq!(checked_email(bad).unwrap_err().field, "email", "{bad:?}");
        }
    }

    #[test]
    fn passwords_must_meet_the_policy() {
        assert!(checked_password("password", "correct horse").is_ok());
        assert!(checked_password("password", "short").is_err());
        assert!(checked_password("password", &" ".repeat(20)).is_err());
        assert!(checked_password("password", &"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
    }

    #[test]
    fn a_token_needs_a_name_and_keeps_the_role_asked_for() {
        let request = |name: &str, role| NewToken {
            name: name.into(),
            role,
        };
        assert_eq!(request(" ci ", None).parse().unwrap().name, "ci");
        assert_eq!(
            request("ci", Some(Role::Viewer)).parse().unwrap().role,
            Some(Role::Viewer)
        );
        assert_eq!(request("  ", None).parse().unwrap_err().field, "name");
    }

    #[test]
    fn token_authors_name_the_owner_and_the_token() {
        let principal = AgentPrincipal {
            agent_id: "a1".into(),
            email: "ada@example.com".into(),
            name: "Ada".into(),
            role: Role::Agent,
            credential: Credential::Token {
                id: "t1".into(),
                name: "deploy".into(),
            },
        };
        assert_eq!(principal.author(), "Ada (API token “deploy”)");
    }
}
