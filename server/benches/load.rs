//! The load benchmark: REST ticket creation throughput and queue first-page latency.
//!
//! Starts the real server in-process on a random port over the chosen database, files tickets
//! through the REST API from concurrent clients, then times the first page of the queue with and
//! without filters. Figures are printed, never asserted: see docs/performance.md.
//!
//! Descriptions are 40 words drawn from a 5,000-word vocabulary with Zipf's law, like natural
//! text: the commonest word is in most tickets, the rarest in a handful.
//!
//! `cargo bench -p server --bench load -- [--tickets N] [--clients N] [--database URL]`

use app::accounts::{NewAgent, NewToken};
use app::model::Role;

use serde_json::json;
use server::auth::{AuthService, AuthSettings};
use server::site::SiteSettings;
use server::storage::{DatabaseSettings, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: server::Allocator = server::Allocator;

struct Options {
    tickets: usize,
    clients: usize,
    database: Option<String>,
    samples: usize,
}

fn options() -> Options {
    let mut options = Options {
        tickets: 100_000,
        clients: 8,
        database: None,
        samples: 200,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = || arguments.next().expect("a value after the flag");
        match argument.as_str() {
            "--tickets" => options.tickets = value().parse().expect("a number of tickets"),
            "--clients" => options.clients = value().parse().expect("a number of clients"),
            "--samples" => options.samples = value().parse().expect("a number of samples"),
            "--database" => options.database = Some(value()),
            _ => {} // cargo passes --bench
        }
    }
    options
}

/// Words `w1` (commonest) to `w5000`, drawn with probability proportional to 1/rank.
struct Vocabulary {
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new() -> Vocabulary {
        let cumulative = (1..=5000)
            .scan(0.0, |sum, rank| {
                *sum += 1.0 / f64::from(rank);
                Some(*sum)
            })
            .collect();
        Vocabulary { cumulative }
    }

    /// The `count` words of ticket `index`: deterministic, so a run is repeatable.
    fn text(&self, index: usize, count: usize) -> String {
        let mut state = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let total = *self.cumulative.last().unwrap();
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let target = (state % 1_000_000) as f64 / 1_000_000.0 * total;
                format!(
                    "w{}",
                    self.cumulative.partition_point(|sum| *sum < target) + 1
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let options = options();
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
        embedded_memory: Default::default(),
        migration_batch: server::storage::DEFAULT_MIGRATION_BATCH,
    })
    .await
    .expect("the database opens");
    let auth = Arc::new(AuthService::new(store.clone(), AuthSettings::default()));
    // Every request carries an admin's API token, as an integration's would.
    let email = format!("bench-{}@example.com", server::auth::secret::random_id());
    auth.create_agent_from_console(
        NewAgent {
            email: email.clone(),
            name: "Benchmark".into(),
            role: Some(Role::Admin),
            password: "benchmark password".into(),
        }
        .parse()
        .expect("a valid agent"),
    )
    .await
    .expect("the benchmark agent is created");
    let token = auth
        .issue_token_for(
            &email,
            NewToken {
                name: "load benchmark".into(),
                role: None,
            }
            .parse()
            .expect("a valid token request"),
        )
        .await
        .expect("a token")
        .secret;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("a header value"),
    );
    let new_client = move || {
        reqwest::Client::builder()
            .default_headers(headers.clone())
            .build()
            .expect("a client")
    };
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
            ingest_per_minute: 0,
            spike: server::storage::SpikeRule {
                reports: 50,
                window: std::time::Duration::from_secs(300),
            },
        },
    );
    tokio::spawn(server::serve::serve(
        listener,
        router,
        Default::default(),
        std::future::pending(),
    ));
    let base = format!("http://{address}");
    println!("database: {url}");

    // Creation: N tickets from C concurrent clients over HTTP.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let clients: Vec<_> = (0..options.clients)
        .map(|_| {
            let next = next.clone();
            let base = base.clone();
            let total = options.tickets;
            let vocabulary = Vocabulary::new();
            let client = new_client();
            tokio::spawn(async move {
                let urgencies = ["critical", "high", "medium", "low", "none"];
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= total {
                        break;
                    }
                    let response = client
                        .post(format!("{base}/api/v1/tickets"))
                        .json(&json!({
                            "title": format!("Benchmark ticket {index}"),
                            "description": vocabulary.text(index, 40),
                            "customer": format!("Customer {}", index % 997),
                            "urgency": urgencies[index % 5],
                        }))
                        .send()
                        .await
                        .expect("the server answers");
                    assert_eq!(response.status(), 201, "creation failed");
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "create: {} tickets from {} clients in {:.1} s = {:.0} tickets/s",
        options.tickets,
        options.clients,
        elapsed.as_secs_f64(),
        options.tickets as f64 / elapsed.as_secs_f64()
    );

    // Search: the first full-text search after the fill finds the last ticket created, by its
    // title. If it does not, the search is tried again every second for ten seconds, saying when
    // it does.
    let client = new_client();
    let last = format!("TCK-{}", options.tickets);
    let ticket: serde_json::Value = client
        .get(format!("{base}/api/v1/tickets/{last}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let title = ticket["title"]
        .as_str()
        .expect("the last ticket has a title");
    let search = format!(
        "{base}/api/v1/search?q={}&scope=tickets",
        title.replace(' ', "+")
    );
    let fill_ended = Instant::now();
    for attempt in 0..=10 {
        let started = Instant::now();
        let response = client.get(&search).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let results: serde_json::Value = response.json().await.unwrap();
        let found = results["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|hit| hit["reference"] == last.as_str()));
        println!(
            "search {:.1} s after the fill: answered in {:.0} ms, {last} {}",
            started.duration_since(fill_ended).as_secs_f64(),
            started.elapsed().as_secs_f64() * 1000.0,
            if found { "found" } else { "NOT FOUND" }
        );
        if found || attempt == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    // Queue: first page latency, unfiltered and filtered.
    for query in [
        "",
        "?urgency=critical",
        "?status=new",
        "?status=all",
        "?urgency=none&status=open",
        "?q=w1",
        "?q=w300",
        "?q=w4000",
        "?q=w2+w300",
        "?q=ticket+99999",
        "?q=nowhere",
    ] {
        let mut samples = Vec::with_capacity(options.samples);
        for _ in 0..options.samples {
            let started = Instant::now();
            let response = client
                .get(format!("{base}/api/v1/tickets{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let _ = response.bytes().await.unwrap();
            samples.push(started.elapsed());
        }
        samples.sort();
        println!(
            "queue first page {:<28} p50 {:>7.2} ms  p99 {:>7.2} ms",
            if query.is_empty() {
                "(open, any urgency)"
            } else {
                query
            },
            percentile(&samples, 0.5).as_secs_f64() * 1000.0,
            percentile(&samples, 0.99).as_secs_f64() * 1000.0
        );
    }
}
