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
use std::time::Duration;
use support::{RunningProcess, free_port, references, start_helpdesk};

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
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(response) = client
            .get(format!("{}/health", process.address))
            .send()
            .await
            && response.status() == 200
        {
            return (process, format!("ws://127.0.0.1:{port}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("SurrealDB did not become ready");
}

async fn start_on(database_url: &str) -> RunningProcess {
    start_helpdesk(&[
        "--database-url",
        database_url,
        "--database-user",
        ROOT_USER,
        "--database-password",
        ROOT_PASSWORD,
    ])
    .await
}

#[tokio::test]
async fn two_servers_on_one_remote_database_share_tickets_and_never_share_a_reference() {
    let (_database, url) = start_surrealdb().await;
    let first = start_on(&url).await;
    let second = start_on(&url).await;
    let client = reqwest::Client::new();

    let tasks: Vec<_> = (0..60)
        .map(|index| {
            let client = client.clone();
            let base = if index % 2 == 0 {
                first.address.clone()
            } else {
                second.address.clone()
            };
            tokio::spawn(async move {
                let response = client
                    .post(format!("{base}/api/v1/tickets"))
                    .json(&json!({ "title": format!("Remote {index}"), "customer": "Scale-out" }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                let ticket: Value = response.json().await.unwrap();
                ticket["reference"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        assert!(
            seen.insert(task.await.unwrap()),
            "two servers gave out the same reference"
        );
    }
    let expected: HashSet<String> = (1..=60).map(|number| format!("TCK-{number}")).collect();
    assert_eq!(seen, expected);

    // What one server writes, the other reads.
    let response = client
        .post(format!("{}/api/v1/tickets/TCK-7/entries", first.address))
        .json(&json!({ "kind": "attempt", "body": "Failed over to the replica", "outcome": "worked" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let detail: Value = client
        .get(format!("{}/api/v1/tickets/TCK-7", second.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["entries"][1]["body"], "Failed over to the replica");
    let page: Value = client
        .get(format!("{}/api/v1/tickets?limit=200", second.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(references(&page).len(), 60);
}

#[tokio::test]
async fn concurrent_changes_through_two_servers_are_all_kept() {
    let (_database, url) = start_surrealdb().await;
    let first = start_on(&url).await;
    let second = start_on(&url).await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{}/api/v1/tickets", first.address))
        .json(&json!({ "title": "Contended", "customer": "Both" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let tasks: Vec<_> = (0..16)
        .map(|index| {
            let client = client.clone();
            let base = if index % 2 == 0 {
                first.address.clone()
            } else {
                second.address.clone()
            };
            tokio::spawn(async move {
                client
                    .post(format!("{base}/api/v1/tickets/TCK-1/entries"))
                    .json(&json!({ "kind": "note", "body": format!("note {index}") }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }
    let detail: Value = client
        .get(format!("{}/api/v1/tickets/TCK-1", first.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
