//! The knowledge benchmark: full-text search and suggestion latency over a large help desk.
//!
//! Fills an embedded on-disk database through the store's own operations (the ones the REST
//! API calls): N tickets, a fifth of them resolved with a resolution and a fix attempt on their
//! timeline, and M published articles. Then times searches of common, rare and mixed words and
//! suggestions for new tickets describing a problem, as the dashboard asks for them. Figures
//! are printed, never asserted: see docs/performance.md.
//!
//! Text is made of 5,000 pronounceable words drawn with Zipf's law, like natural text: the
//! commonest word is in most tickets, the rarest in a handful.
//!
//! `cargo bench -p server --bench knowledge -- [--tickets N] [--articles N] [--samples N]
//! [--write-buffer-mib N] [--read-cache-mib N]`

use app::accounts::{AgentPrincipal, Credential, Principal};
use app::articles::NewArticle;
use app::model::{ArticleStatus, EntryKind, Outcome, Status, TicketRef};
use app::requests::{NewEntry, NewTicket, TransitionRequest};
use app::search::{SearchQuery, SearchScope};
use app::service::{ArticleService, SearchService, TicketService};
use server::desk::Desk;
use server::storage::{DatabaseSettings, EmbeddedMemory, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: server::Allocator = server::Allocator;

struct Options {
    tickets: usize,
    articles: usize,
    samples: usize,
    workers: usize,
    data: Option<std::path::PathBuf>,
    settle: u64,
    write_buffer_mib: u64,
    read_cache_mib: u64,
}

fn options() -> Options {
    let mut options = Options {
        tickets: 100_000,
        articles: 5_000,
        samples: 200,
        workers: 16,
        data: None,
        settle: 0,
        write_buffer_mib: EmbeddedMemory::DEFAULT_WRITE_BUFFER_MIB,
        read_cache_mib: EmbeddedMemory::DEFAULT_READ_CACHE_MIB,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        let mut value = || arguments.next().expect("a value after the flag");
        match argument.as_str() {
            "--tickets" => options.tickets = value().parse().expect("a number of tickets"),
            "--articles" => options.articles = value().parse().expect("a number of articles"),
            "--samples" => options.samples = value().parse().expect("a number of samples"),
            "--workers" => options.workers = value().parse().expect("a number of workers"),
            "--data" => options.data = Some(value().into()),
            "--settle" => options.settle = value().parse().expect("a number of seconds"),
            "--write-buffer-mib" => options.write_buffer_mib = value().parse().expect("MiB"),
            "--read-cache-mib" => options.read_cache_mib = value().parse().expect("MiB"),
            _ => {} // cargo passes --bench
        }
    }
    options
}

/// 5,000 pronounceable words, drawn with probability proportional to 1/rank.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new() -> Vocabulary {
        const SYLLABLES: [&str; 20] = [
            "ka", "lo", "mi", "ne", "ru", "ta", "po", "si", "de", "ba", "vu", "ge", "zo", "fi",
            "ha", "jo", "ple", "stra", "cor", "din",
        ];
        let words = (0..5000usize)
            .map(|mut index| {
                let mut word = String::new();
                for _ in 0..3 {
                    word.push_str(SYLLABLES[index % SYLLABLES.len()]);
                    index /= SYLLABLES.len();
                }
                word.push_str(["x", "m", "q", "t", "k"][index % 5]);
                word
            })
            .collect();
        let cumulative = (1..=5000)
            .scan(0.0, |sum, rank| {
                *sum += 1.0 / f64::from(rank);
                Some(*sum)
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    /// The word of a rank (1 is the commonest).
    fn word(&self, rank: usize) -> &str {
        &self.words[rank - 1]
    }

    /// `count` words for `seed`: deterministic, so a run is repeatable.
    fn text(&self, seed: usize, count: usize) -> String {
        let mut state = (seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let total = *self.cumulative.last().unwrap();
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let target = (state % 1_000_000) as f64 / 1_000_000.0 * total;
                self.words[self.cumulative.partition_point(|sum| *sum < target)].as_str()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

/// Runs `job(index)` for every index below `total` on `workers` tasks.
async fn in_parallel<F, Fut>(total: usize, workers: usize, job: F)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let next = next.clone();
            let job = job.clone();
            tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= total {
                        break;
                    }
                    job(index).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a worker finished");
    }
}

async fn time<F, Fut>(label: &str, samples: usize, mut run: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut latencies = Vec::with_capacity(samples);
    let mut found = 0;
    for sample in 0..samples {
        let started = Instant::now();
        found += run(sample).await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    println!(
        "{label:<44} p50 {:>7.2} ms  p99 {:>7.2} ms  ({:.1} results on average)",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        found as f64 / samples as f64
    );
}

#[tokio::main]
async fn main() {
    let options = options();
    // `--data DIR` keeps the filled database for the next run, which then only measures.
    let temporary = tempfile::tempdir().expect("a temporary directory");
    let directory = options
        .data
        .clone()
        .unwrap_or_else(|| temporary.path().to_path_buf());
    let filled = std::fs::read_dir(&directory).is_ok_and(|mut entries| entries.next().is_some());
    let url = format!("surrealkv://{}", directory.display());
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
    let vocabulary = Arc::new(Vocabulary::new());
    println!("database: {url}");

    if !filled {
        fill(&store, &vocabulary, &options).await;
    } else {
        println!("reusing the filled database");
    }
    measure(&store, &vocabulary, &options).await;
    // The full-text indexes take writes as deltas that a background task folds in every few
    // seconds; queries fold what is not yet compacted. After a bulk fill, measure again once
    // the database has had time to catch up, as it would between bursts of real work.
    if options.settle > 0 {
        println!("settling for {} s", options.settle);
        tokio::time::sleep(Duration::from_secs(options.settle)).await;
        measure(&store, &vocabulary, &options).await;
    }
}

/// The desk over the store, as the surfaces call it.
fn desk(store: &Store) -> Desk {
    Desk::new(store.clone(), "http://bench.invalid")
}

/// An agent calling the desk, as a signed-in dashboard user does.
fn bench_agent() -> Principal {
    Principal::Agent(AgentPrincipal {
        agent_id: "bench".into(),
        email: "bench@example.com".into(),
        name: "Bench".into(),
        role: app::model::Role::Agent,
        credential: Credential::Session { id: "bench".into() },
    })
}

/// Tickets (every fifth resolved, with a fix attempt that worked and a resolution) and articles.
async fn fill(store: &Store, vocabulary: &Arc<Vocabulary>, options: &Options) {
    let started = Instant::now();
    {
        let store = store.clone();
        let vocabulary = vocabulary.clone();
        in_parallel(options.tickets, options.workers, move |index| {
            let store = store.clone();
            let vocabulary = vocabulary.clone();
            async move {
                let resolved = index % 5 == 0;
                let draft = NewTicket {
                    title: vocabulary.text(index * 3, 6),
                    description: vocabulary.text(index * 3 + 1, 40),
                    customer: format!("Customer {}", index % 997),
                    environment: "Windows 11, client 4.2".into(),
                    occurred_at: Some("2026-11-28T08:00:00Z".into()),
                    manner: "during the nightly run".into(),
                    ..NewTicket::default()
                }
                .parse(app::model::Channel::Api)
                .expect("a valid ticket");
                let ticket = desk(&store)
                    .create_ticket(&bench_agent(), draft, None)
                    .await
                    .expect("created");
                if resolved {
                    resolve(
                        &store,
                        ticket.reference,
                        &vocabulary.text(index * 3 + 2, 20),
                    )
                    .await;
                }
            }
        })
        .await;
    }
    let elapsed = started.elapsed();
    println!(
        "fill: {} tickets ({} resolved) in {:.0} s = {:.0} tickets/s",
        options.tickets,
        options.tickets / 5,
        elapsed.as_secs_f64(),
        options.tickets as f64 / elapsed.as_secs_f64()
    );

    let started = Instant::now();
    {
        let store = store.clone();
        let vocabulary = vocabulary.clone();
        let tickets = options.tickets.max(1);
        in_parallel(options.articles, options.workers, move |index| {
            let store = store.clone();
            let vocabulary = vocabulary.clone();
            async move {
                let draft = NewArticle {
                    title: vocabulary.text(1_000_000 + index * 3, 6),
                    symptoms: vocabulary.text(1_000_000 + index * 3 + 1, 40),
                    resolution: vocabulary.text(1_000_000 + index * 3 + 2, 30),
                    tags: vec!["benchmark".into()],
                    tickets: vec![format!("TCK-{}", (index * 5) % tickets + 1)],
                    status: Some(ArticleStatus::Published),
                }
                .parse()
                .expect("a valid article");
                desk(&store)
                    .create_article(&bench_agent(), draft)
                    .await
                    .expect("created");
            }
        })
        .await;
    }
    println!(
        "fill: {} articles in {:.0} s",
        options.articles,
        started.elapsed().as_secs_f64()
    );
}

/// Times searches and suggestions.
async fn measure(store: &Store, vocabulary: &Arc<Vocabulary>, options: &Options) {
    // Searches as an agent types them: common, middling and rare words, and mixes.
    let v = &vocabulary;
    for (label, q) in [
        ("search: the commonest word", v.word(1).to_string()),
        ("search: a common word (rank 20)", v.word(20).to_string()),
        (
            "search: a middling word (rank 300)",
            v.word(300).to_string(),
        ),
        ("search: a rare word (rank 4000)", v.word(4000).to_string()),
        (
            "search: two middling words",
            format!("{} {}", v.word(150), v.word(700)),
        ),
        (
            "search: common + rare",
            format!("{} {}", v.word(3), v.word(3500)),
        ),
        (
            "search: five words",
            format!(
                "{} {} {} {} {}",
                v.word(10),
                v.word(90),
                v.word(400),
                v.word(1200),
                v.word(2500)
            ),
        ),
    ] {
        let query = SearchQuery::parse(&q, SearchScope::All, Vec::new(), 0, 20).expect("a query");
        time(label, options.samples, |_| {
            let store = store.clone();
            let query = query.clone();
            async move {
                desk(&store)
                    .search(&bench_agent(), query)
                    .await
                    .expect("searched")
                    .items
                    .len()
            }
        })
        .await;
    }
    // Suggestions for a ticket being entered: a title and a description, as typed.
    time(
        "suggestions: a new ticket (6 + 40 words)",
        options.samples,
        |sample| {
            let store = store.clone();
            let text = format!(
                "{} {}",
                vocabulary.text(5_000_000 + sample * 2, 6),
                vocabulary.text(5_000_000 + sample * 2 + 1, 40)
            );
            async move {
                let found = desk(&store)
                    .suggestions(&bench_agent(), &text)
                    .await
                    .expect("suggested");
                found.articles.len() + found.tickets.len()
            }
        },
    )
    .await;
    time(
        "suggestions: an open ticket's page",
        options.samples,
        |sample| {
            let store = store.clone();
            let reference =
                TicketRef::from_number((sample * 7919) as u64 % options.tickets as u64 + 1)
                    .expect("a reference");
            async move {
                let found = desk(&store)
                    .ticket_suggestions(&bench_agent(), reference)
                    .await
                    .expect("suggested");
                found.articles.len() + found.tickets.len()
            }
        },
    )
    .await;
}

async fn resolve(store: &Store, reference: TicketRef, fix: &str) {
    let desk = desk(store);
    let entry = NewEntry {
        kind: EntryKind::Attempt,
        body: fix.to_string(),
        outcome: Some(Outcome::Worked),
    }
    .parse()
    .expect("a valid entry");
    desk.add_entry(&bench_agent(), reference, entry, None)
        .await
        .expect("added");
    for (to, resolution) in [
        (Status::Verified, None),
        (Status::InProgress, None),
        (Status::Resolved, Some(fix.to_string())),
    ] {
        let transition = TransitionRequest {
            to,
            resolution,
            release: None,
        }
        .parse()
        .expect("a valid transition");
        desk.transition(&bench_agent(), reference, transition)
            .await
            .expect("moved");
    }
}
