//! The names this server answers to, against DNS rebinding.
//!
//! A web page on another site can make its own name resolve to 127.0.0.1 and then send requests
//! to a help desk on this machine as if they were same-origin: the browser still names the page's
//! host in `Host` (and in `Origin`, which the guard compares with `Host`). So a request is served
//! only when its `Host` names this server: the host of its public URL, a name given with
//! `--allowed-host`, `localhost`, or an IP address (a page cannot rebind an address, only a name).
//! Any other name is answered 421 before anything else happens.

use super::ApiError;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The host names (lower-case, no port) that requests may name besides IP addresses and
/// `localhost`.
#[derive(Clone, Debug)]
pub struct AllowedHosts {
    names: Arc<Vec<String>>,
}

impl AllowedHosts {
    /// The host of `public_url` and the `extra` names.
    pub fn new(public_url: &str, extra: &[String]) -> AllowedHosts {
        let public = public_url
            .parse::<axum::http::Uri>()
            .ok()
            .and_then(|uri| uri.host().map(str::to_string));
        let names = public
            .into_iter()
            .chain(extra.iter().cloned())
            .map(|name| normalized(&name))
            .filter(|name| !name.is_empty())
            .collect();
        AllowedHosts {
            names: Arc::new(names),
        }
    }

    /// Whether a `Host` value (`name`, `name:port`, `[::1]:port`) names this server.
    pub fn allows(&self, host: &str) -> bool {
        let name = normalized(without_port(host));
        if name.is_empty() {
            return false;
        }
        if name == "localhost" || is_ip_address(&name) {
            return true;
        }
        self.names.contains(&name)
    }
}

fn without_port(host: &str) -> &str {
    let host = host.trim();
    if host.starts_with('[') {
        // An IPv6 address: `[::1]` or `[::1]:3000`.
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Lower case, without the trailing dot of a fully qualified name.
fn normalized(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn is_ip_address(name: &str) -> bool {
    let bare = name
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(name);
    bare.parse::<std::net::IpAddr>().is_ok()
}

/// The middleware: 421 for a request whose `Host` names another server. A request without a
/// `Host` (HTTP/1.0) names none and is served; browsers always send one.
pub async fn allowed_host(
    State(hosts): State<AllowedHosts>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|value| value.to_str().unwrap_or(""))
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    if let Some(host) = host
        && !hosts.allows(host)
    {
        tracing::debug!(host, "request for another host refused");
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "unknown_host",
            "this server does not answer to the name in Host; its operator can add it with --public-url or --allowed-host",
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_host_loopback_names_and_addresses_are_served() {
        let hosts = AllowedHosts::new("https://Desk.Example.com/", &["desk.internal".into()]);
        for allowed in [
            "desk.example.com",
            "DESK.example.com:443",
            "desk.example.com.",
            "desk.internal:3000",
            "localhost:3000",
            "127.0.0.1:3000",
            "192.168.1.20",
            "[::1]:3000",
            "[::1]",
        ] {
            assert!(hosts.allows(allowed), "{allowed}");
        }
        for refused in [
            "evil.example",
            "evil.example:3000",
            "desk.example.com.evil.example",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "",
            ":3000",
            "[::1",
        ] {
            assert!(!hosts.allows(refused), "{refused}");
        }
    }
}
