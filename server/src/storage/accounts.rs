//! Agents, sessions and API tokens in SurrealDB.
//!
//! Only hashes of session and token secrets are stored. Sessions and tokens are read together
//! with their agent in one query, so a deactivated agent or a lowered role takes effect on the
//! very next request, on every server sharing the database.

use super::records::{decode, format_time, parse_time};
use super::{StorageError, Store, transaction_outcome};
use app::accounts::{Agent, ApiToken};
use app::model::Role;
use serde::Deserialize;
use time::OffsetDateTime;

/// A row of the `agent` table, with its password hash.
#[derive(Clone, Debug, Deserialize)]
pub struct AgentRecord {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: String,
}

impl AgentRecord {
    /// The wire form, without the hash.
    pub fn into_agent(self) -> Result<Agent, StorageError> {
        Ok(Agent {
            id: self.id,
            email: self.email,
            name: self.name,
            role: self.role,
            active: self.active,
            created_at: parse_time(&self.created_at)?,
        })
    }
}

/// A session or token together with the agent it belongs to.
#[derive(Clone, Debug, Deserialize)]
pub struct CredentialRecord {
    pub secret_hash: String,
    pub agent_id: String,
    pub email: String,
    pub name: String,
    pub agent_role: Role,
    pub active: bool,
    /// Tokens: their own role.
    #[serde(default)]
    pub role: Option<Role>,
    /// Tokens: whether they were revoked.
    #[serde(default)]
    pub revoked_at: Option<String>,
    /// Sessions: absolute expiry.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Sessions: the last request seen.
    #[serde(default)]
    pub last_seen_at: Option<String>,
    /// Tokens: the name.
    #[serde(default)]
    pub token_name: Option<String>,
}

#[derive(Deserialize)]
struct TokenRecord {
    id: String,
    name: String,
    role: Role,
    created_at: String,
}

const AGENT_FIELDS: &str =
    "record::id(id) AS id, email, name, role, password_hash, active, created_at";

const CREDENTIAL_FIELDS: &str = "secret_hash, record::id(agent) AS agent_id, agent.email AS email, agent.name AS name, agent.role AS agent_role, agent.active AS active";

/// Whether a SurrealDB error is a unique-index violation.
fn is_duplicate(error: &surrealdb::Error) -> bool {
    error.message().contains("already contains")
}

/// What became of a change to an agent.
#[derive(Debug)]
pub enum AgentChange {
    /// Changed; the agent as it is now.
    Changed(Agent),
    /// No agent has this identifier.
    Missing,
    /// The change would leave no active admin, so nothing was written.
    LastAdmin,
}

impl Store {
    /// Creates an agent; `None` when the email is taken.
    pub async fn insert_agent(
        &self,
        id: &str,
        email: &str,
        name: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<Option<Agent>, StorageError> {
        let result = self
            .db()
            .query(format!(
                "CREATE type::record('agent', $id) CONTENT {{ email: $email, name: $name, role: $role, password_hash: $password_hash, active: true, created_at: time::now() }} RETURN {AGENT_FIELDS}"
            ))
            .bind(("id", id.to_string()))
            .bind(("email", email.to_string()))
            .bind(("name", name.to_string()))
            .bind(("role", role.as_str()))
            .bind(("password_hash", password_hash.to_string()))
            .await
            .and_then(|response| response.check());
        let mut response = match result {
            Ok(response) => response,
            Err(error) if is_duplicate(&error) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let rows: Vec<serde_json::Value> = response.take(0)?;
        let record = decode::<AgentRecord>(rows)?
            .pop()
            .ok_or_else(|| StorageError::Corrupt("the new agent was not returned".into()))?;
        record.into_agent().map(Some)
    }

    /// Creates the first admin, only while there are no agents at all (`None` otherwise).
    pub async fn insert_first_admin(
        &self,
        id: &str,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> Result<Option<AgentRecord>, StorageError> {
        let result = self
            .db()
            .query("BEGIN TRANSACTION;
                IF count(SELECT VALUE id FROM agent LIMIT 1) > 0 { THROW 'agents exist' };
                CREATE type::record('agent', $id) CONTENT { email: $email, name: $name, role: 'admin', password_hash: $password_hash, active: true, created_at: time::now() };
                COMMIT TRANSACTION;")
            .bind(("id", id.to_string()))
            .bind(("email", email.to_string()))
            .bind(("name", name.to_string()))
            .bind(("password_hash", password_hash.to_string()))
            .await
            .and_then(transaction_outcome);
        match result {
            Ok(_) => {}
            Err(error) if error.message().contains("agents exist") => return Ok(None),
            Err(error) => return Err(error.into()),
        }
        self.agent_record(id)
            .await?
            .ok_or_else(|| StorageError::Corrupt("the first admin was not stored".into()))
            .map(Some)
    }

    /// Whether no agent exists yet.
    pub async fn has_no_agents(&self) -> Result<bool, StorageError> {
        let mut response = self
            .db()
            .query("RETURN count(SELECT VALUE id FROM agent LIMIT 1)")
            .await?
            .check()?;
        let count: Option<i64> = response.take(0)?;
        Ok(count.unwrap_or(0) == 0)
    }

    /// The agent signing in with this email, if any.
    pub async fn agent_by_email(&self, email: &str) -> Result<Option<AgentRecord>, StorageError> {
        let mut response = self
            .db()
            .query(format!(
                "SELECT {AGENT_FIELDS} FROM agent WHERE email = $email"
            ))
            .bind(("email", email.to_string()))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        Ok(decode::<AgentRecord>(rows)?.pop())
    }

    /// One agent by identifier.
    pub async fn agent_record(&self, id: &str) -> Result<Option<AgentRecord>, StorageError> {
        let mut response = self
            .db()
            .query(format!(
                "SELECT {AGENT_FIELDS} FROM type::record('agent', $id)"
            ))
            .bind(("id", id.to_string()))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        Ok(decode::<AgentRecord>(rows)?.pop())
    }

    /// Every agent, by name.
    pub async fn all_agents(&self) -> Result<Vec<Agent>, StorageError> {
        let mut response = self
            .db()
            .query(format!(
                "SELECT {AGENT_FIELDS} FROM agent ORDER BY name, email"
            ))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode::<AgentRecord>(rows)?
            .into_iter()
            .map(AgentRecord::into_agent)
            .collect()
    }

    /// Whether an active agent has this email.
    pub async fn is_active_agent(&self, email: &str) -> Result<bool, StorageError> {
        Ok(self
            .agent_by_email(email)
            .await?
            .is_some_and(|agent| agent.active))
    }

    /// Changes an agent in one transaction that writes nothing if no active admin would
    /// remain. Deactivation also ends the agent's sessions.
    pub async fn change_agent(
        &self,
        id: &str,
        name: Option<&str>,
        role: Option<Role>,
        active: Option<bool>,
        password_hash: Option<&str>,
        end_sessions: bool,
    ) -> Result<AgentChange, StorageError> {
        let mut assignments = Vec::new();
        if name.is_some() {
            assignments.push("name = $name");
        }
        if role.is_some() {
            assignments.push("role = $role");
        }
        if active.is_some() {
            assignments.push("active = $active");
        }
        if password_hash.is_some() {
            assignments.push("password_hash = $password_hash");
        }
        if assignments.is_empty() {
            return self.current_agent(id).await;
        }
        let query = format!(
            "BEGIN TRANSACTION;
             IF (SELECT VALUE id FROM type::record('agent', $id)) = [] {{ THROW 'missing agent' }};
             UPDATE type::record('agent', $id) SET {};
             IF count(SELECT VALUE id FROM agent WHERE role = 'admin' AND active = true) = 0 {{
                 THROW 'last admin'
             }};
             IF $end_sessions {{ DELETE session WHERE agent = type::record('agent', $id) }};
             COMMIT TRANSACTION;",
            assignments.join(", ")
        );
        let result = self
            .db()
            .query(query)
            .bind(("id", id.to_string()))
            .bind(("name", name.map(str::to_string)))
            .bind(("role", role.map(Role::as_str)))
            .bind(("active", active))
            .bind(("password_hash", password_hash.map(str::to_string)))
            .bind(("end_sessions", end_sessions))
            .await
            .and_then(transaction_outcome);
        match result {
            Ok(_) => {}
            Err(error) if error.message().contains("missing agent") => {
                return Ok(AgentChange::Missing);
            }
            Err(error) if error.message().contains("last admin") => {
                return Ok(AgentChange::LastAdmin);
            }
            Err(error) => return Err(error.into()),
        }
        self.current_agent(id).await
    }

    async fn current_agent(&self, id: &str) -> Result<AgentChange, StorageError> {
        match self.agent_record(id).await? {
            Some(record) => Ok(AgentChange::Changed(record.into_agent()?)),
            None => Ok(AgentChange::Missing),
        }
    }

    /// Stores a new session.
    pub async fn insert_session(
        &self,
        id: &str,
        secret_hash: &str,
        agent_id: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StorageError> {
        self.db()
            .query("CREATE type::record('session', $id) CONTENT { agent: type::record('agent', $agent), secret_hash: $secret_hash, created_at: time::now(), last_seen_at: time::now(), expires_at: <datetime>$expires_at }")
            .bind(("id", id.to_string()))
            .bind(("agent", agent_id.to_string()))
            .bind(("secret_hash", secret_hash.to_string()))
            .bind(("expires_at", format_time(expires_at)))
            .await?
            .check()?;
        Ok(())
    }

    /// A session with its agent.
    pub async fn session(&self, id: &str) -> Result<Option<CredentialRecord>, StorageError> {
        let mut response = self
            .db()
            .query(format!(
                "SELECT {CREDENTIAL_FIELDS}, expires_at, last_seen_at FROM type::record('session', $id)"
            ))
            .bind(("id", id.to_string()))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        Ok(decode::<CredentialRecord>(rows)?.pop())
    }

    /// Records activity on a session, for the idle timeout.
    pub async fn touch_session(&self, id: &str) -> Result<(), StorageError> {
        self.db()
            .query("UPDATE type::record('session', $id) SET last_seen_at = time::now()")
            .bind(("id", id.to_string()))
            .await?
            .check()?;
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, id: &str) -> Result<(), StorageError> {
        self.db()
            .query("DELETE type::record('session', $id)")
            .bind(("id", id.to_string()))
            .await?
            .check()?;
        Ok(())
    }

    /// Sets an agent's password hash and ends their other sessions, in one transaction.
    pub async fn set_password(
        &self,
        agent_id: &str,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<(), StorageError> {
        self.db()
            .query("BEGIN TRANSACTION;
                UPDATE type::record('agent', $agent) SET password_hash = $password_hash;
                DELETE session WHERE agent = type::record('agent', $agent) AND record::id(id) != $keep;
                COMMIT TRANSACTION;")
            .bind(("agent", agent_id.to_string()))
            .bind(("password_hash", password_hash.to_string()))
            .bind(("keep", keep_session.unwrap_or("").to_string()))
            .await
            .and_then(transaction_outcome)?;
        Ok(())
    }

    /// Deletes the sessions that ended: past `now` (their `expires_at`), or unused since before
    /// `idle_floor`. Answers how many.
    pub async fn delete_ended_sessions(
        &self,
        now: OffsetDateTime,
        idle_floor: OffsetDateTime,
    ) -> Result<u64, StorageError> {
        let mut response = self
            .db()
            .query("DELETE session WHERE expires_at <= <datetime>$now OR last_seen_at <= <datetime>$idle_floor RETURN BEFORE")
            .bind(("now", format_time(now)))
            .bind(("idle_floor", format_time(idle_floor)))
            .await?
            .check()?;
        let deleted: Vec<serde_json::Value> = response.take(0)?;
        Ok(deleted.len() as u64)
    }

    /// Stores a new API token.
    pub async fn insert_token(
        &self,
        id: &str,
        secret_hash: &str,
        agent_id: &str,
        name: &str,
        role: Role,
    ) -> Result<ApiToken, StorageError> {
        let mut response = self
            .db()
            .query("CREATE type::record('api_token', $id) CONTENT { agent: type::record('agent', $agent), secret_hash: $secret_hash, name: $name, role: $role, created_at: time::now() } RETURN record::id(id) AS id, name, role, created_at")
            .bind(("id", id.to_string()))
            .bind(("agent", agent_id.to_string()))
            .bind(("secret_hash", secret_hash.to_string()))
            .bind(("name", name.to_string()))
            .bind(("role", role.as_str()))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode::<TokenRecord>(rows)?
            .pop()
            .ok_or_else(|| StorageError::Corrupt("the new token was not returned".into()))
            .and_then(into_token)
    }

    /// A token with its agent.
    pub async fn token(&self, id: &str) -> Result<Option<CredentialRecord>, StorageError> {
        let mut response = self
            .db()
            .query(format!(
                "SELECT {CREDENTIAL_FIELDS}, role, revoked_at, name AS token_name FROM type::record('api_token', $id)"
            ))
            .bind(("id", id.to_string()))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        Ok(decode::<CredentialRecord>(rows)?.pop())
    }

    /// An agent's tokens that are not revoked, newest first.
    pub async fn tokens_of(&self, agent_id: &str) -> Result<Vec<ApiToken>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT record::id(id) AS id, name, role, created_at FROM api_token WHERE agent = type::record('agent', $agent) AND revoked_at = NONE ORDER BY created_at DESC")
            .bind(("agent", agent_id.to_string()))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode::<TokenRecord>(rows)?
            .into_iter()
            .map(into_token)
            .collect()
    }

    /// Revokes one of an agent's tokens; `false` if the agent has no such live token.
    pub async fn revoke_token_of(&self, agent_id: &str, id: &str) -> Result<bool, StorageError> {
        let mut response = self
            .db()
            .query("UPDATE type::record('api_token', $id) SET revoked_at = time::now() WHERE agent = type::record('agent', $agent) AND revoked_at = NONE RETURN VALUE record::id(id)")
            .bind(("id", id.to_string()))
            .bind(("agent", agent_id.to_string()))
            .await?
            .check()?;
        let revoked: Vec<String> = response.take(0)?;
        Ok(!revoked.is_empty())
    }
}

fn into_token(record: TokenRecord) -> Result<ApiToken, StorageError> {
    Ok(ApiToken {
        id: record.id,
        name: record.name,
        role: record.role,
        created_at: parse_time(&record.created_at)?,
    })
}
