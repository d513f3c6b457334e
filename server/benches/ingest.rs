//! The ingestion benchmark: crash reports per second from concurrent clients, their latency, and
//! the process's peak memory.
//!
//! Starts the real server in-process over the chosen database, creates one project, then floods
//! `POST /api/{id}/envelope/` from concurrent clients with a realistic mix: most reports repeat one
//! of ~100 known problems, a few are new problems. The clients run in a child process (this same
//! binary with `--flood URL`), so that the peak memory printed is the server's alone. Figures are
//! printed, never asserted: see docs/performance.md.
//!
//! `cargo bench -p server --bench ingest -- [--events N] [--clients N] [--problems N] [--users N]
//! [--database URL] [--write-buffer-mib N] [--read-cache-mib N] [--per-minute N]`
//!
//! `--per-minute` sets the project's rate limit (the default, 0, turns it off); a limit far above
//! what the flood sends measures what keeping the shared bucket costs.

use serde_json::json;
use server::auth::{AuthService, AuthSettings};
use server::site::SiteSettings;
use server::storage::{DatabaseSettings, EmbeddedMemory, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: server::Allocator = server::Allocator;

struct Options {
    events: usize,
    clients: usize,
    problems: usize,
    users: usize,
    database: Option<String>,
    write_buffer_mib: u64,
    read_cache_mib: u64,
    /// The project's rate limit a minute (0: none).
    per_minute: u32,
    /// Set in the child process: the endpoint to flood.
    flood: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        events: 20_000,
        clients: 8,
        problems: 100,
        users: 500,
        database: None,
        write_buffer_mib: EmbeddedMemory::DEFAULT_WRITE_BUFFER_MIB,
        read_cache_mib: EmbeddedMemory::DEFAULT_READ_CACHE_MIB,
        per_minute: 0,
        flood: None,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = || arguments.next().expect("a value after the flag");
        match argument.as_str() {
            "--events" => options.events = value().parse().expect("a number of events"),
            "--clients" => options.clients = value().parse().expect("a number of clients"),
            "--problems" => options.problems = value().parse().expect("a number of problems"),
            "--users" => options.users = value().parse().expect("a number of users"),
            "--database" => options.database = Some(value()),
            "--flood" => options.flood = Some(value()),
            "--write-buffer-mib" => options.write_buffer_mib = value().parse().expect("MiB"),
            "--read-cache-mib" => options.read_cache_mib = value().parse().expect("MiB"),
            "--per-minute" => options.per_minute = value().parse().expect("reports a minute"),
            _ => {} // cargo passes --bench
        }
    }
    options
}

/// A memory figure of this process from /proc (Linux): `VmHWM` is the peak resident memory,
/// `RssFile` the part of it mapped from files, which is this program's code.
fn memory_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Report `index`: 95 in 100 repeat a known problem, the others are new ones; each names one of
/// `users` users (none when `users` is 0).
fn envelope(index: usize, problems: usize, users: usize) -> Vec<u8> {
    let problem = if index % 20 == 7 {
        format!("new_{index}")
    } else {
        format!("known_{}", index % problems)
    };
    let mut event = json!({
        "level": "error", "platform": "rust", "release": "bench@1.0.0", "environment": "production",
        "tags": { "worker": index % 8 },
        "exception": { "values": [{
            "type": "BenchError", "value": format!("failure number {index}"),
            "stacktrace": { "frames": [
                { "function": "bench::main", "in_app": true, "lineno": 10 },
                { "function": format!("bench::{problem}"), "in_app": true, "lineno": 20 },
                { "function": "std::rt::lang_start", "in_app": false }
            ]}
        }]},
        "breadcrumbs": { "values": [{ "category": "http", "message": "GET /cart" }] }
    });
    if users > 0 {
        event["user"] = json!({ "id": format!("user-{}", index % users) });
    }
    let payload = serde_json::to_vec(&event).unwrap();
    let mut body = format!(
        "{{\"event_id\":\"{index:032x}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n",
        payload.len()
    )
    .into_bytes();
    body.extend(payload);
    body.push(b'\n');
    body
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let options = options();
    match &options.flood {
        Some(endpoint) => flood(endpoint, &options).await,
        None => serve_and_measure(&options).await,
    }
}

/// The parent: serves a fresh database, runs the clients in a child process, and prints their
/// figures with the server's peak memory.
async fn serve_and_measure(options: &Options) {
    let data = tempfile::tempdir().expect("a temporary directory");
    let url = options
        .database
        .clone()
        .unwrap_or_else(|| format!("surrealkv://{}", data.path().display()));
    let store = Store::open(&DatabaseSettings {
        url: url.clone(),
        credentials: None,
        namespace: "bench".into(),
        database: "bench".into(),
        embedded_memory: EmbeddedMemory::from_mib(options.write_buffer_mib, options.read_cache_mib),
        migration_batch: server::storage::DEFAULT_MIGRATION_BATCH,
    })
    .await
    .expect("the database opens");
    let auth = Arc::new(AuthService::new(store.clone(), AuthSettings::default()));
    let project = store
        .insert_project("Benchmark", "0123456789abcdef0123456789abcdef")
        .await
        .expect("a project");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = server::app_router(
        store,
        auth,
        SiteSettings {
            site_root: "target/site".into(),
            address,
            public_url: format!("http://{address}"),
            allowed_hosts: Vec::new(),
            request_timeout: server::REQUEST_TIMEOUT,
            ingest_per_minute: options.per_minute,
            spike: server::storage::SpikeRule {
                reports: 0,
                window: Duration::from_secs(300),
            },
        },
    );
    tokio::spawn(server::serve::serve(
        listener,
        router,
        Default::default(),
        std::future::pending(),
    ));
    let endpoint = format!(
        "http://{address}/api/{}/envelope/?sentry_key=0123456789abcdef0123456789abcdef",
        project.number
    );
    println!("database: {url}");
    let mut clients = std::process::Command::new(std::env::current_exe().expect("this binary"));
    clients
        .args(["--flood", &endpoint])
        .args(["--events", &options.events.to_string()])
        .args(["--clients", &options.clients.to_string()])
        .args(["--problems", &options.problems.to_string()])
        .args(["--users", &options.users.to_string()])
        .stderr(std::process::Stdio::inherit());
    let output = tokio::task::spawn_blocking(move || clients.output())
        .await
        .unwrap()
        .expect("the clients' process runs");
    assert!(output.status.success(), "the clients failed");
    println!(
        "{}; server peak memory {:.0} MiB ({:.0} MiB of it code)",
        String::from_utf8_lossy(&output.stdout).trim_end(),
        memory_mib("VmHWM:").unwrap_or(0.0),
        memory_mib("RssFile:").unwrap_or(0.0),
    );
}

/// The child: floods `endpoint` from concurrent clients and prints their rate and latencies.
async fn flood(endpoint: &str, options: &Options) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..options.clients)
        .map(|_| {
            let next = next.clone();
            let endpoint = endpoint.to_owned();
            let (total, problems, users) = (options.events, options.problems, options.users);
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut latencies = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= total {
                        break latencies;
                    }
                    let body = envelope(index, problems, users);
                    let sent = Instant::now();
                    let response = client
                        .post(&endpoint)
                        .body(body)
                        .send()
                        .await
                        .expect("the server answers");
                    let status = response.status();
                    if status != 200 {
                        let body = response.text().await.unwrap_or_default();
                        panic!("a report was refused with {status}: {body}");
                    }
                    latencies.push(sent.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(options.events);
    for client in clients {
        latencies.extend(client.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "ingest: {} events from {} clients in {:.1} s = {:.0} events/s; latency p50 {:.2} ms, p99 {:.2} ms; clients' peak memory {:.0} MiB",
        options.events,
        options.clients,
        elapsed.as_secs_f64(),
        options.events as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        memory_mib("VmHWM:").unwrap_or(0.0),
    );
}
