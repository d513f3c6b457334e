//! Scale-out: help desk servers on a remote SurrealDB server, selected by configuration alone.
//!
//! Runs SurrealDB's own server (built from the `surrealdb-server` crate by the
//! `surreal-for-tests` package; `cargo xtask test` builds it) on a free port, and real `helpdesk`
//! binaries against it over `ws://`.

mod support;

use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use support::{
    RunningProcess, bootstrap_admin_token, client_with_token, free_port, get_json, post_json,
    references, start_helpdesk,
};

const ROOT_USER: &str = "root";
const ROOT_PASSWORD: &str = "test-root-password";

fn surreal_binary() -> PathBuf {
    let binary = std::env::var_os("SURREAL_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
            target.join("debug/surreal")
        });
    assert!(
        binary.exists(),
        "SurrealDB's server is not built at {}: run `cargo build -p surreal-for-tests` (or `cargo xtask test`)",
        binary.display()
    );
    binary
}

/// Starts SurrealDB in memory with a root user, once it accepts connections.
async fn start_surrealdb() -> (RunningProcess, String) {
    let port = free_port();
    let child = Command::new(surreal_binary())
        .args([
            "start",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--user",
            ROOT_USER,
            "--pass",
            ROOT_PASSWORD,
            "--log",
            "warn",
            "memory",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("SurrealDB starts");
    let process = RunningProcess {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    (
        process.wait_until_ready("/health").await,
        format!("ws://127.0.0.1:{port}"),
    )
}

/// The first admin's API token, created with the binary's own commands on the remote database.
fn admin_client(database_url: &str) -> reqwest::Client {
    client_with_token(&bootstrap_admin_token(&[
        "--database-url",
        database_url,
        "--database-user",
        ROOT_USER,
        "--database-password",
        ROOT_PASSWORD,
    ]))
}

async fn start_on(database_url: &str) -> RunningProcess {
    start_on_with(database_url, &[]).await
}

async fn start_on_with(database_url: &str, more: &[&str]) -> RunningProcess {
    let mut arguments = vec![
        "--database-url",
        database_url,
        "--database-user",
        ROOT_USER,
        "--database-password",
        ROOT_PASSWORD,
    ];
    arguments.extend_from_slice(more);
    start_helpdesk(&arguments).await
}

/// Sends `count` POSTs of `body(index)` to `path`, alternating between the two servers, all at
/// once; returns every answer.
async fn post_from_both(
    client: &reqwest::Client,
    servers: [&RunningProcess; 2],
    path: &str,
    count: usize,
    body: fn(usize) -> Value,
) -> Vec<(u16, Value)> {
    let tasks: Vec<_> = (0..count)
        .map(|index| {
            let client = client.clone();
            let url = format!("{}{path}", servers[index % 2].address);
            tokio::spawn(async move { post_json(&client, &url, &body(index)).await })
        })
        .collect();
    let mut answers = Vec::with_capacity(count);
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test]
async fn two_servers_on_one_remote_database_share_tickets_and_never_share_a_reference() {
    let (_database, url) = start_surrealdb().await;
    let client = admin_client(&url);
    let first = start_on(&url).await;
    let second = start_on(&url).await;

    let answers = post_from_both(
        &client,
        [&first, &second],
        "/api/v1/tickets",
        60,
        |index| json!({ "title": format!("Remote {index}"), "customer": "Scale-out" }),
    )
    .await;
    let mut seen = HashSet::new();
    for (status, ticket) in answers {
        assert_eq!(status, 201, "{ticket}");
        let reference = ticket["reference"].as_str().unwrap().to_string();
        assert!(
            seen.insert(reference),
            "two servers gave out the same reference"
        );
    }
    let expected: HashSet<String> = (1..=60).map(|number| format!("TCK-{number}")).collect();
    assert_eq!(seen, expected);

    // What one server writes, the other reads.
    let attempt =
        json!({ "kind": "attempt", "body": "Failed over to the replica", "outcome": "worked" });
    let (status, _) = post_json(
        &client,
        &format!("{}/api/v1/tickets/TCK-7/entries", first.address),
        &attempt,
    )
    .await;
    assert_eq!(status, 201);
    let (_, detail) = get_json(&client, &format!("{}/api/v1/tickets/TCK-7", second.address)).await;
    assert_eq!(detail["entries"][1]["body"], "Failed over to the replica");
    let (_, page) = get_json(
        &client,
        &format!("{}/api/v1/tickets?limit=200", second.address),
    )
    .await;
    assert_eq!(references(&page).len(), 60);
}

#[tokio::test]
async fn concurrent_changes_through_two_servers_are_all_kept() {
    let (_database, url) = start_surrealdb().await;
    let client = admin_client(&url);
    let first = start_on(&url).await;
    let second = start_on(&url).await;
    let ticket = json!({ "title": "Contended", "customer": "Both" });
    let (status, _) = post_json(
        &client,
        &format!("{}/api/v1/tickets", first.address),
        &ticket,
    )
    .await;
    assert_eq!(status, 201);

    let answers = post_from_both(
        &client,
        [&first, &second],
        "/api/v1/tickets/TCK-1/entries",
        16,
        |index| json!({ "kind": "note", "body": format!("note {index}") }),
    )
    .await;
    assert!(
        answers.iter().all(|(status, _)| *status == 201),
        "{answers:?}"
    );
    let (_, detail) = get_json(&client, &format!("{}/api/v1/tickets/TCK-1", first.address)).await;
    assert_eq!(
        detail["entries"].as_array().unwrap().len(),
        17,
        "the creation entry and all 16 notes"
    );
}

#[tokio::test]
async fn a_wrong_database_password_stops_the_server_with_a_clear_error() {
    let (_database, url) = start_surrealdb().await;
    let output = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--address", &format!("127.0.0.1:{}", free_port())])
        .args([
            "--database-url",
            &url,
            "--database-user",
            ROOT_USER,
            "--database-password",
            "wrong",
        ])
        .output()
        .expect("the server binary runs");
    assert!(
        !output.status.success(),
        "the server must not start without the database"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("database error"), "{stderr}");
}

/// Crash reports of one problem through two servers: each server's writer remembers how many
/// reports the ticket had after its own batches, which the other's batches make wrong. Every
/// report must still be counted once, numbered once, and counted in its hour.
#[tokio::test]
async fn crash_reports_of_one_problem_through_two_servers_are_each_counted_once() {
    let (_database, url) = start_surrealdb().await;
    let client = admin_client(&url);
    let first = start_on(&url).await;
    let second = start_on(&url).await;
    let (status, project) = post_json(
        &client,
        &format!("{}/api/v1/projects", first.address),
        &json!({ "name": "Both sides" }),
    )
    .await;
    assert_eq!(status, 201, "{project}");
    let id = project["id"].as_u64().unwrap();
    let key = server::ingest::dsn::Dsn::parse(project["dsn"].as_str().unwrap())
        .unwrap()
        .public_key;

    const REPORTS: usize = 40;
    let envelope = |index: usize| {
        let event = json!({
            "level": "error", "platform": "rust",
            "exception": { "values": [{ "type": "panic", "value": format!("attempt {index}"),
                "stacktrace": { "frames": [{ "function": "shared::crash", "in_app": true }] } }] }
        });
        let payload = serde_json::to_string(&event).unwrap();
        format!("{{\"event_id\":\"{index:032x}\"}}\n{{\"type\":\"event\"}}\n{payload}\n")
    };
    // In waves, so that each server stores several batches after the other's.
    for wave in 0..4 {
        let tasks: Vec<_> = (0..REPORTS / 4)
            .map(|offset| {
                let index = wave * REPORTS / 4 + offset;
                let server = [&first, &second][index % 2];
                let request = reqwest::Client::new()
                    .post(format!(
                        "{}/api/{id}/envelope/?sentry_key={key}",
                        server.address
                    ))
                    .body(envelope(index));
                tokio::spawn(async move { support::read(request.send().await.unwrap()).await })
            })
            .collect();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            assert_eq!(status, 200, "{body}");
        }
    }

    let (_, page) = get_json(
        &client,
        &format!("{}/api/v1/tickets?channel=crash&status=all", second.address),
    )
    .await;
    let crash = references(&page);
    assert_eq!(crash.len(), 1, "one problem, one ticket: {page}");
    assert_eq!(page["items"][0]["occurrences"], REPORTS, "{page}");
    let (status, events) = get_json(
        &client,
        &format!(
            "{}/api/v1/tickets/{}/events?limit=100",
            second.address, crash[0]
        ),
    )
    .await;
    assert_eq!(status, 200, "{events}");
    let sequences: Vec<u64> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["sequence"].as_u64().unwrap())
        .collect();
    let mut sorted = sequences.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..=REPORTS as u64).collect::<Vec<_>>(),
        "every report numbered once"
    );
    let (_, history) = get_json(
        &client,
        &format!("{}/api/v1/tickets/{}/occurrences", first.address, crash[0]),
    )
    .await;
    let hourly: u64 = history["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hour| hour["count"].as_u64().unwrap())
        .sum();
    assert_eq!(hourly, REPORTS as u64, "{history}");
}

/// A project's rate is one bucket in the database: two servers allow it between them, not each.
#[tokio::test]
async fn two_servers_allow_a_projects_rate_between_them_not_each() {
    let (_database, url) = start_surrealdb().await;
    let client = admin_client(&url);
    let limit = ["--ingest-per-minute", "6"];
    let first = start_on_with(&url, &limit).await;
    let second = start_on_with(&url, &limit).await;
    let (status, project) = post_json(
        &client,
        &format!("{}/api/v1/projects", first.address),
        &json!({ "name": "Chatty" }),
    )
    .await;
    assert_eq!(status, 201, "{project}");
    let id = project["id"].as_u64().unwrap();
    let key = server::ingest::dsn::Dsn::parse(project["dsn"].as_str().unwrap())
        .unwrap()
        .public_key;
    let tasks: Vec<_> = (0..20)
        .map(|index: usize| {
            let server = [&first, &second][index % 2];
            let payload = json!({ "level": "error", "message": format!("report {index}") });
            let body =
                format!("{{\"event_id\":\"{index:032x}\"}}\n{{\"type\":\"event\"}}\n{payload}\n");
            let request = reqwest::Client::new()
                .post(format!(
                    "{}/api/{id}/envelope/?sentry_key={key}",
                    server.address
                ))
                .body(body);
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let admitted = statuses.iter().filter(|status| **status == 200).count();
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!(admitted + refused, 20, "{statuses:?}");
    // 6 a minute refills one report every 10 s: a slow run may see one more, never 12.
    assert!(
        (6..=7).contains(&admitted),
        "two servers admitted {admitted} between them: {statuses:?}"
    );
}

#[tokio::test]
async fn a_database_that_went_away_is_answered_503_with_retry_after() {
    let (mut surreal, url) = start_surrealdb().await;
    let client = admin_client(&url);
    let server = start_helpdesk(&[
        "--database-url",
        &url,
        "--database-user",
        ROOT_USER,
        "--database-password",
        ROOT_PASSWORD,
        "--request-timeout-seconds",
        "3",
    ])
    .await;
    let tickets = format!("{}/api/v1/tickets", server.address);
    assert_eq!(get_json(&client, &tickets).await.0, 200);

    surreal.child.kill().unwrap();
    surreal.child.wait().unwrap();
    // Trying again later may succeed: 503 with Retry-After, never a 500 that says it would not.
    let response = client.get(&tickets).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok()),
        Some(app::service::UNAVAILABLE_RETRY_SECONDS.to_string().as_str())
    );
    // The database client may fail at once or wait for the server to come back; either way the
    // answer comes within the request timeout, not a minute later.
    let body: Value = response.json().await.unwrap();
    assert!(
        ["storage_unavailable", "timed_out"]
            .contains(&body["error"]["code"].as_str().unwrap_or("")),
        "{body}"
    );
    let ready = reqwest::get(format!("{}/readyz", server.address))
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn guesses_spread_over_two_servers_meet_one_sign_in_limit() {
    let (_database, url) = start_surrealdb().await;
    let _client = admin_client(&url);
    let first = start_on(&url).await;
    let second = start_on(&url).await;
    let limit = server::auth::throttle::ACCOUNT_LIMIT as usize;
    for guess in 0..limit {
        let server = [&first, &second][guess % 2];
        let (status, _) =
            support::sign_in_at(&server.address, support::ADMIN_EMAIL, "a wrong guess here").await;
        assert_eq!(status, 401, "guess {guess}");
    }
    // Both servers now refuse the account to this address, which never signed in to it: one
    // budget of guesses between them, not one each.
    for server in [&first, &second] {
        let (status, _) = support::sign_in_at(
            &server.address,
            support::ADMIN_EMAIL,
            support::ADMIN_PASSWORD,
        )
        .await;
        assert_eq!(status, 429, "{}", server.address);
    }
}

#[tokio::test]
async fn two_servers_starting_at_once_upgrade_an_old_database_together() {
    let (_database, url) = start_surrealdb().await;
    {
        // The database as the first release left it, with 300 tickets.
        let db = surrealdb::engine::any::connect(url.as_str()).await.unwrap();
        db.signin(surrealdb::opt::auth::Root {
            username: ROOT_USER.into(),
            password: ROOT_PASSWORD.into(),
        })
        .await
        .unwrap();
        db.use_ns("helpdesk").use_db("helpdesk").await.unwrap();
        support::fill_version_one(&db, 300).await;
    }
    // Both start at the same moment, with small batches, so that they rewrite side by side.
    let batch = ["--migration-batch", "20"];
    let (first, second) = tokio::join!(start_on_with(&url, &batch), start_on_with(&url, &batch));
    let client = admin_client(&url);
    for server in [&first, &second] {
        let (status, found) =
            get_json(&client, &format!("{}/api/v1/search?q=fax", server.address)).await;
        assert_eq!(status, 200, "{found}");
        let references: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|hit| hit["reference"].as_str().unwrap())
            .collect();
        assert_eq!(references, ["TCK-1"], "{}", server.address);
        let (status, found) = get_json(
            &client,
            &format!("{}/api/v1/search?q=floor%20300", server.address),
        )
        .await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(found["items"][0]["reference"], "TCK-300");
    }
}
