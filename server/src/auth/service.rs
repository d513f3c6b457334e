//! Authentication: who a request comes from (an API token or a session cookie), sessions and
//! their cookies, and the sign-in throttle. What agents may do with accounts is the desk's
//! (`desk/accounts.rs`).

use super::secret::{
    TOKEN_PREFIX, hash_secret, random_id, random_secret, secret_matches, split_credential,
};
use super::throttle::LoginThrottle;
use crate::storage::{AgentRecord, CredentialRecord, Store, parse_time};
use app::accounts::{AgentPrincipal, ClientAddress, Credential};
use app::model::Role;
use app::service::{HelpDeskError, SignedIn};
use axum::http::HeaderMap;
use std::net::IpAddr;
use std::time::Duration;
use time::OffsetDateTime;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "helpdesk_session";

/// How sessions behave.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Mark cookies `Secure` (the site is served over https).
    pub secure_cookies: bool,
    /// A session ends this long after sign-in, however active.
    pub session_lifetime: Duration,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// The one-time code that setting up the first admin needs; a random one when not given.
    pub setup_code: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            secure_cookies: false,
            session_lifetime: Duration::from_secs(12 * 60 * 60),
            idle_timeout: Duration::from_secs(2 * 60 * 60),
            trusted_proxies: Vec::new(),
            setup_code: None,
        }
    }
}

/// Sign-in, sessions and tokens.
pub struct AuthService {
    pub(crate) store: Store,
    pub(crate) throttle: LoginThrottle,
    settings: AuthSettings,
    setup_code: String,
}

/// How often ended sessions are removed from the database.
pub const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);

/// Sessions record activity at most this often (or a quarter of the idle timeout, if shorter), to
/// spare the database a write per request.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

impl AuthService {
    /// A service over the store.
    pub fn new(store: Store, settings: AuthSettings) -> AuthService {
        let setup_code = settings
            .setup_code
            .clone()
            .filter(|code| !code.is_empty())
            .unwrap_or_else(random_secret);
        AuthService {
            throttle: LoginThrottle::new(store.clone()),
            store,
            settings,
            setup_code,
        }
    }

    /// Removes the sessions that ended (expired, or idle past the timeout), so that the table
    /// holds only live ones; answers how many. The server does this every
    /// [`SESSION_SWEEP_EVERY`].
    pub async fn remove_ended_sessions(&self) -> Result<u64, crate::storage::StorageError> {
        let now = OffsetDateTime::now_utc();
        self.store
            .delete_ended_sessions(now, now - self.settings.idle_timeout)
            .await
    }

    /// Removes ended sessions and lapsed sign-in counts now and every [`SESSION_SWEEP_EVERY`]
    /// after, for as long as the returned task runs.
    pub fn sweep_sessions(self: &std::sync::Arc<Self>) -> tokio::task::JoinHandle<()> {
        let auth = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SESSION_SWEEP_EVERY);
            loop {
                every.tick().await;
                match auth.remove_ended_sessions().await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "ended sessions removed"),
                    Err(error) => tracing::warn!(%error, "could not remove ended sessions"),
                }
                match auth.throttle.sweep().await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "lapsed sign-in counts removed"),
                    Err(error) => tracing::warn!(%error, "could not sweep the sign-in counts"),
                }
            }
        })
    }

    /// The address of the page that sets up the first admin, with the one-time setup code, on
    /// a server that this machine reaches at `base` (`http://127.0.0.1:3000`).
    pub fn setup_link(&self, base: &str) -> String {
        format!(
            "{}/login?setup={}",
            base.trim_end_matches('/'),
            self.setup_code
        )
    }

    /// Whether `code` is the setup code (compared in constant time).
    pub(crate) fn setup_code_matches(&self, code: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.setup_code.as_bytes().ct_eq(code.as_bytes()).into()
    }

    /// The client of a request: the peer, or for a trusted proxy the nearest address in
    /// `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> ClientAddress {
        client_address_with(&self.settings, peer, headers)
    }

    /// Who the request comes from: a bearer token, else the session cookie, else nobody.
    /// A bearer token that is not valid is an error (it never falls back to the cookie).
    pub async fn resolve(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<AgentPrincipal>, HelpDeskError> {
        if let Some(authorization) = headers.get(axum::http::header::AUTHORIZATION) {
            let token = authorization
                .to_str()
                .ok()
                .and_then(|value| value.strip_prefix("Bearer "))
                .map(str::trim);
            return match token {
                Some(token) => self.token_principal(token).await.map(Some),
                None => Err(HelpDeskError::Unauthenticated(
                    "the Authorization header must be `Bearer <token>`",
                )),
            };
        }
        match session_cookie(headers) {
            Some(value) => self.session_principal(&value).await,
            None => Ok(None),
        }
    }

    async fn token_principal(&self, token: &str) -> Result<AgentPrincipal, HelpDeskError> {
        let invalid = HelpDeskError::Unauthenticated("the API token is not valid");
        let Some((id, secret)) = token
            .strip_prefix(TOKEN_PREFIX)
            .and_then(|rest| split_credential(rest, '_'))
        else {
            return Err(invalid);
        };
        let Some(record) = self.store.token(id).await? else {
            return Err(invalid);
        };
        if !secret_matches(secret, &record.secret_hash)
            || !record.active
            || record.revoked_at.is_some()
        {
            return Err(invalid);
        }
        let role = record.role.unwrap_or(Role::Viewer).min(record.agent_role);
        Ok(principal(
            &record,
            role,
            Credential::Token {
                id: id.to_string(),
                name: record.token_name.clone().unwrap_or_default(),
            },
        ))
    }

    async fn session_principal(
        &self,
        value: &str,
    ) -> Result<Option<AgentPrincipal>, HelpDeskError> {
        let Some((id, secret)) = split_credential(value, '.') else {
            return Ok(None);
        };
        let Some(record) = self.store.session(id).await? else {
            return Ok(None);
        };
        if !secret_matches(secret, &record.secret_hash) || !record.active {
            return Ok(None);
        }
        let now = OffsetDateTime::now_utc();
        let expires_at = record.expires_at.as_deref().map(parse_time).transpose()?;
        let last_seen_at = record.last_seen_at.as_deref().map(parse_time).transpose()?;
        let (Some(expires_at), Some(last_seen_at)) = (expires_at, last_seen_at) else {
            return Ok(None);
        };
        if now >= expires_at || now - last_seen_at >= self.settings.idle_timeout {
            self.store.delete_session(id).await?;
            return Ok(None);
        }
        if now - last_seen_at >= TOUCH_EVERY.min(self.settings.idle_timeout / 4) {
            self.store.touch_session(id).await?;
        }
        Ok(Some(principal(
            &record,
            record.agent_role,
            Credential::Session { id: id.to_string() },
        )))
    }

    /// Opens a session for an agent who proved who they are; answers it with its cookie.
    pub(crate) async fn open_session(&self, agent: AgentRecord) -> Result<SignedIn, HelpDeskError> {
        let id = random_id();
        let secret = random_secret();
        let expires_at = OffsetDateTime::now_utc() + self.settings.session_lifetime;
        self.store
            .insert_session(&id, &hash_secret(&secret), &agent.id, expires_at)
            .await?;
        Ok(SignedIn {
            principal: AgentPrincipal {
                agent_id: agent.id,
                email: agent.email,
                name: agent.name,
                role: agent.role,
                credential: Credential::Session { id: id.clone() },
            },
            set_cookie: self.cookie(&format!("{id}.{secret}"), self.settings.session_lifetime),
        })
    }

    /// The session cookie's `Set-Cookie` value.
    pub(crate) fn cookie(&self, value: &str, max_age: Duration) -> String {
        format!(
            "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            max_age.as_secs(),
            if self.settings.secure_cookies {
                "; Secure"
            } else {
                ""
            }
        )
    }
}

/// See [`AuthService::client_address`].
fn client_address_with(
    settings: &AuthSettings,
    peer: IpAddr,
    headers: &HeaderMap,
) -> ClientAddress {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name));
    if !settings.trusted_proxies.contains(&peer) {
        return ClientAddress {
            ip: peer,
            forwarded,
        };
    }
    let client = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .rev()
        .find(|address| !settings.trusted_proxies.contains(address));
    ClientAddress {
        ip: client.unwrap_or(peer),
        forwarded,
    }
}

fn principal(record: &CredentialRecord, role: Role, credential: Credential) -> AgentPrincipal {
    AgentPrincipal {
        agent_id: record.agent_id.clone(),
        email: record.email.clone(),
        name: record.name.clone(),
        role,
        credential,
    }
}

/// The value of the session cookie, if the request carries one.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn service(trusted: &[&str]) -> AuthSettings {
        AuthSettings {
            trusted_proxies: trusted.iter().map(|text| text.parse().unwrap()).collect(),
            ..AuthSettings::default()
        }
    }

    fn client(
        settings: AuthSettings,
        peer: &str,
        forwarded_for: Option<&'static str>,
    ) -> ClientAddress {
        let mut headers = HeaderMap::new();
        if let Some(value) = forwarded_for {
            headers.insert("x-forwarded-for", HeaderValue::from_static(value));
        }
        client_address_with(&settings, peer.parse().unwrap(), &headers)
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let untrusted = client(service(&[]), "127.0.0.1", Some("203.0.113.9"));
        assert_eq!(untrusted.ip.to_string(), "127.0.0.1");
        assert!(untrusted.forwarded && !untrusted.is_this_machine());
        let trusted = client(
            service(&["127.0.0.1"]),
            "127.0.0.1",
            Some("198.51.100.1, 203.0.113.9"),
        );
        assert_eq!(
            trusted.ip.to_string(),
            "203.0.113.9",
            "the address the proxy saw"
        );
        let direct = client(service(&["127.0.0.1"]), "127.0.0.1", None);
        assert!(direct.is_this_machine());
    }
}
