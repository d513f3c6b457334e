//! The access rules: for every route, the least a caller must be.
//!
//! This table is the single source of truth, enforced by [`super::guard`] on every request and
//! walked by the test suite, which also fails when a route exists without a rule here. A route
//! that is missing from the table is refused (fail closed), never served.

use app::model::Role;
use axum::http::Method;

/// What a route requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in agent or a token with at least this role.
    AtLeast(Role),
    /// A project's public key, checked by the handler: crash-report ingestion. Sessions, tokens
    /// and cookies play no part (and so neither does CSRF).
    ProjectKey,
}

/// One route's rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The HTTP method.
    pub method: Method,
    /// The route as the router spells it (`/api/v1/tickets/{reference}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

const fn rule(method: Method, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

const VIEWER: Access = Access::AtLeast(Role::Viewer);
const AGENT: Access = Access::AtLeast(Role::Agent);
const ADMIN: Access = Access::AtLeast(Role::Admin);

/// Every route of the server.
pub const RULES: &[Rule] = &[
    // Probes and the API description.
    rule(Method::GET, "/healthz", Access::Public),
    rule(Method::GET, "/readyz", Access::Public),
    rule(Method::GET, "/api/v1/openapi.json", Access::Public),
    // Crash-report ingestion (Sentry protocol).
    rule(
        Method::POST,
        "/api/{project_id}/envelope/",
        Access::ProjectKey,
    ),
    rule(Method::POST, "/api/{project_id}/store/", Access::ProjectKey),
    // REST: tickets.
    rule(Method::GET, "/api/v1/tickets", VIEWER),
    rule(Method::POST, "/api/v1/tickets", AGENT),
    rule(Method::GET, "/api/v1/tickets/{reference}", VIEWER),
    rule(Method::PATCH, "/api/v1/tickets/{reference}", AGENT),
    rule(Method::POST, "/api/v1/tickets/{reference}/entries", AGENT),
    rule(Method::GET, "/api/v1/tickets/{reference}/events", VIEWER),
    rule(
        Method::GET,
        "/api/v1/tickets/{reference}/occurrences",
        VIEWER,
    ),
    rule(
        Method::POST,
        "/api/v1/tickets/{reference}/transitions",
        AGENT,
    ),
    // REST: the caller, agents and tokens.
    rule(Method::GET, "/api/v1/me", VIEWER),
    rule(Method::POST, "/api/v1/me/password", VIEWER),
    rule(Method::GET, "/api/v1/agents", AGENT),
    rule(Method::POST, "/api/v1/agents", ADMIN),
    rule(Method::PATCH, "/api/v1/agents/{id}", ADMIN),
    rule(Method::GET, "/api/v1/projects", VIEWER),
    rule(Method::POST, "/api/v1/projects", ADMIN),
    rule(Method::PATCH, "/api/v1/projects/{id}", ADMIN),
    rule(Method::POST, "/api/v1/projects/{id}/key", ADMIN),
    rule(Method::GET, "/api/v1/customers", VIEWER),
    rule(Method::POST, "/api/v1/customers", AGENT),
    rule(Method::GET, "/api/v1/customers/{id}", VIEWER),
    rule(Method::PATCH, "/api/v1/customers/{id}", AGENT),
    rule(Method::GET, "/api/v1/customers/{id}/tickets", VIEWER),
    rule(Method::GET, "/api/v1/articles", VIEWER),
    rule(Method::POST, "/api/v1/articles", AGENT),
    rule(Method::GET, "/api/v1/articles/{id}", VIEWER),
    rule(Method::PATCH, "/api/v1/articles/{id}", AGENT),
    rule(Method::GET, "/api/v1/articles/{id}/history", VIEWER),
    rule(
        Method::GET,
        "/api/v1/tickets/{reference}/article-draft",
        VIEWER,
    ),
    rule(
        Method::GET,
        "/api/v1/tickets/{reference}/suggestions",
        VIEWER,
    ),
    rule(Method::GET, "/api/v1/suggestions", VIEWER),
    rule(Method::GET, "/api/v1/search", VIEWER),
    rule(Method::GET, "/api/v1/tokens", VIEWER),
    rule(Method::POST, "/api/v1/tokens", VIEWER),
    rule(Method::DELETE, "/api/v1/tokens/{id}", VIEWER),
    // Dashboard pages.
    rule(Method::GET, "/login", Access::Public),
    rule(Method::GET, "/", VIEWER),
    rule(Method::GET, "/tickets/new", AGENT),
    rule(Method::GET, "/tickets/{reference}", VIEWER),
    rule(Method::GET, "/agents", ADMIN),
    rule(Method::GET, "/account", VIEWER),
    rule(Method::GET, "/projects", VIEWER),
    rule(Method::GET, "/customers", VIEWER),
    rule(Method::GET, "/customers/{id}", VIEWER),
    rule(Method::GET, "/search", VIEWER),
    rule(Method::GET, "/articles", VIEWER),
    rule(Method::GET, "/articles/new", AGENT),
    rule(Method::GET, "/articles/{id}", VIEWER),
    rule(Method::GET, "/articles/{id}/edit", AGENT),
    // Server functions.
    rule(Method::POST, "/rpc/sign_in", Access::Public),
    rule(Method::POST, "/rpc/first_run", Access::Public),
    rule(Method::POST, "/rpc/set_up_first_admin", Access::Public),
    rule(Method::POST, "/rpc/sign_out", Access::Public),
    rule(Method::POST, "/rpc/signed_in_agent", Access::Public),
    rule(Method::POST, "/rpc/queue_page", VIEWER),
    rule(Method::POST, "/rpc/load_ticket", VIEWER),
    rule(Method::POST, "/rpc/latest_crash_event", VIEWER),
    rule(Method::POST, "/rpc/crash_occurrences", VIEWER),
    rule(Method::POST, "/rpc/create_ticket", AGENT),
    rule(Method::POST, "/rpc/add_entry", AGENT),
    rule(Method::POST, "/rpc/change_status", AGENT),
    rule(Method::POST, "/rpc/update_ticket", AGENT),
    rule(Method::POST, "/rpc/list_agents", AGENT),
    rule(Method::POST, "/rpc/create_agent", ADMIN),
    rule(Method::POST, "/rpc/update_agent", ADMIN),
    rule(Method::POST, "/rpc/my_tokens", VIEWER),
    rule(Method::POST, "/rpc/create_token", VIEWER),
    rule(Method::POST, "/rpc/revoke_token", VIEWER),
    rule(Method::POST, "/rpc/change_password", VIEWER),
    rule(Method::POST, "/rpc/list_projects", VIEWER),
    rule(Method::POST, "/rpc/search_customers", VIEWER),
    rule(Method::POST, "/rpc/load_customer", VIEWER),
    rule(Method::POST, "/rpc/create_customer", AGENT),
    rule(Method::POST, "/rpc/customer_tickets", VIEWER),
    rule(Method::POST, "/rpc/search_knowledge", VIEWER),
    rule(Method::POST, "/rpc/suggest_for_text", VIEWER),
    rule(Method::POST, "/rpc/suggest_for_ticket", VIEWER),
    rule(Method::POST, "/rpc/load_article", VIEWER),
    rule(Method::POST, "/rpc/article_history", VIEWER),
    rule(Method::POST, "/rpc/list_articles", VIEWER),
    rule(Method::POST, "/rpc/article_draft", VIEWER),
    rule(Method::POST, "/rpc/save_article", AGENT),
    rule(Method::POST, "/rpc/record_caller", AGENT),
    rule(Method::POST, "/rpc/create_project", ADMIN),
    rule(Method::POST, "/rpc/replace_project_key", ADMIN),
    rule(Method::POST, "/rpc/set_project_active", ADMIN),
];

/// The rule for a route, if it has one. `HEAD` is served by a route's `GET` and has its rule.
pub fn find(method: &Method, path: &str) -> Option<&'static Rule> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    RULES
        .iter()
        .find(|rule| rule.method == method && rule.path == path)
}

/// The methods a route answers, for the `Allow` header of a 405; empty for an unknown route.
pub fn methods_of(path: &str) -> Vec<Method> {
    RULES
        .iter()
        .filter(|rule| rule.path == path)
        .map(|rule| rule.method.clone())
        .collect()
}

/// Whether a route is a dashboard page (redirected to sign-in rather than answered with 401).
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/rpc/")
        || path == "/healthz"
        || path == "/readyz")
}
