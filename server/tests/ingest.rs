//! Crash reports in the Sentry protocol become tickets: one per problem, counted exactly.

mod support;

use serde_json::{Value, json};
use std::io::Write;
use std::time::Duration;
use support::{TestApp, spawn_app};

/// Creates a project and returns its id and DSN.
async fn project(app: &TestApp, name: &str) -> (u64, String) {
    let (status, project) = app.post("/api/v1/projects", &json!({ "name": name })).await;
    assert_eq!(status, 201, "{project}");
    (
        project["id"].as_u64().unwrap(),
        project["dsn"].as_str().unwrap().to_string(),
    )
}

fn key_of(dsn: &str) -> String {
    server::ingest::dsn::Dsn::parse(dsn).unwrap().public_key
}

async fn crash_tickets(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/tickets?status=all&limit=200").await;
    assert_eq!(status, 200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|ticket| ticket["channel"] == "crash")
        .cloned()
        .collect()
}

/// An envelope holding one event, with a new event id.
fn envelope(event: &Value) -> Vec<u8> {
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    envelope_with_id(event, &format!("{id:032x}"))
}

fn envelope_with_id(event: &Value, event_id: &str) -> Vec<u8> {
    let payload = serde_json::to_vec(event).unwrap();
    let mut body = format!("{{\"event_id\":\"{event_id}\"}}\n").into_bytes();
    body.extend(format!("{{\"type\":\"event\",\"length\":{}}}\n", payload.len()).into_bytes());
    body.extend(payload);
    body.push(b'\n');
    body
}

fn panic_event(function: &str) -> Value {
    json!({
        "level": "fatal", "platform": "rust", "release": "shop@2.0",
        "exception": { "values": [{
            "type": "panic", "value": "index out of bounds: the len is 3 but the index is 5",
            "stacktrace": { "frames": [
                { "function": "shop::main", "in_app": true, "lineno": 3 },
                { "function": function, "in_app": true, "lineno": 40 },
                { "function": "core::panicking::panic_bounds_check", "in_app": false }
            ]}
        }]}
    })
}

async fn post_envelope(
    app: &TestApp,
    project: u64,
    key: Option<&str>,
    body: Vec<u8>,
    encoding: Option<&str>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(app.url(&format!("/api/{project}/envelope/")))
        .header("content-type", "application/x-sentry-envelope")
        .body(body);
    if let Some(key) = key {
        request = request.header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_client=test/1.0, sentry_key={key}"),
        );
    }
    if let Some(encoding) = encoding {
        request = request.header("content-encoding", encoding);
    }
    support::read(request.send().await.unwrap()).await
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn the_official_sentry_sdk_files_tickets_and_repeats_are_counted() {
    let app = spawn_app().await;
    let (_, dsn) = project(&app, "Sentry SDK client").await;
    tokio::task::spawn_blocking(move || {
        let mut options = sentry::ClientOptions::default();
        options.release = Some("shop@1.4.2".into());
        options.environment = Some("production".into());
        options.shutdown_timeout = Duration::from_secs(10);
        let guard = sentry::init((dsn, options));
        assert!(guard.is_enabled(), "the SDK accepted our DSN");
        sentry::capture_message("Disk db1 is full", sentry::Level::Error);
        sentry::capture_message("Disk db1 is full", sentry::Level::Error);
        let refused = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "the database refused the connection",
        );
        sentry::capture_error(&refused);
        assert!(
            guard.flush(Some(Duration::from_secs(10))),
            "every event was sent"
        );
    })
    .await
    .unwrap();

    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 2, "{tickets:#?}");
    let disk = tickets
        .iter()
        .find(|ticket| ticket["title"] == "Disk db1 is full")
        .expect("the message's ticket");
    assert_eq!(disk["occurrences"], 2);
    assert_eq!(disk["releases"], json!(["shop@1.4.2"]));
    assert_eq!(disk["environments"], json!(["production"]));
    assert_eq!(disk["urgency"], "medium");
    assert_eq!(disk["project"], 1);
    assert!(disk["first_seen"].is_string() && disk["last_seen"].is_string());
    let refused = tickets.iter().find(|ticket| ticket != &disk).unwrap();
    assert_eq!(refused["occurrences"], 1);
    assert!(
        refused["description"]
            .as_str()
            .unwrap()
            .contains("the database refused the connection"),
        "{refused}"
    );
}

#[tokio::test]
async fn the_key_can_come_from_the_header_the_query_or_the_envelope() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Keys").await;
    let key = key_of(&dsn);
    let (status, answer) = post_envelope(
        &app,
        id,
        Some(&key),
        envelope_with_id(
            &panic_event("shop::cart"),
            "0123456789abcdef0123456789abcdef",
        ),
        None,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["id"], "0123456789abcdef0123456789abcdef");

    let response = reqwest::Client::new()
        .post(app.url(&format!(
            "/api/{id}/envelope/?sentry_version=7&sentry_key={key}"
        )))
        .body(envelope(&panic_event("shop::cart")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let mut with_dsn = format!("{{\"dsn\":\"{dsn}\"}}\n").into_bytes();
    let event = serde_json::to_vec(&panic_event("shop::cart")).unwrap();
    with_dsn.extend(b"{\"type\":\"event\"}\n");
    with_dsn.extend(event);
    let (status, _) = post_envelope(&app, id, None, with_dsn, None).await;
    assert_eq!(status, 200);

    let (status, _) = reqwest::Client::new()
        .post(app.url(&format!("/api/{id}/store/?sentry_key={key}")))
        .body(gzip(
            &serde_json::to_vec(&panic_event("shop::cart")).unwrap(),
        ))
        .header("content-encoding", "gzip")
        .send()
        .await
        .map(|response| (response.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200);

    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["occurrences"], 4);
    assert_eq!(
        tickets[0]["title"],
        "panic: index out of bounds: the len is 3 but the index is 5"
    );
    assert_eq!(tickets[0]["urgency"], "high");
}

#[tokio::test]
async fn wrong_keys_and_bad_bodies_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Guarded").await;
    let key = key_of(&dsn);
    let (_, other_dsn) = project(&app, "Other").await;
    let good = || envelope(&panic_event("shop::cart"));

    // (what, expected status, key, body, content encoding)
    type Case<'a> = (&'a str, u16, Option<String>, Vec<u8>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("no key", 401, None, good(), None),
        (
            "another project's key",
            403,
            Some(key_of(&other_dsn)),
            good(),
            None,
        ),
        ("a made-up key", 403, Some("0".repeat(32)), good(), None),
        (
            "not an envelope",
            400,
            Some(key.clone()),
            b"hello".to_vec(),
            None,
        ),
        (
            "a truncated item",
            400,
            Some(key.clone()),
            b"{}\n{\"type\":\"event\",\"length\":500}\n{}".to_vec(),
            None,
        ),
        (
            "an event that is not an object",
            400,
            Some(key.clone()),
            envelope(&json!([1, 2])),
            None,
        ),
        (
            "an event whose event_id is not one",
            400,
            Some(key.clone()),
            envelope(&json!({ "event_id": "1; DROP TABLE ticket", "message": "hi" })),
            None,
        ),
        (
            "an envelope whose event_id is not one",
            400,
            Some(key.clone()),
            envelope_with_id(&json!({ "message": "hi" }), "../../etc/passwd"),
            None,
        ),
        (
            "corrupt gzip",
            400,
            Some(key.clone()),
            b"\x1f\x8bnot really".to_vec(),
            Some("gzip"),
        ),
        (
            "an unknown encoding",
            415,
            Some(key.clone()),
            good(),
            Some("zstd-ish"),
        ),
    ];
    for (name, expected, key, body, encoding) in cases {
        let (status, answer) = post_envelope(&app, id, key.as_deref(), body, encoding).await;
        assert_eq!(status, expected, "{name}: {answer}");
        assert!(answer["error"]["code"].is_string(), "{name}: {answer}");
    }
    // A unknown project is refused like a wrong key.
    let (status, _) = post_envelope(&app, 999, Some(&key), good(), None).await;
    assert_eq!(status, 403);

    // A small gzip body that inflates to 64 MiB is stopped at the limit.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        bomb.write_all(&zeros).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    let (status, _) = post_envelope(&app, id, Some(&key), bomb.clone(), Some("gzip")).await;
    assert_eq!(status, 413);
    // A key sent outside the body is checked first: a stranger's body is never inflated.
    for wrong in [key_of(&other_dsn), "0".repeat(32)] {
        let (status, answer) =
            post_envelope(&app, id, Some(&wrong), bomb.clone(), Some("gzip")).await;
        assert_eq!(status, 403, "{answer}");
    }
    // So is a body over the limit as sent.
    let (status, _) = post_envelope(&app, id, Some(&key), vec![b'{'; 2 << 20], None).await;
    assert_eq!(status, 413);

    assert!(crash_tickets(&app).await.is_empty(), "nothing was stored");
}

#[tokio::test]
async fn envelopes_without_events_are_accepted_and_skipped() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Sessions").await;
    let body = b"{\"sent_at\":\"2026-11-28T10:00:00Z\"}\n{\"type\":\"session\"}\n{\"sid\":\"x\",\"status\":\"ok\"}\n{\"type\":\"client_report\",\"length\":2}\n{}\n".to_vec();
    let (status, _) = post_envelope(&app, id, Some(&key_of(&dsn)), body, None).await;
    assert_eq!(status, 200);
    assert!(crash_tickets(&app).await.is_empty());
}

#[tokio::test]
async fn concurrent_reports_of_one_new_crash_make_one_ticket_with_an_exact_count() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Busy").await;
    let key = key_of(&dsn);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let url = app.url(&format!("/api/{id}/envelope/?sentry_key={key}"));
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .body(envelope(&panic_event("shop::checkout")))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1, "one problem, one ticket");
    assert_eq!(tickets[0]["occurrences"], 50);
}

#[tokio::test]
async fn a_project_key_reads_nothing() {
    let app = spawn_app().await;
    let (_, dsn) = project(&app, "Write only").await;
    let key = key_of(&dsn);
    for request in [
        reqwest::Client::new()
            .get(app.url("/api/v1/tickets"))
            .header("x-sentry-auth", format!("Sentry sentry_key={key}")),
        reqwest::Client::new().get(app.url(&format!("/api/v1/tickets?sentry_key={key}"))),
        reqwest::Client::new()
            .get(app.url("/api/v1/tickets"))
            .header("authorization", format!("Bearer {key}")),
    ] {
        assert_eq!(request.send().await.unwrap().status(), 401);
    }
}

#[tokio::test]
async fn a_project_over_its_rate_gets_429_with_retry_after_and_nothing_stored() {
    let app = support::spawn_app_with_ingest_limit(5).await;
    let (id, dsn) = project(&app, "Chatty").await;
    let (other, other_dsn) = project(&app, "Quiet").await;
    let key = key_of(&dsn);
    for _ in 0..5 {
        let (status, _) = post_envelope(
            &app,
            id,
            Some(&key),
            envelope(&panic_event("shop::loop")),
            None,
        )
        .await;
        assert_eq!(status, 200);
    }
    let response = reqwest::Client::new()
        .post(app.url(&format!("/api/{id}/envelope/?sentry_key={key}")))
        .body(envelope(&panic_event("shop::loop")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert!(
        response.headers()["x-sentry-rate-limits"]
            .to_str()
            .unwrap()
            .starts_with(&format!("{retry_after}:"))
    );
    // Another project is not held back by this one.
    let (status, _) = post_envelope(
        &app,
        other,
        Some(&key_of(&other_dsn)),
        envelope(&panic_event("quiet")),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let tickets = crash_tickets(&app).await;
    let chatty = tickets
        .iter()
        .find(|ticket| ticket["project"] == id)
        .unwrap();
    assert_eq!(
        chatty["occurrences"], 5,
        "the refused report was not counted"
    );
}

#[tokio::test]
async fn a_crash_that_comes_back_reopens_its_resolved_or_closed_ticket() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Regressions").await;
    let key = key_of(&dsn);
    let report = || async {
        let (status, answer) = post_envelope(
            &app,
            id,
            Some(&key),
            envelope(&panic_event("shop::refund")),
            None,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    };
    report().await;
    let reference = crash_tickets(&app).await[0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    for step in [
        json!({ "to": "verified" }),
        json!({ "to": "in_progress" }),
        json!({ "to": "resolved", "resolution": "Bounds check added in 2.1" }),
    ] {
        let (status, body) = app.transition(&reference, step).await;
        assert_eq!(status, 200, "{body}");
    }

    report().await;
    let (_, detail) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(detail["status"], "verified");
    assert_eq!(detail["occurrences"], 2);
    assert_eq!(detail["resolution"], serde_json::Value::Null);
    let last = detail["entries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "regressed");
    assert_eq!(last["author"], "crash reporter");
    assert_eq!(last["from"], "resolved");
    assert!(
        last["body"].as_str().unwrap().contains("shop@2.0"),
        "{last}"
    );
    // Back in the open queue, where agents look.
    let (_, queue) = app.get("/api/v1/tickets").await;
    assert!(support::references(&queue).contains(&reference));

    // A closed one comes back too; an open one is only counted.
    for step in [
        json!({ "to": "in_progress" }),
        json!({ "to": "resolved", "resolution": "Again" }),
        json!({ "to": "closed" }),
    ] {
        let (status, body) = app.transition(&reference, step).await;
        assert_eq!(status, 200, "{body}");
    }
    report().await;
    report().await;
    let (_, detail) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(detail["status"], "verified");
    assert_eq!(detail["occurrences"], 4);
    let regressions = detail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "regressed")
        .count();
    assert_eq!(regressions, 2);
}

#[tokio::test]
async fn the_queue_filters_by_channel_and_events_page_in_order() {
    let app = spawn_app().await;
    let manual = app.create_ticket("Printer jams", "high").await;
    let (id, dsn) = project(&app, "Paged").await;
    let key = key_of(&dsn);
    for attempt in 0..3 {
        let mut event = panic_event("shop::export");
        event["tags"] = json!({ "attempt": attempt });
        let (status, _) = post_envelope(&app, id, Some(&key), envelope(&event), None).await;
        assert_eq!(status, 200);
    }
    let (status, crashes) = app.get("/api/v1/tickets?channel=crash").await;
    assert_eq!(status, 200, "{crashes}");
    let crash = support::references(&crashes);
    assert_eq!(crash.len(), 1);
    let (_, phone) = app.get("/api/v1/tickets?channel=api").await;
    assert_eq!(support::references(&phone), [manual.as_str()]);
    let (_, searched) = app.get("/api/v1/tickets?channel=crash&q=index").await;
    assert_eq!(support::references(&searched), crash);
    let (status, body) = app.get("/api/v1/tickets?channel=carrier-pigeon").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("channel"))
    );

    let (status, first) = app
        .get(&format!("/api/v1/tickets/{}/events?limit=2", crash[0]))
        .await;
    assert_eq!(status, 200, "{first}");
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["sequence"], 1);
    assert_eq!(items[0]["event"]["tags"]["attempt"], 0);
    assert_eq!(items[1]["event"]["exception"]["values"][0]["type"], "panic");
    let cursor = first["next_cursor"].as_str().expect("another page");
    let (_, second) = app
        .get(&format!(
            "/api/v1/tickets/{}/events?limit=2&cursor={cursor}",
            crash[0]
        ))
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["event"]["tags"]["attempt"], 2);
    assert!(second["next_cursor"].is_null());

    let (status, _) = app.get(&format!("/api/v1/tickets/{manual}/events")).await;
    assert_eq!(status, 200, "a ticket without crash reports has no events");
    let (status, _) = app.get("/api/v1/tickets/TCK-999/events").await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get(&format!("/api/v1/tickets/{}/events?limit=0", crash[0]))
        .await;
    assert_eq!(status, 400);

    // Crash tickets are filed by crash reports only.
    let (status, body) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Fake crash", "customer": "Me", "channel": "crash" }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("channel"))
    );
}

#[tokio::test]
async fn a_spike_of_reports_makes_the_ticket_critical_once() {
    let app = support::spawn_app_with_spike(5).await;
    let (id, dsn) = project(&app, "Spiky").await;
    let key = key_of(&dsn);
    let mut event = panic_event("shop::pay");
    event["level"] = json!("error");
    event["exception"]["values"][0]["type"] = json!("PaymentDeclined");
    for _ in 0..4 {
        let (status, _) = post_envelope(&app, id, Some(&key), envelope(&event), None).await;
        assert_eq!(status, 200);
    }
    let reference = crash_tickets(&app).await[0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, before) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(before["urgency"], "medium");
    for _ in 0..3 {
        let (status, _) = post_envelope(&app, id, Some(&key), envelope(&event), None).await;
        assert_eq!(status, 200);
    }
    let (_, after) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(after["urgency"], "critical");
    assert_eq!(after["occurrences"], 7);
    let raises: Vec<&Value> = after["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "urgency_change")
        .collect();
    assert_eq!(raises.len(), 1, "said once: {raises:?}");
    assert_eq!(raises[0]["author"], "crash reporter");
    assert_eq!(raises[0]["to"], "critical");
    assert!(
        raises[0]["body"]
            .as_str()
            .unwrap()
            .contains("5 reports within 5 minutes")
    );
    // Critical tickets lead the queue.
    let (_, queue) = app.get("/api/v1/tickets").await;
    assert_eq!(support::references(&queue)[0], reference);
}

/// Sends one report of the panic in `function` from `release`, which must be stored.
async fn report_from(app: &TestApp, project: u64, key: &str, function: &str, release: &str) {
    let mut event = panic_event(function);
    event["release"] = json!(release);
    let (status, answer) = post_envelope(app, project, Some(key), envelope(&event), None).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn a_ticket_resolved_in_a_release_ignores_reports_from_older_releases() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Releases").await;
    let key = key_of(&dsn);
    let report = |release: &'static str| report_from(&app, id, &key, "shop::invoice", release);
    report("shop@2.0.3").await;
    let reference = crash_tickets(&app).await[0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = app
        .transition(
            &reference,
            json!({ "to": "verified", "release": "shop@2.1.0" }),
        )
        .await;
    assert_eq!(status, 422, "only a resolution names a release: {body}");
    assert_eq!(body["error"]["field"], "release");
    for step in [
        json!({ "to": "verified" }),
        json!({ "to": "in_progress" }),
        json!({ "to": "resolved", "resolution": "Invoice totals rounded", "release": "shop@2.1.0" }),
    ] {
        let (status, body) = app.transition(&reference, step).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, resolved) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(resolved["resolved_in_release"], "shop@2.1.0");

    // Machines still on the old release keep crashing: counted, not reopened.
    report("shop@2.0.9").await;
    let (_, still) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(still["status"], "resolved");
    assert_eq!(still["occurrences"], 2);

    // The fixed release crashing is a regression.
    report("shop@2.1.0").await;
    let (_, reopened) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(reopened["status"], "verified");
    assert_eq!(reopened["occurrences"], 3);
    assert!(reopened["resolved_in_release"].is_null());
    assert_eq!(
        reopened["releases"],
        json!(["shop@2.0.3", "shop@2.0.9", "shop@2.1.0"])
    );
}

#[tokio::test]
async fn releases_named_by_commit_are_ordered_by_when_the_project_first_reported_them() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Deployed by commit").await;
    let key = key_of(&dsn);
    let report = |release: &'static str| report_from(&app, id, &key, "shop::checkout", release);
    let status_of = |reference: String| {
        let app = &app;
        async move { app.get(&format!("/api/v1/tickets/{reference}")).await.1 }
    };
    // Two commits in production before the fix; as text, "e1…" sorts after the fix "d4…".
    report("9f3c2a1").await;
    report("e1a2b3c").await;
    let reference = crash_tickets(&app).await[0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    for step in [
        json!({ "to": "verified" }),
        json!({ "to": "in_progress" }),
        json!({ "to": "resolved", "resolution": "Checkout retries the payment", "release": "d4c3b2a" }),
    ] {
        let (status, body) = app.transition(&reference, step).await;
        assert_eq!(status, 200, "{body}");
    }
    // Machines still on a commit first seen before the fix: counted, not reopened.
    report("e1a2b3c").await;
    report("9f3c2a1").await;
    let ticket = status_of(reference.clone()).await;
    assert_eq!(ticket["status"], "resolved", "{ticket}");
    assert_eq!(ticket["occurrences"], 4);
    // A commit first seen after the fix was named, even one that sorts before it as text, is a
    // regression.
    report("0badc0d").await;
    let ticket = status_of(reference.clone()).await;
    assert_eq!(ticket["status"], "verified", "{ticket}");
    assert_eq!(ticket["occurrences"], 5);
}

#[tokio::test]
async fn a_report_sent_twice_is_counted_once() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Retrying").await;
    let key = key_of(&dsn);
    let event = panic_event("shop::retry");
    let event_id = "feedfacefeedfacefeedfacefeedface";
    // Sent twice one after the other (a lost answer), then twice at once.
    for _ in 0..2 {
        let (status, answer) = post_envelope(
            &app,
            id,
            Some(&key),
            envelope_with_id(&event, event_id),
            None,
        )
        .await;
        assert_eq!((status, answer["id"].as_str()), (200, Some(event_id)));
    }
    let other_id = "0badc0de0badc0de0badc0de0badc0de";
    let (first, second) = tokio::join!(
        post_envelope(
            &app,
            id,
            Some(&key),
            envelope_with_id(&event, other_id),
            None
        ),
        post_envelope(
            &app,
            id,
            Some(&key),
            envelope_with_id(&event, other_id),
            None
        ),
    );
    assert_eq!((first.0, second.0), (200, 200));

    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["occurrences"], 2, "one count per event id");
    let (_, events) = app
        .get(&format!(
            "/api/v1/tickets/{}/events",
            tickets[0]["reference"].as_str().unwrap()
        ))
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_crash_ticket_counts_its_reports_per_hour() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Hourly").await;
    let key = key_of(&dsn);
    for _ in 0..3 {
        let (status, _) = post_envelope(
            &app,
            id,
            Some(&key),
            envelope(&panic_event("shop::hourly")),
            None,
        )
        .await;
        assert_eq!(status, 200);
    }
    let reference = crash_tickets(&app).await[0]["reference"]
        .as_str()
        .unwrap()
        .to_string();

    let (status, history) = app
        .get(&format!("/api/v1/tickets/{reference}/occurrences"))
        .await;
    assert_eq!(status, 200, "{history}");
    let hours = history["hours"].as_array().unwrap();
    let total: u64 = hours
        .iter()
        .map(|hour| hour["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 3);
    for hour in hours {
        assert!(
            hour["start"].as_str().unwrap().ends_with(":00:00Z"),
            "{hour}"
        );
    }

    let (status, error) = app
        .get(&format!("/api/v1/tickets/{reference}/occurrences?days=0"))
        .await;
    assert_eq!(status, 400, "{error}");
    let phone = app.create_ticket("Printer on fire", "high").await;
    let (status, history) = app
        .get(&format!("/api/v1/tickets/{phone}/occurrences?days=7"))
        .await;
    assert_eq!(
        (status, history["hours"].as_array().unwrap().len()),
        (200, 0)
    );
    let (status, _) = app.get("/api/v1/tickets/TCK-999999/occurrences").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_crash_ticket_counts_the_distinct_users_it_affects() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Users").await;
    let key = key_of(&dsn);
    let report_for = |user: Option<&str>| {
        let mut event = panic_event("shop::users");
        if let Some(user) = user {
            event["user"] = json!({ "email": user });
        }
        envelope(&event)
    };
    // Sent at once, so that some share a batch; and one report names nobody.
    let sent = tokio::join!(
        post_envelope(
            &app,
            id,
            Some(&key),
            report_for(Some("ada@example.com")),
            None
        ),
        post_envelope(
            &app,
            id,
            Some(&key),
            report_for(Some("bob@example.com")),
            None
        ),
        post_envelope(
            &app,
            id,
            Some(&key),
            report_for(Some("ada@example.com")),
            None
        ),
    );
    assert_eq!((sent.0.0, sent.1.0, sent.2.0), (200, 200, 200));
    let (status, _) = post_envelope(&app, id, Some(&key), report_for(None), None).await;
    assert_eq!(status, 200);
    let tickets = crash_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["occurrences"], 4);
    assert_eq!(tickets[0]["affected_users"], 2);

    for user in ["bob@example.com", "cy@example.com"] {
        let (status, _) = post_envelope(&app, id, Some(&key), report_for(Some(user)), None).await;
        assert_eq!(status, 200);
    }
    let tickets = crash_tickets(&app).await;
    assert_eq!(
        tickets[0]["affected_users"], 3,
        "only a user not seen before counts"
    );
}

#[tokio::test]
async fn old_receipts_are_removed_and_only_they() {
    let app = spawn_app().await;
    let (id, dsn) = project(&app, "Ageing").await;
    let key = key_of(&dsn);
    let event = panic_event("shop::age");
    let send = |event_id: &'static str| {
        post_envelope(
            &app,
            id,
            Some(&key),
            envelope_with_id(&event, event_id),
            None,
        )
    };
    let old = "00000000000000000000000000000a01";
    let recent = "00000000000000000000000000000a02";
    assert_eq!(send(old).await.0, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let between = time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(send(recent).await.0, 200);

    let removed = app.store().remove_receipts_before(between).await.unwrap();
    assert_eq!(removed, 1, "only the receipt from before");
    // The recent report sent again is still known; the old one, its receipt gone, counts anew.
    assert_eq!(send(recent).await.0, 200);
    assert_eq!(crash_tickets(&app).await[0]["occurrences"], 2);
    assert_eq!(send(old).await.0, 200);
    assert_eq!(crash_tickets(&app).await[0]["occurrences"], 3);
}
