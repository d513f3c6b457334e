//! The `reporter` crate inside a real program: its panics, errors and `tracing` errors become
//! tickets, one per problem, and a report made while the server is down arrives exactly once
//! when it is back, even from a program built with `panic = "abort"`.

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use support::{TestApp, spawn_app};

/// How the example program is built: panics unwind (the default) or abort the process.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Panics {
    Unwind,
    Abort,
}

/// Builds `reporter/examples/shop.rs` both ways, once per test run; answers the two binaries.
fn shop_binaries() -> &'static (PathBuf, PathBuf) {
    static BINARIES: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"));
        let built = target.join("debug/examples/shop");
        let build = |extra: &[&str], copy_to: &str| {
            let mut command = Command::new(option_env!("CARGO").unwrap_or("cargo"));
            command.current_dir(workspace).args([
                "rustc",
                "--package",
                "reporter",
                "--features",
                "tracing",
                "--example",
                "shop",
            ]);
            command.args(extra);
            // The variables cargo sets for this test would make build scripts of the
            // dependencies run again.
            for (name, _) in std::env::vars_os() {
                let name_text = name.to_string_lossy();
                if name_text.starts_with("CARGO_") && name_text != "CARGO_TARGET_DIR"
                    || name_text == "RUSTC_WRAPPER"
                {
                    command.env_remove(&name);
                }
            }
            let status = command.status().expect("cargo runs");
            assert!(status.success(), "building the shop example failed");
            let copy = target.join("debug/examples").join(copy_to);
            std::fs::copy(&built, &copy).expect("the example was built");
            copy
        };
        let unwind = build(&[], "shop-unwind");
        let abort = build(&["--", "-C", "panic=abort"], "shop-abort");
        (unwind, abort)
    })
}

/// The shop, reporting to `dsn` through the spool in `spool`, failing in the named way.
fn shop_command(panics: Panics, dsn: &str, spool: &Path, failure: &str) -> Command {
    let (unwind, abort) = shop_binaries();
    let binary = if panics == Panics::Abort {
        abort
    } else {
        unwind
    };
    let mut command = Command::new(binary);
    command
        .arg(failure)
        .env("REPORTER_DSN", dsn)
        .env("REPORTER_SPOOL_DIR", spool)
        .env_remove("SENTRY_DSN")
        .env_remove("REPORTER_RELEASE")
        .env_remove("REPORTER_ENVIRONMENT");
    command
}

/// Runs the shop to its end.
async fn run_shop(panics: Panics, dsn: &str, spool: &Path, failure: &str) -> Output {
    run(shop_command(panics, dsn, spool, failure)).await
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("the shop runs"))
        .await
        .unwrap()
}

async fn project(app: &TestApp, name: &str) -> String {
    let (status, project) = app.post("/api/v1/projects", &json!({ "name": name })).await;
    assert_eq!(status, 201, "{project}");
    project["dsn"].as_str().unwrap().to_string()
}

async fn crash_tickets(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/tickets?channel=crash&status=all").await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn events(app: &TestApp, reference: &str) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("/api/v1/tickets/{reference}/events"))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn spooled(spool: &Path) -> usize {
    std::fs::read_dir(spool)
        .map(|entries| {
            entries
                .flatten()
                .filter(|entry| entry.path().extension().is_some_and(|e| e == "envelope"))
                .count()
        })
        .unwrap_or(0)
}

fn frames_of(event: &Value) -> Vec<Value> {
    let exceptions = event["event"]["exception"]["values"].as_array().unwrap();
    exceptions.last().unwrap()["stacktrace"]["frames"]
        .as_array()
        .unwrap()
        .clone()
}

fn function(frame: &Value) -> &str {
    frame["function"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_panicking_program_files_one_ticket_per_problem_with_its_frames() {
    let app = spawn_app().await;
    let dsn = project(&app, "Shop").await;
    let spool = tempfile::tempdir().unwrap();

    let first = run_shop(Panics::Unwind, &dsn, spool.path(), "index").await;
    assert!(!first.status.success(), "the shop panicked");
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("index out of bounds"),
        "the previous panic hook still prints the panic"
    );
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    let ticket = &tickets[0];
    assert!(
        ticket["title"]
            .as_str()
            .unwrap()
            .starts_with("panic: index out of bounds"),
        "{ticket}"
    );
    assert_eq!(ticket["occurrences"], 1);
    assert_eq!(ticket["urgency"], "high");
    assert_eq!(ticket["releases"], json!(["reporter@0.1.0"]));
    assert_eq!(spooled(spool.path()), 0, "a sent report leaves the spool");

    let reference = ticket["reference"].as_str().unwrap();
    let stored = events(&app, reference).await;
    let frames = frames_of(&stored[0]);
    let in_app: Vec<&str> = frames
        .iter()
        .filter(|frame| frame["in_app"] == true)
        .map(function)
        .collect();
    // Outermost first: main calls checkout, which calls cart_total, whose closure indexes.
    let position = |name: &str| in_app.iter().position(|function| function.contains(name));
    let (main, checkout, total) = (
        position("main").expect("main is in the trace"),
        position("checkout").expect("checkout is in the trace"),
        position("cart_total").expect("cart_total is in the trace"),
    );
    assert!(main < checkout && checkout < total, "{in_app:?}");
    assert!(
        function(frames.last().unwrap()).contains("cart_total"),
        "the innermost frame is where it panicked, not the panic machinery: {frames:#?}"
    );
    for frame in &frames {
        let name = function(frame);
        assert!(
            !name.contains("core::panicking")
                && !name.contains("rust_begin_unwind")
                && !name.starts_with("reporter::")
                && !name.contains("::h"),
            "{name}"
        );
    }
    assert_eq!(stored[0]["event"]["user"]["email"], "ada@example.com");
    assert_eq!(stored[0]["event"]["tags"]["customer"], "Example Shop Ltd");
    assert_eq!(stored[0]["event"]["tags"]["thread"], "main");

    run_shop(Panics::Unwind, &dsn, spool.path(), "index").await;
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "the same panic is the same problem");
    assert_eq!(tickets[0]["occurrences"], 2);

    run_shop(Panics::Unwind, &dsn, spool.path(), "config").await;
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 2, "a different panic is another problem");
    let other = tickets
        .iter()
        .find(|ticket| ticket["reference"] != reference)
        .unwrap();
    assert!(
        other["title"].as_str().unwrap().contains("ParseIntError"),
        "{other}"
    );
    assert_eq!(other["occurrences"], 1);
}

#[tokio::test]
async fn errors_and_tracing_events_become_tickets_with_their_causes_and_breadcrumbs() {
    let app = spawn_app().await;
    let dsn = project(&app, "Shop").await;
    let spool = tempfile::tempdir().unwrap();

    let output = run_shop(Panics::Unwind, &dsn, spool.path(), "error").await;
    assert!(output.status.success());
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    assert_eq!(tickets[0]["urgency"], "medium");
    let stored = events(&app, tickets[0]["reference"].as_str().unwrap()).await;
    let chain: Vec<(&str, &str)> = stored[0]["event"]["exception"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|exception| {
            (
                exception["type"].as_str().unwrap(),
                exception["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(chain.len(), 2, "{chain:?}");
    assert_eq!(chain[0].0, "NotFound", "the cause comes first");
    assert_eq!(chain[1], ("StockError", "cannot read the stock levels"));
    // The stack is the caller's: it ends in the example's `main`, without the reporter's frames.
    let frames = frames_of(&stored[0]);
    let innermost = frames.last().expect("the error has a stack");
    assert!(function(innermost).contains("main"), "{frames:#?}");
    assert!(
        frames.iter().all(|frame| !frame["abs_path"]
            .as_str()
            .unwrap_or_default()
            .contains("reporter/src/")),
        "{frames:#?}"
    );

    run_shop(Panics::Unwind, &dsn, spool.path(), "log").await;
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 2);
    let logged = tickets
        .iter()
        .find(|ticket| {
            ticket["title"]
                .as_str()
                .unwrap()
                .contains("payment declined by the bank")
        })
        .unwrap_or_else(|| panic!("{tickets:#?}"));
    let stored = events(&app, logged["reference"].as_str().unwrap()).await;
    let event = &stored[0]["event"];
    assert_eq!(event["level"], "error");
    assert_eq!(event["extra"]["order"], "42");
    let breadcrumbs: Vec<&str> = event["breadcrumbs"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|crumb| crumb["message"].as_str().unwrap())
        .collect();
    assert_eq!(breadcrumbs, ["the shop opens"]);
}

#[cfg(unix)]
#[tokio::test]
async fn a_crash_while_the_server_is_down_is_delivered_exactly_once_when_it_is_back() {
    use std::os::unix::process::ExitStatusExt;
    let mut app = spawn_app().await;
    let dsn = project(&app, "Shop").await;
    let spool = tempfile::tempdir().unwrap();
    app.stop().await;

    let crashed = run_shop(Panics::Abort, &dsn, spool.path(), "index").await;
    assert_eq!(
        crashed.status.signal(),
        Some(6),
        "built with panic = abort, the shop dies by SIGABRT: {crashed:?}"
    );
    assert_eq!(spooled(spool.path()), 1, "the report waits in the spool");

    // Kept aside: the same report, as a sender whose answer was lost would send it again.
    let waiting = std::fs::read_dir(spool.path())
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            path.extension()
                .is_some_and(|extension| extension == "envelope")
        })
        .unwrap();
    let copy = std::fs::read(&waiting).unwrap();

    app.resume().await;
    assert!(crash_tickets(&app).await.is_empty());
    let next_run = run_shop(Panics::Abort, &dsn, spool.path(), "send").await;
    assert!(next_run.status.success(), "{next_run:?}");
    assert_eq!(spooled(spool.path()), 0);
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    assert_eq!(tickets[0]["occurrences"], 1);

    // Sent again, it is answered and removed, but counted once.
    std::fs::write(&waiting, copy).unwrap();
    let again = run_shop(Panics::Abort, &dsn, spool.path(), "send").await;
    assert!(again.status.success(), "{again:?}");
    assert_eq!(spooled(spool.path()), 0, "the resend was answered");
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["occurrences"], 1, "delivered exactly once");
}

#[tokio::test]
async fn a_report_the_server_rate_limits_stays_in_the_spool_for_later() {
    let app = support::spawn_app_with_ingest_limit(1).await;
    let dsn = project(&app, "Shop").await;
    let spool = tempfile::tempdir().unwrap();

    run_shop(Panics::Unwind, &dsn, spool.path(), "index").await;
    assert_eq!(spooled(spool.path()), 0);
    let limited = run_shop(Panics::Unwind, &dsn, spool.path(), "config").await;
    assert!(!limited.status.success());
    assert_eq!(
        spooled(spool.path()),
        1,
        "a report answered 429 is kept, not dropped: {}",
        String::from_utf8_lossy(&limited.stderr)
    );
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "only the first report got through");
}

#[tokio::test]
async fn a_running_program_retries_until_the_server_is_back() {
    let mut app = spawn_app().await;
    let dsn = project(&app, "Shop").await;
    let spool = tempfile::tempdir().unwrap();
    app.stop().await;

    // The program reports, fails to send, and waits on its sender's own backoff.
    let command = shop_command(Panics::Unwind, &dsn, spool.path(), "late");
    let running = tokio::spawn(run(command));
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert!(
        !running.is_finished(),
        "the program waits while the server is down"
    );
    app.resume().await;

    let output = running.await.unwrap();
    assert!(
        output.status.success(),
        "the warning was sent once the server was back: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    assert_eq!(tickets[0]["urgency"], "low", "a warning");
    assert_eq!(tickets[0]["occurrences"], 1);
    assert_eq!(spooled(spool.path()), 0);
}

/// A server on a free port that answers every request 503 and counts them.
async fn always_503() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let requests = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let router = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (
        format!("http://0123456789abcdef0123456789abcdef@{address}/1"),
        requests,
    )
}

#[tokio::test]
async fn reports_made_during_an_outage_wait_for_the_backoff_and_stay_spooled() {
    let (dsn, requests) = always_503().await;
    let spool = tempfile::tempdir().unwrap();
    // 20 reports over about a second, then the end of the program (one last try).
    let output = run_shop(Panics::Unwind, &dsn, spool.path(), "burst").await;
    assert!(output.status.success(), "{output:?}");
    let sent = requests.load(std::sync::atomic::Ordering::SeqCst);
    // The first report tries, the backoff (1 s, then 2 s, ...) holds the others back, and the
    // guard tries once more at the end: a few requests, not one per report.
    assert!((2..=6).contains(&sent), "{sent} requests for 20 reports");
    assert_eq!(
        spooled(spool.path()),
        20,
        "every report waits for the next run"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_holds_a_panic_no_longer_than_its_timeouts() {
    // Accepts connections and never reads or answers them.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            held.push(connection);
        }
    });
    let dsn = format!("http://0123456789abcdef0123456789abcdef@{address}/1");
    let spool = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let output = run_shop(Panics::Unwind, &dsn, spool.path(), "index").await;
    let took = started.elapsed();
    assert_eq!(
        output.status.code(),
        Some(101),
        "the panic went on: {output:?}"
    );
    // The shop's panic timeout (3 s) and the guard's shutdown timeout (2 s) bound the wait; an
    // unbounded one would wait for the HTTP client's 30 s timeout, or forever.
    assert!(
        took < std::time::Duration::from_secs(25),
        "the program was held {took:?}"
    );
    assert_eq!(
        spooled(spool.path()),
        1,
        "the report waits for the next run"
    );
    silent.abort();
}

#[tokio::test]
async fn a_spool_removed_while_the_program_runs_is_created_again() {
    let app = spawn_app().await;
    let dsn = project(&app, "Shop").await;
    let spool = tempfile::tempdir().unwrap();
    let directory = spool.path().join("spool");
    let output = run_shop(Panics::Unwind, &dsn, &directory, "removed").await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(directory.is_dir(), "the spool is there again");
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    assert_eq!(spooled(&directory), 0);
}

#[cfg(unix)]
#[tokio::test]
async fn a_spool_that_cannot_be_written_sends_from_memory() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let app = spawn_app().await;
    let dsn = project(&app, "Shop").await;
    let spool = tempfile::tempdir().unwrap();
    let directory = spool.path().join("spool");
    std::fs::create_dir(&directory).unwrap();
    std::fs::set_permissions(spool.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = shop_command(Panics::Unwind, &dsn, &directory, "error");
    if rustix::process::geteuid().is_root() {
        // Root writes anywhere: the shop runs as another user, whose spool it is.
        std::os::unix::fs::chown(&directory, Some(65_534), Some(65_534)).unwrap();
        command.uid(65_534).gid(65_534);
    }
    std::fs::set_permissions(&directory, std::fs::Permissions::from_mode(0o500)).unwrap();
    let output = run(command).await;
    std::fs::set_permissions(&directory, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sending it from memory"), "{stderr}");
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "sent from memory: {stderr}");
}
