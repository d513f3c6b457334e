//! The Content-Security-Policy of dashboard pages (server only).
//!
//! Leptos renders its hydration script with a fresh nonce for every page; the policy allows
//! scripts from this site and that one inline script, WebAssembly compilation, and nothing
//! inline besides. User text can therefore never run as script, even if it escaped the
//! renderer's escaping.

use leptos::prelude::*;

/// Sets the page's policy on the response being rendered.
pub fn set_page_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        &*nonce
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
