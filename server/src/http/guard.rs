//! The guard in front of every route: who is calling, may they, and did the request come from our
//! own pages.
//!
//! For each request it finds the route's rule in [`super::rules::RULES`] (refusing routes without
//! one), resolves the caller from a bearer token or the session cookie, refuses cross-site
//! state-changing requests that ride on the cookie (CSRF), checks the role, and hands the
//! [`Principal`] (a stranger when nobody signed in) to the handler in the request's extensions.

use super::ApiError;
use super::rules::{self, Access};
use crate::auth::service::{AuthService, SESSION_COOKIE};
use app::accounts::{ClientAddress, Principal};
use app::service::HelpDeskError;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use std::sync::Arc;

/// What the guard needs.
#[derive(Clone)]
pub struct GuardState {
    /// Resolves callers.
    pub auth: Arc<AuthService>,
}

/// The middleware; install with `route_layer` so that the matched route is known.
pub async fn guard(State(state): State<GuardState>, mut request: Request, next: Next) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_string())
    else {
        return next.run(request).await;
    };
    let method = request.method().clone();
    let Some(rule) = rules::find(&method, &path) else {
        let allowed = rules::methods_of(&path);
        if !allowed.is_empty() {
            // The route exists with other methods: the client's mistake, not a missing rule.
            tracing::debug!(%method, %path, "method not allowed");
            return method_not_allowed(&method, &allowed);
        }
        tracing::error!(%method, %path, "route has no access rule; refused");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "no_access_rule",
            "this route has no access rule",
        )
        .into_response();
    };
    if rule.access == Access::ProjectKey {
        return next.run(request).await;
    }
    let principal = match state.auth.resolve(request.headers()).await {
        Ok(Some(agent)) => Principal::Agent(agent),
        Ok(None) => Principal::Stranger,
        Err(error @ HelpDeskError::Unauthenticated(_)) => {
            return refuse_unauthenticated(&path, request.uri(), error);
        }
        Err(error) => return ApiError::from(error).into_response(),
    };
    if is_state_changing(&method)
        && rides_on_cookie(request.headers())
        && !same_origin(request.headers())
    {
        tracing::warn!(%method, %path, "cross-site request refused");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "this request did not come from the help desk's own pages",
        )
        .into_response();
    }
    if let Access::AtLeast(required) = rule.access
        && let Err(error) = principal.require(required)
    {
        return match error {
            HelpDeskError::Unauthenticated(_) => {
                refuse_unauthenticated(&path, request.uri(), error)
            }
            other => ApiError::from(other).into_response(),
        };
    }
    request.extensions_mut().insert::<Principal>(principal);
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        let client = state.auth.client_address(peer.ip(), request.headers());
        request.extensions_mut().insert::<ClientAddress>(client);
    }
    next.run(request).await
}

/// 405 with the `Allow` header listing the methods the route has.
fn method_not_allowed(method: &Method, allowed: &[Method]) -> Response {
    let mut names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    if allowed.contains(&Method::GET) {
        names.push("HEAD");
    }
    let allow = names.join(", ");
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this route does not answer {method}; it answers {allow}"),
    )
    .into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

fn refuse_unauthenticated(path: &str, uri: &axum::http::Uri, error: HelpDeskError) -> Response {
    if rules::is_page(path) {
        let next = uri
            .path_and_query()
            .map(|path_and_query| path_and_query.as_str())
            .unwrap_or("/");
        let target = format!("/login?next={}", percent_encode(next));
        return Redirect::to(&target).into_response();
    }
    ApiError::from(error).into_response()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the browser may have attached credentials on its own: no bearer token was sent, so a
/// session cookie (present or not, since sign-in itself must not be forged either) is in play.
fn rides_on_cookie(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::AUTHORIZATION) {
        return false;
    }
    let has_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains(SESSION_COOKIE));
    let from_a_browser = headers.contains_key(header::ORIGIN)
        || headers.contains_key(header::REFERER)
        || headers.contains_key("sec-fetch-site");
    has_cookie || from_a_browser
}

/// Whether the request's Origin (or, lacking it, Referer) names the host it was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|site| site == "cross-site" || site == "same-site")
    {
        return false;
    }
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    let Some(source) = source else {
        return false;
    };
    let authority = source
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
        .unwrap_or("");
    !authority.is_empty() && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_origin_requests_pass_and_cross_site_ones_do_not() {
        assert!(same_origin(&headers(&[
            ("host", "desk:3000"),
            ("origin", "http://desk:3000")
        ])));
        assert!(same_origin(&headers(&[
            ("host", "desk:3000"),
            ("referer", "http://desk:3000/tickets/TCK-1")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "desk:3000"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "desk:3000"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&headers(&[("host", "desk:3000")])));
        assert!(!same_origin(&headers(&[
            ("host", "desk:3000"),
            ("origin", "http://desk:3000"),
            ("sec-fetch-site", "cross-site")
        ])));
    }

    #[test]
    fn bearer_requests_do_not_ride_on_cookies() {
        assert!(!rides_on_cookie(&headers(&[
            ("authorization", "Bearer x"),
            ("cookie", "helpdesk_session=a")
        ])));
        assert!(rides_on_cookie(&headers(&[(
            "cookie",
            "helpdesk_session=a"
        )])));
        assert!(rides_on_cookie(&headers(&[(
            "origin",
            "http://evil.example"
        )])));
        assert!(!rides_on_cookie(&headers(&[])));
    }
}
