//! Durability: tickets written to an on-disk database survive a killed and restarted server.

mod support;

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct RunningServer {
    child: Child,
    address: String,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real `helpdesk` binary on a data directory and waits until it is ready.
async fn start(data_dir: &std::path::Path) -> RunningServer {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--address", &format!("127.0.0.1:{port}"), "--log", "warn"])
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let server = RunningServer {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(response) = client
            .get(format!("{}/readyz", server.address))
            .send()
            .await
            && response.status() == 200
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

#[tokio::test]
async fn tickets_on_disk_survive_a_killed_server() {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut created = Vec::new();
    {
        let server = start(data.path()).await;
        for index in 0..25 {
            let response = client
                .post(format!("{}/api/v1/tickets", server.address))
                .json(&json!({ "title": format!("Durable {index}"), "customer": "Disk" }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            let ticket: Value = response.json().await.unwrap();
            created.push(ticket["reference"].as_str().unwrap().to_string());
        }
        let response = client
            .post(format!("{}/api/v1/tickets/TCK-3/entries", server.address))
            .json(&json!({ "kind": "attempt", "body": "Cleared the cache", "outcome": "partly" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        // Dropping the server kills the process: no orderly shutdown.
    }

    let server = start(data.path()).await;
    let page: Value = client
        .get(format!("{}/api/v1/tickets?limit=200", server.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut listed = support::references(&page);
    listed.sort_by_key(|reference| reference[4..].parse::<u32>().unwrap());
    assert_eq!(listed, created);

    let detail: Value = client
        .get(format!("{}/api/v1/tickets/TCK-3", server.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["entries"][1]["body"], "Cleared the cache");

    // The sequence continues after a restart: references are never reused.
    let response = client
        .post(format!("{}/api/v1/tickets", server.address))
        .json(&json!({ "title": "After restart", "customer": "Disk" }))
        .send()
        .await
        .unwrap();
    let ticket: Value = response.json().await.unwrap();
    assert_eq!(ticket["reference"], "TCK-26");
}
