//! A client generated from the served OpenAPI document by a standard generator
//! (openapi-python-client, from PyPI) files and reads a ticket: the document is exact enough for
//! the clients people generate from it. The generated models parse strictly, and the client is
//! told to raise on any status the document does not list.
//!
//! The generator runs from the virtual environment that `cargo xtask test` prepares
//! (`target/python-tools`, from `tests/python/requirements.txt`); `HELPDESK_PYTHON_TOOLS` names
//! another one's `bin` directory.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::spawn_app;

fn python_tools() -> PathBuf {
    let tools = std::env::var_os("HELPDESK_PYTHON_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/python-tools/bin")
        });
    assert!(
        tools.join("openapi-python-client").exists(),
        "openapi-python-client is not in {}: run `cargo xtask test`, or `python3 -m venv \
         target/python-tools && target/python-tools/bin/pip install -r \
         server/tests/python/requirements.txt`",
        tools.display()
    );
    tools
}

/// Runs a command to success; returns what it printed (standard output, then error).
fn run(command: &mut Command) -> (String, String) {
    let output = command.output().expect("the command starts");
    let printed = (
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    );
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        printed.0,
        printed.1
    );
    printed
}

// Several threads: the server answers while this test waits for the generated client's process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_generated_from_the_document_files_and_reads_a_ticket() {
    let tools = python_tools();
    let app = spawn_app().await;
    let document = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let document_path = directory.path().join("openapi.json");
    std::fs::write(&document_path, document).unwrap();
    let path = std::env::join_paths(std::iter::once(tools.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let (out, err) = run(Command::new(tools.join("openapi-python-client"))
        .args(["generate", "--meta", "none", "--path"])
        .arg(&document_path)
        .arg("--output-path")
        .arg(directory.path().join("helpdesk_client"))
        .env("PATH", &path));
    // The one operation it may leave out is the envelope endpoint, which Sentry SDKs call (its
    // body is no JSON).
    let generated = format!("{out}\n{err}");
    let left_out: Vec<&str> = generated
        .lines()
        .filter(|line| line.contains("will not be generated"))
        .collect();
    assert_eq!(left_out.len(), 1, "{generated}");
    assert!(left_out[0].contains("/envelope/"), "{generated}");

    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/file_and_read_a_ticket.py");
    let (printed, _) = run(Command::new(tools.join("python"))
        .arg(&script)
        .arg(&app.address)
        .arg(&app.token)
        .env("PYTHONPATH", directory.path())
        .env("PATH", &path));
    let seen: serde_json::Value = serde_json::from_str(printed.trim()).expect("one JSON line");
    let reference = seen["reference"].as_str().unwrap();
    assert_eq!(seen["urgency"], "high");
    assert_eq!(seen["channel"], "phone");
    assert_eq!(seen["status"], "verified");
    assert_eq!(seen["title"], "Payroll export hangs");
    assert_eq!(
        seen["entries"],
        serde_json::json!(["created", "attempt", "status_change"])
    );
    assert_eq!(seen["listed"], serde_json::json!([reference]));
    assert_eq!(seen["missing"], "not_found");
    assert_eq!(
        seen["refused"],
        serde_json::json!(["invalid_field", "title"])
    );

    // And the server holds what the generated client filed.
    let (status, ticket) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(status, 200);
    assert_eq!(ticket["customer"], "Grace Hopper");
    assert_eq!(ticket["occurred_at"], "2026-11-28T08:15:00Z");
}
