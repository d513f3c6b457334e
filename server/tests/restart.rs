//! Durability: tickets written to an on-disk database survive a killed and restarted server.

mod support;

use serde_json::json;
use support::{get_json, post_json};

async fn start(data_dir: &std::path::Path) -> support::RunningProcess {
    support::start_helpdesk(&["--data-dir", data_dir.to_str().expect("a UTF-8 path")]).await
}

#[tokio::test]
async fn tickets_on_disk_survive_a_killed_server() {
    let data = tempfile::tempdir().unwrap();
    let client = support::client_with_token(&support::bootstrap_admin_token(&[
        "--data-dir",
        data.path().to_str().expect("a UTF-8 path"),
    ]));
    let mut created = Vec::new();
    {
        let server = start(data.path()).await;
        let tickets = format!("{}/api/v1/tickets", server.address);
        for index in 0..25 {
            let body = json!({ "title": format!("Durable {index}"), "customer": "Disk" });
            let (status, ticket) = post_json(&client, &tickets, &body).await;
            assert_eq!(status, 201);
            created.push(ticket["reference"].as_str().unwrap().to_string());
        }
        let attempt =
            json!({ "kind": "attempt", "body": "Cleared the cache", "outcome": "partly" });
        let (status, _) = post_json(&client, &format!("{tickets}/TCK-3/entries"), &attempt).await;
        assert_eq!(status, 201);
        // Dropping the server kills the process: no orderly shutdown.
    }

    let server = start(data.path()).await;
    let tickets = format!("{}/api/v1/tickets", server.address);
    let (_, page) = get_json(&client, &format!("{tickets}?limit=200")).await;
    let mut listed = support::references(&page);
    listed.sort_by_key(|reference| reference[4..].parse::<u32>().unwrap());
    assert_eq!(listed, created);

    let (_, detail) = get_json(&client, &format!("{tickets}/TCK-3")).await;
    assert_eq!(detail["entries"][1]["body"], "Cleared the cache");

    // The sequence continues after a restart: references are never reused.
    let (_, ticket) = post_json(
        &client,
        &tickets,
        &json!({ "title": "After restart", "customer": "Disk" }),
    )
    .await;
    assert_eq!(ticket["reference"], "TCK-26");
}

/// Scripts read a token with `TOKEN=$(helpdesk create-token …)`: whatever the server and the
/// database log meanwhile goes to standard error, never into the token. And a command leaves the
/// database closed, not cut short.
#[test]
fn a_command_prints_only_its_result_on_standard_output_even_with_every_log() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().expect("a UTF-8 path");
    support::helpdesk_command(
        &[
            "--data-dir",
            data_dir,
            "create-admin",
            "--email",
            "a@example.com",
            "--name",
            "A",
        ],
        &[("HELPDESK_ADMIN_PASSWORD", support::ADMIN_PASSWORD)],
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--log", "trace", "--data-dir", data_dir, "create-token"])
        .args([
            "--email",
            "a@example.com",
            "--name",
            "script",
            "--role",
            "agent",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the server binary runs");
    assert!(output.status.success());
    assert!(!output.stderr.is_empty(), "trace logging wrote nothing");
    // The process waited for the database to close before exiting.
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(!logs.contains("did not shut down cleanly"), "{logs}");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "more than the token on standard output: {stdout}"
    );
    assert!(lines[0].starts_with("hdt_"), "not a token: {stdout}");
}

#[tokio::test]
async fn crash_reports_answered_200_survive_a_server_killed_right_after() {
    let data = tempfile::tempdir().unwrap();
    let client = support::client_with_token(&support::bootstrap_admin_token(&[
        "--data-dir",
        data.path().to_str().expect("a UTF-8 path"),
    ]));
    let report = |server: &support::RunningProcess, project: u64, key: &str, index: usize| {
        let url = format!("{}/api/{project}/store/", server.address);
        let request = reqwest::Client::new()
            .post(url)
            .header(
                "x-sentry-auth",
                format!("Sentry sentry_version=7, sentry_key={key}"),
            )
            .json(&json!({
                "event_id": format!("{index:032x}"),
                "message": "The warehouse feed stalled",
            }));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let (project, key) = {
        let server = start(data.path()).await;
        let (status, project) = post_json(
            &client,
            &format!("{}/api/v1/projects", server.address),
            &json!({ "name": "Warehouse" }),
        )
        .await;
        assert_eq!(status, 201, "{project}");
        let dsn = server::ingest::dsn::Dsn::parse(project["dsn"].as_str().unwrap()).unwrap();
        let (id, key) = (project["id"].as_u64().unwrap(), dsn.public_key);
        let mut sent = tokio::task::JoinSet::new();
        for index in 1..=40 {
            sent.spawn(report(&server, id, &key, index));
        }
        assert!(sent.join_all().await.iter().all(|status| *status == 200));
        (id, key)
        // The server is killed here, right after the last answer: no orderly shutdown.
    };

    let server = start(data.path()).await;
    let crashes = format!("{}/api/v1/tickets?status=all&channel=crash", server.address);
    let (_, page) = get_json(&client, &crashes).await;
    assert_eq!(page["items"][0]["occurrences"], 40, "{page}");
    // Their receipts survived too: the same reports sent again are not counted again.
    for index in [1, 20, 40] {
        assert_eq!(report(&server, project, &key, index).await, 200);
    }
    let (_, page) = get_json(&client, &crashes).await;
    assert_eq!(page["items"][0]["occurrences"], 40, "{page}");
}
