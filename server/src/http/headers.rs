//! Security headers on every response.
//!
//! Dashboard pages set their own Content-Security-Policy, with the nonce of their hydration
//! script (see `app::security`); every other response gets one that allows nothing at all.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of responses that are not pages: nothing may load, nothing may frame them.
const LOCKED_DOWN_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the headers; install as an outer layer.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set_default = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set_default(header::CONTENT_SECURITY_POLICY, LOCKED_DOWN_POLICY);
    set_default(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(header::REFERRER_POLICY, "same-origin");
    set_default(header::X_FRAME_OPTIONS, "DENY");
    set_default(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    response
}
