//! Server functions for accounts: signing in and out, the first admin, agents, tokens and
//! passwords.

#[cfg(feature = "ssr")]
use super::backend;
use crate::accounts::{Agent, ApiToken, CreatedToken, CurrentAgent};
use leptos::prelude::*;

/// Signs in with email and password, then goes to `next` (a path on this site).
#[server(prefix = "/rpc", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<CurrentAgent, ServerFnError> {
    let signed_in = backend::accounts()?
        .sign_in(&email, &password, backend::client_address().ip)
        .await
        .map_err(backend::failure)?;
    backend::set_cookie(&signed_in.set_cookie);
    leptos_axum::redirect(&crate::accounts::local_path(next.as_deref()));
    Ok(signed_in.principal.current())
}

/// Whether the help desk has no agents yet (the sign-in page then offers to set up an admin).
#[server(prefix = "/rpc", endpoint = "first_run")]
pub async fn first_run() -> Result<bool, ServerFnError> {
    backend::accounts()?
        .first_run()
        .await
        .map_err(backend::failure)
}

/// Creates the first admin (only from this machine, with the one-time setup code the server
/// printed, only while there are no agents), signs them in and opens the queue.
#[server(prefix = "/rpc", endpoint = "set_up_first_admin")]
pub async fn set_up_first_admin(
    email: String,
    name: String,
    password: String,
    setup_code: Option<String>,
) -> Result<CurrentAgent, ServerFnError> {
    use crate::accounts::NewAgent;
    let draft = NewAgent {
        email,
        name,
        role: Some(crate::model::Role::Admin),
        password,
    }
    .parse()
    .map_err(backend::failure)?;
    let signed_in = backend::accounts()?
        .set_up_first_admin(
            draft,
            setup_code.as_deref().unwrap_or_default(),
            backend::client_address(),
        )
        .await
        .map_err(backend::failure)?;
    backend::set_cookie(&signed_in.set_cookie);
    leptos_axum::redirect("/");
    Ok(signed_in.principal.current())
}

/// Ends the session and goes to the sign-in page.
#[server(prefix = "/rpc", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    if backend::signed_in().is_some() {
        let clear = backend::accounts()?
            .sign_out(&backend::caller())
            .await
            .map_err(backend::failure)?;
        if let (Some(response), Ok(cookie)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(&clear),
        ) {
            response.append_header(http::header::SET_COOKIE, cookie);
        }
    }
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in agent, if any.
#[server(prefix = "/rpc", endpoint = "signed_in_agent")]
pub async fn signed_in_agent() -> Result<Option<CurrentAgent>, ServerFnError> {
    Ok(backend::signed_in().map(|principal| principal.current()))
}

/// Every agent (to assign tickets, and for admins to manage).
#[server(prefix = "/rpc", endpoint = "list_agents")]
pub async fn list_agents() -> Result<Vec<Agent>, ServerFnError> {
    backend::accounts()?
        .agents(&backend::caller())
        .await
        .map_err(backend::failure)
}

/// Creates an agent (admins).
#[server(prefix = "/rpc", endpoint = "create_agent")]
pub async fn create_agent(
    email: String,
    name: String,
    role: Option<String>,
    password: String,
) -> Result<Agent, ServerFnError> {
    use crate::accounts::NewAgent;
    let draft = NewAgent {
        email,
        name,
        role: backend::parse_enum("role", role)?,
        password,
    }
    .parse()
    .map_err(backend::failure)?;
    backend::accounts()?
        .create_agent(&backend::caller(), draft)
        .await
        .map_err(backend::failure)
}

/// Changes an agent's role or activity (admins).
#[server(prefix = "/rpc", endpoint = "update_agent")]
pub async fn update_agent(
    id: String,
    role: Option<String>,
    active: Option<String>,
) -> Result<Agent, ServerFnError> {
    use crate::accounts::AgentPatch;
    use crate::fields::FieldError;
    let active = match backend::given(active).as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(backend::failure(FieldError::new(
                "active",
                "must be true or false",
            )));
        }
    };
    let patch = AgentPatch {
        role: backend::parse_enum("role", role)?,
        active,
        ..AgentPatch::default()
    }
    .parse()
    .map_err(backend::failure)?;
    backend::accounts()?
        .update_agent(&backend::caller(), &id, patch)
        .await
        .map_err(backend::failure)
}

/// The caller's API tokens.
#[server(prefix = "/rpc", endpoint = "my_tokens")]
pub async fn my_tokens() -> Result<Vec<ApiToken>, ServerFnError> {
    backend::accounts()?
        .tokens(&backend::caller())
        .await
        .map_err(backend::failure)
}

/// Creates an API token for the caller; the secret is shown once.
#[server(prefix = "/rpc", endpoint = "create_token")]
pub async fn create_token(
    name: String,
    role: Option<String>,
) -> Result<CreatedToken, ServerFnError> {
    use crate::accounts::NewToken;
    let draft = NewToken {
        name,
        role: backend::parse_enum("role", role)?,
    }
    .parse()
    .map_err(backend::failure)?;
    backend::accounts()?
        .create_token(&backend::caller(), draft)
        .await
        .map_err(backend::failure)
}

/// Revokes one of the caller's API tokens.
#[server(prefix = "/rpc", endpoint = "revoke_token")]
pub async fn revoke_token(id: String) -> Result<(), ServerFnError> {
    backend::accounts()?
        .revoke_token(&backend::caller(), &id)
        .await
        .map_err(backend::failure)
}

/// Changes the caller's own password; their other sessions end.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ServerFnError> {
    backend::accounts()?
        .change_password(
            &backend::caller(),
            &current_password,
            &new_password,
            backend::client_address().ip,
        )
        .await
        .map_err(backend::failure)
}
