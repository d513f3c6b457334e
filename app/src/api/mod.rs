//! Server functions: the dashboard's calls into the desk, one module per resource as for the REST
//! API (`/rpc/<name>`; the names are the endpoints', not the modules').
//!
//! Each takes flat, form-encoded arguments so that every form also works before the wasm bundle
//! has loaded (a plain HTML form post); the checking happens in `requests`, as for the REST API.

// The server macro generates one public struct per function, whose fields mirror the arguments;
// a form with many fields is a function with many arguments.
#![allow(missing_docs, clippy::too_many_arguments)]

mod accounts;
mod articles;
mod crashes;
mod customers;
mod projects;
mod search;
mod tickets;

pub use accounts::*;
pub use articles::*;
pub use crashes::*;
pub use customers::*;
pub use projects::*;
pub use search::*;
pub use tickets::*;

#[cfg(feature = "ssr")]
mod backend {
    use crate::model::TicketRef;
    use crate::service::HelpDeskError;
    use leptos::prelude::*;

    /// The tickets service.
    pub fn tickets() -> Result<crate::service::SharedTickets, ServerFnError> {
        use_context::<crate::service::SharedTickets>()
            .ok_or_else(|| ServerFnError::new("tickets are not available in this context"))
    }

    /// The crash service.
    pub fn crashes() -> Result<crate::service::SharedCrashes, ServerFnError> {
        use_context::<crate::service::SharedCrashes>()
            .ok_or_else(|| ServerFnError::new("crashes are not available in this context"))
    }

    pub fn accounts() -> Result<crate::service::SharedAccounts, ServerFnError> {
        use_context::<crate::service::SharedAccounts>()
            .ok_or_else(|| ServerFnError::new("accounts are not available in this context"))
    }

    /// The caller as the server's guard resolved them; a stranger when nobody signed in.
    pub fn caller() -> crate::accounts::Principal {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<crate::accounts::Principal>()
                    .cloned()
            })
            .unwrap_or(crate::accounts::Principal::Stranger)
    }

    /// The signed-in agent, if any.
    pub fn signed_in() -> Option<crate::accounts::AgentPrincipal> {
        match caller() {
            crate::accounts::Principal::Agent(agent) => Some(agent),
            _ => None,
        }
    }

    /// The projects service.
    pub fn projects() -> Result<crate::service::SharedProjects, ServerFnError> {
        use_context::<crate::service::SharedProjects>()
            .ok_or_else(|| ServerFnError::new("projects are not available in this context"))
    }

    /// The articles service.
    pub fn articles() -> Result<crate::service::SharedArticles, ServerFnError> {
        use_context::<crate::service::SharedArticles>()
            .ok_or_else(|| ServerFnError::new("articles are not available in this context"))
    }

    /// The search service.
    pub fn search() -> Result<crate::service::SharedSearch, ServerFnError> {
        use_context::<crate::service::SharedSearch>()
            .ok_or_else(|| ServerFnError::new("search is not available in this context"))
    }

    /// The customers service.
    pub fn customers() -> Result<crate::service::SharedCustomers, ServerFnError> {
        use_context::<crate::service::SharedCustomers>()
            .ok_or_else(|| ServerFnError::new("customers are not available in this context"))
    }

    /// The address the request came from; unknown counts as a remote, forwarded one.
    pub fn client_address() -> crate::accounts::ClientAddress {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<crate::accounts::ClientAddress>()
                    .copied()
            })
            .unwrap_or(crate::accounts::ClientAddress {
                ip: std::net::IpAddr::from([0, 0, 0, 0]),
                forwarded: true,
            })
    }

    /// Adds a `Set-Cookie` header to the response.
    pub fn set_cookie(value: &str) {
        if let (Some(response), Ok(cookie)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(value),
        ) {
            response.append_header(http::header::SET_COOKIE, cookie);
        }
    }

    /// The error for the dashboard, with the HTTP status a REST client would get
    /// ([`HelpDeskError::answer`], the one mapping).
    pub fn failure(error: impl Into<HelpDeskError>) -> ServerFnError {
        let error = error.into();
        if let Some(seconds) = error.retry_after_seconds()
            && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        {
            response.insert_header(http::header::RETRY_AFTER, seconds.into());
        }
        match &error {
            HelpDeskError::Storage(source) => {
                tracing::error!(error = %source, "server function failed on storage");
            }
            HelpDeskError::Unavailable(source) => {
                tracing::warn!(error = %source, "server function failed: the database is unavailable");
            }
            _ => {}
        }
        let status = http::StatusCode::from_u16(error.answer().status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        respond(status, error.to_string())
    }

    /// Sets the response status (unless the call is a plain form post, which must redirect back
    /// to the page) and makes the error the dashboard shows.
    pub fn respond(status: http::StatusCode, message: String) -> ServerFnError {
        use leptos_axum::ResponseOptions;
        let plain_form_post = use_context::<http::request::Parts>().is_some_and(|parts| {
            parts.method == http::Method::POST
                && parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|accept| accept.to_str().ok())
                    .is_some_and(|accept| accept.contains("text/html"))
        });
        if let (Some(response), false) = (use_context::<ResponseOptions>(), plain_form_post) {
            response.set_status(status);
        }
        ServerFnError::new(message)
    }

    /// A malformed reference names no ticket: 404, like an unknown one.
    pub fn reference(text: &str) -> Result<TicketRef, ServerFnError> {
        text.parse()
            .map_err(|error: crate::model::InvalidReference| {
                respond(http::StatusCode::NOT_FOUND, error.to_string())
            })
    }

    /// A customer id from a path or form; a malformed one names no customer.
    pub fn customer_id(text: &str) -> Result<crate::ids::CustomerId, ServerFnError> {
        text.parse().map_err(failure)
    }

    /// An article id from a path or form; a malformed one names no article.
    pub fn article_id(text: &str) -> Result<crate::ids::ArticleId, ServerFnError> {
        text.parse().map_err(failure)
    }

    /// Empty strings from forms mean "not given".
    pub fn given(value: Option<String>) -> Option<String> {
        value.filter(|text| !text.trim().is_empty())
    }

    pub fn parse_enum<T: std::str::FromStr<Err = crate::model::UnknownValue>>(
        field: &str,
        value: Option<String>,
    ) -> Result<Option<T>, ServerFnError> {
        given(value)
            .map(|text| text.parse::<T>())
            .transpose()
            .map_err(|error| failure(crate::fields::FieldError::new(field, error.to_string())))
    }
}
