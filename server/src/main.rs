//! The `helpdesk` binary: reads configuration, opens storage and serves.

use clap::Parser;
use server::Config;
use server::auth::AuthService;
use server::config::Command;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: server::Allocator = server::Allocator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to standard error, so that what a command prints on standard output (a token)
    // is only its result, whatever the database logs meanwhile.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
    // Once the database is open, every handle to it is gone when the work is done; SurrealDB
    // then closes it in a task of its own, which exiting first would cut short.
    let result = match &config.command {
        Some(command) => {
            let (_, auth) = server::open(&config).await?;
            run_command(command, auth).await
        }
        None => {
            let (app, auth) = server::build(&config).await?;
            serve(&config, app, auth).await
        }
    };
    config.database_settings().wait_until_closed(CLOSING).await;
    result
}

/// How long the process waits for the embedded database to close before it exits.
const CLOSING: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves until Ctrl-C or SIGTERM. While the help desk has no agent, prints the link that sets
/// up the first admin (it carries the one-time setup code).
async fn serve(config: &Config, app: axum::Router, auth: Arc<AuthService>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.address).await?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "serving the help desk");
    if app::service::AccountService::first_run(auth.as_ref()).await? {
        let local = match address.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
                std::net::SocketAddr::from(([127, 0, 0, 1], address.port()))
            }
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
                std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, address.port()))
            }
            _ => address,
        };
        eprintln!(
            "This help desk has no agents yet. Set up the first admin from this machine at\n    {}\n(or run `helpdesk create-admin`)",
            auth.setup_link(&format!("http://{local}"))
        );
    }
    server::serve::serve(listener, app, Default::default(), shutdown()).await;
    Ok(())
}

/// Runs an administrative task and exits.
async fn run_command(command: &Command, auth: Arc<AuthService>) -> anyhow::Result<()> {
    match command {
        Command::CreateAdmin { email, name } => {
            let password = match std::env::var("HELPDESK_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let draft = app::accounts::NewAgent {
                email: email.clone(),
                name: name.clone(),
                role: Some(app::model::Role::Admin),
                password,
            }
            .parse()
            .map_err(|error| anyhow::anyhow!("{error}"))?;
            let agent = auth.create_agent_from_console(draft).await?;
            println!("created admin {} ({})", agent.email, agent.id);
        }
        Command::CreateToken { email, name, role } => {
            let role: app::model::Role =
                role.parse().map_err(|error| anyhow::anyhow!("{error}"))?;
            let draft = app::accounts::NewToken {
                name: name.clone(),
                role: Some(role),
            }
            .parse()
            .map_err(|error| anyhow::anyhow!("{error}"))?;
            let token = auth
                .issue_token_for(&email.trim().to_lowercase(), draft)
                .await?;
            println!("{}", token.secret);
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the server exits.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
