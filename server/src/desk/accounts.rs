//! Accounts: signing in, the first admin, agents and their API tokens. Any signed-in agent manages
//! their own password and tokens (a token never outranks its owner, and only a session, never a
//! token, creates one); agents see the other agents,
//! to assign tickets; admins create and change agents, and at least one active admin remains.
//! The machine's console (`helpdesk create-admin`, `create-token`) is trusted as its operator.
//!
//! The mechanisms (sessions and their cookies, password hashing, the throttle) are `auth`'s; this
//! module decides who may use them for what.

use crate::auth::password;
use crate::auth::secret::{TOKEN_PREFIX, hash_secret, random_id, random_secret};
use crate::auth::service::AuthService;
use crate::storage::AgentChange;
use app::accounts::{
    Agent, AgentDraft, ApiToken, CheckedAgentPatch, ClientAddress, CreatedToken, Credential,
    Principal, TokenDraft,
};
use app::fields::FieldError;
use app::model::Role;
use app::service::{AccountService, HelpDeskError, SignedIn};
use std::net::IpAddr;
use std::time::Duration;

/// What every failed sign-in says, whatever the reason.
const WRONG_CREDENTIALS: &str = "the email or password is wrong";

fn hashing_failed(error: password::HashError) -> HelpDeskError {
    match error {
        password::HashError::Busy(_) => too_busy(),
        password::HashError::Failed(message) => HelpDeskError::Storage(message.into()),
    }
}

/// Too many passwords are being checked at once: try again in a second.
fn too_busy() -> HelpDeskError {
    HelpDeskError::Throttled {
        retry_after_seconds: 1,
    }
}

fn missing_agent(id: &str) -> HelpDeskError {
    HelpDeskError::Missing {
        kind: "agent",
        id: id.chars().take(40).collect(),
    }
}

/// The role a new token gets: the one asked for, or its owner's; never above the owner's.
fn token_role(owner: Role, asked: Option<Role>) -> Result<Role, FieldError> {
    let role = asked.unwrap_or(owner);
    if owner.allows(role) {
        Ok(role)
    } else {
        Err(FieldError::new(
            "role",
            format!("may not exceed your own role ({owner})"),
        ))
    }
}

impl AuthService {
    /// Creates an agent from the machine's console (`helpdesk create-admin`).
    pub async fn create_agent_from_console(
        &self,
        draft: AgentDraft,
    ) -> Result<Agent, HelpDeskError> {
        self.insert_agent(draft).await
    }

    /// Issues a token for an agent named by email, from the machine's console
    /// (`helpdesk create-token`).
    pub async fn issue_token_for(
        &self,
        email: &str,
        draft: TokenDraft,
    ) -> Result<CreatedToken, HelpDeskError> {
        let agent = self
            .store
            .agent_by_email(email)
            .await?
            .filter(|agent| agent.active)
            .ok_or_else(|| missing_agent(email))?;
        let role = token_role(agent.role, draft.role)?;
        self.insert_token(&agent.id, &draft.name, role).await
    }

    async fn insert_agent(&self, draft: AgentDraft) -> Result<Agent, HelpDeskError> {
        let hash = password::hash(draft.password)
            .await
            .map_err(hashing_failed)?;
        self.store
            .insert_agent(&random_id(), &draft.email, &draft.name, draft.role, &hash)
            .await?
            .ok_or_else(|| {
                HelpDeskError::Conflict(format!(
                    "an agent with the email {} already exists",
                    draft.email
                ))
            })
    }

    async fn insert_token(
        &self,
        agent_id: &str,
        name: &str,
        role: Role,
    ) -> Result<CreatedToken, HelpDeskError> {
        let id = random_id();
        let secret = random_secret();
        let token = self
            .store
            .insert_token(&id, &hash_secret(&secret), agent_id, name, role)
            .await?;
        Ok(CreatedToken {
            token,
            secret: format!("{TOKEN_PREFIX}{id}_{secret}"),
        })
    }
}

#[async_trait::async_trait]
impl AccountService for AuthService {
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<SignedIn, HelpDeskError> {
        let account = email.trim().to_lowercase();
        let attempt = self.throttle.begin(&account, client).await?;
        let agent = match self.store.agent_by_email(&account).await {
            Ok(agent) => agent,
            Err(error) => {
                self.throttle.abandoned(attempt).await;
                return Err(error.into());
            }
        };
        let stored = agent.as_ref().map(|agent| agent.password_hash.clone());
        let password_matches = match password::verify(password.to_string(), stored).await {
            Ok(matches) => matches,
            Err(_) => {
                self.throttle.abandoned(attempt).await;
                return Err(too_busy());
            }
        };
        // The attempt stays counted as a failure unless the password matched.
        let agent = match agent {
            Some(agent) if password_matches && agent.active => agent,
            _ => return Err(HelpDeskError::Unauthenticated(WRONG_CREDENTIALS)),
        };
        self.throttle.succeeded(attempt).await;
        self.open_session(agent).await
    }

    async fn first_run(&self) -> Result<bool, HelpDeskError> {
        Ok(self.store.has_no_agents().await?)
    }

    async fn set_up_first_admin(
        &self,
        draft: AgentDraft,
        setup_code: &str,
        client: ClientAddress,
    ) -> Result<SignedIn, HelpDeskError> {
        // Behind a reverse proxy every peer is the proxy's loopback address; a forwarded request
        // is therefore never taken for a local one.
        if !client.is_this_machine() {
            return Err(HelpDeskError::Forbidden(
                "the first admin can only be set up from this machine (localhost), or with `helpdesk create-admin`".into(),
            ));
        }
        // A web page on this machine (one that rebinds its name to 127.0.0.1, say) cannot know
        // the code, which only the server's own output shows.
        if !self.setup_code_matches(setup_code) {
            return Err(HelpDeskError::Forbidden(
                "the setup code is missing or wrong: open the link the server printed when it started, or use `helpdesk create-admin`".into(),
            ));
        }
        let hash = password::hash(draft.password)
            .await
            .map_err(hashing_failed)?;
        let agent = self
            .store
            .insert_first_admin(&random_id(), &draft.email, &draft.name, &hash)
            .await?
            .ok_or_else(|| {
                HelpDeskError::Conflict("the help desk already has agents; sign in instead".into())
            })?;
        tracing::info!(agent = %agent.email, "first admin set up");
        self.open_session(agent).await
    }

    async fn sign_out(&self, caller: &Principal) -> Result<String, HelpDeskError> {
        if let Principal::Agent(agent) = caller
            && let Credential::Session { id } = &agent.credential
        {
            self.store.delete_session(id).await?;
        }
        Ok(self.cookie("", Duration::ZERO))
    }

    async fn change_password(
        &self,
        caller: &Principal,
        current: &str,
        new: &str,
        client: IpAddr,
    ) -> Result<(), HelpDeskError> {
        let agent = caller.require(Role::Viewer)?;
        let new = app::accounts::checked_password("new_password", new)?;
        // Guessing the current password through this form is throttled like signing in.
        let attempt = self.throttle.begin(&agent.email, client).await?;
        let record = match self.store.agent_record(&agent.agent_id).await {
            Ok(record) => record,
            Err(error) => {
                self.throttle.abandoned(attempt).await;
                return Err(error.into());
            }
        };
        let stored = record.as_ref().map(|record| record.password_hash.clone());
        match password::verify(current.to_string(), stored).await {
            Ok(true) => self.throttle.succeeded(attempt).await,
            Ok(false) => return Err(FieldError::new("current_password", "is wrong").into()),
            Err(_) => {
                self.throttle.abandoned(attempt).await;
                return Err(too_busy());
            }
        }
        let hash = password::hash(new).await.map_err(hashing_failed)?;
        let keep = match &agent.credential {
            Credential::Session { id } => Some(id.as_str()),
            Credential::Token { .. } => None,
        };
        self.store
            .set_password(&agent.agent_id, &hash, keep)
            .await?;
        tracing::info!(agent = %agent.email, "password changed; other sessions ended");
        Ok(())
    }

    async fn agents(&self, caller: &Principal) -> Result<Vec<Agent>, HelpDeskError> {
        caller.require(Role::Agent)?;
        Ok(self.store.all_agents().await?)
    }

    async fn create_agent(
        &self,
        caller: &Principal,
        draft: AgentDraft,
    ) -> Result<Agent, HelpDeskError> {
        let admin = caller.require(Role::Admin)?;
        let agent = self.insert_agent(draft).await?;
        tracing::info!(actor = %admin.email, agent = %agent.email, role = %agent.role, "agent created");
        Ok(agent)
    }

    async fn update_agent(
        &self,
        caller: &Principal,
        id: &str,
        patch: CheckedAgentPatch,
    ) -> Result<Agent, HelpDeskError> {
        let admin = caller.require(Role::Admin)?;
        // `{}` changes nothing and answers the agent as they are.
        let changes = patch != CheckedAgentPatch::default();
        // Deactivating an agent, or setting their password, ends every session they have.
        let end_sessions = patch.active == Some(false) || patch.password.is_some();
        let hash = match patch.password {
            Some(password) => Some(password::hash(password).await.map_err(hashing_failed)?),
            None => None,
        };
        let change = self
            .store
            .change_agent(
                id,
                patch.name.as_deref(),
                patch.role,
                patch.active,
                hash.as_deref(),
                end_sessions,
            )
            .await?;
        match change {
            AgentChange::Changed(agent) => {
                if changes {
                    tracing::info!(actor = %admin.email, agent = %agent.email, role = %agent.role, active = agent.active, "agent changed");
                }
                Ok(agent)
            }
            AgentChange::Missing => Err(missing_agent(id)),
            AgentChange::LastAdmin => Err(HelpDeskError::Conflict(
                "at least one active admin must remain".into(),
            )),
        }
    }

    async fn tokens(&self, caller: &Principal) -> Result<Vec<ApiToken>, HelpDeskError> {
        let owner = caller.require(Role::Viewer)?;
        Ok(self.store.tokens_of(&owner.agent_id).await?)
    }

    async fn create_token(
        &self,
        caller: &Principal,
        draft: TokenDraft,
    ) -> Result<CreatedToken, HelpDeskError> {
        let owner = caller.require(Role::Viewer)?;
        // A token that could mint tokens would let whoever stole it outlive its revocation.
        if let Credential::Token { .. } = owner.credential {
            return Err(HelpDeskError::Forbidden(
                "API tokens are created by a signed-in agent, not with another token".into(),
            ));
        }
        let role = token_role(owner.role, draft.role)?;
        self.insert_token(&owner.agent_id, &draft.name, role).await
    }

    async fn revoke_token(&self, caller: &Principal, id: &str) -> Result<(), HelpDeskError> {
        let owner = caller.require(Role::Viewer)?;
        if self.store.revoke_token_of(&owner.agent_id, id).await? {
            Ok(())
        } else {
            Err(HelpDeskError::Missing {
                kind: "token",
                id: id.chars().take(40).collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_may_not_outrank_its_owner() {
        assert_eq!(token_role(Role::Agent, None), Ok(Role::Agent));
        assert_eq!(
            token_role(Role::Agent, Some(Role::Viewer)),
            Ok(Role::Viewer)
        );
        assert_eq!(
            token_role(Role::Agent, Some(Role::Admin))
                .unwrap_err()
                .field,
            "role"
        );
    }
}
