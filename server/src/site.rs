//! The dashboard site: server-rendered Leptos pages, server functions and the static bundle.

use app::service::{SharedAccounts, SharedHelpDesk};
use app::{App, shell};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the built site lives.
#[derive(Clone, Debug)]
pub struct SiteSettings {
    /// The directory holding `pkg/` (wasm bundle and CSS) and the public files.
    pub site_root: PathBuf,
    /// The address the server listens on.
    pub address: SocketAddr,
}

/// The output name of the wasm bundle and stylesheet under `/pkg`.
pub const OUTPUT_NAME: &str = "helpdesk";

/// The pages, the server functions and the static files.
pub fn router(
    help_desk: SharedHelpDesk,
    accounts: SharedAccounts,
    settings: SiteSettings,
) -> Router {
    let options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.address)
        .build();
    let routes = generate_route_list(App);
    let context = move || {
        provide_context(help_desk.clone());
        provide_context(accounts.clone());
    };
    Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
}
