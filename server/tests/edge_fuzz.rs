//! Property tests of the parsers at the edge: whatever bytes, JSON or query strings arrive, the
//! server answers with a clear 4xx (never a 5xx, never a hang), stays up, and writes a ticket
//! exactly when it says 201. The number of cases is fixed, so the run time is bounded.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::{TestApp, spawn_app};

const CASES: u32 = 300;

/// Routes that read a JSON body, with the method to send it by.
const JSON_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/tickets"),
    ("PATCH", "/api/v1/tickets/TCK-1"),
    ("POST", "/api/v1/tickets/TCK-1/entries"),
    ("POST", "/api/v1/tickets/TCK-1/transitions"),
    ("POST", "/api/v1/agents"),
    ("PATCH", "/api/v1/agents/0123456789abcdef"),
    ("POST", "/api/v1/tokens"),
];

/// Field names the API knows, so that generated objects often get past the first checks.
const KNOWN_FIELDS: &[&str] = &[
    "title",
    "description",
    "urgency",
    "channel",
    "customer",
    "scope",
    "environment",
    "occurred_at",
    "manner",
    "assignee",
    "kind",
    "body",
    "outcome",
    "to",
    "resolution",
    "email",
    "name",
    "role",
    "password",
    "active",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(
            |number| serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
        ),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "critical",
            "resolved",
            "attempt",
            "worked",
            "admin",
            "2026-11-28T08:15:00Z",
            ""
        ])
        .prop_map(|text| Value::String(text.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(KNOWN_FIELDS).prop_map(str::to_string),
                        ".{0,12}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Checks one answer: below 500, and a 4xx carries the API's error shape.
fn check_answer(route: &str, status: u16, body: &str) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "{route} answered {status}: {body}");
    if status >= 400 {
        let parsed: Value = serde_json::from_str(body)
            .map_err(|_| TestCaseError::fail(format!("{route} {status}: not JSON: {body}")))?;
        prop_assert!(
            parsed["error"]["code"].is_string(),
            "{route} {status}: {body}"
        );
        prop_assert!(
            parsed["error"]["message"].is_string(),
            "{route} {status}: {body}"
        );
    }
    Ok(())
}

fn send(
    runtime: &tokio::runtime::Runtime,
    app: &TestApp,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, String) {
    runtime.block_on(async {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .client
            .request(method, app.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    })
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

fn start() -> (tokio::runtime::Runtime, TestApp) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(async {
        let app = spawn_app().await;
        app.create_ticket("The ticket the fuzzer edits", "low")
            .await;
        app
    });
    (runtime, app)
}

fn ticket_count(runtime: &tokio::runtime::Runtime, app: &TestApp) -> usize {
    runtime.block_on(async {
        let (_, page) = app.get("/api/v1/tickets?status=all&limit=200").await;
        page["items"].as_array().map_or(0, Vec::len)
    })
}

#[test]
fn arbitrary_json_bodies_get_clear_answers_and_only_201s_write() {
    let (runtime, app) = start();
    let created = AtomicUsize::new(0);
    runner()
        .run(
            &(prop::sample::select(JSON_ROUTES), json_value()),
            |((method, path), body)| {
                let (status, text) = send(
                    &runtime,
                    &app,
                    method,
                    path,
                    "application/json",
                    serde_json::to_vec(&body).unwrap(),
                );
                check_answer(path, status, &text)?;
                if path == "/api/v1/tickets" && status == 201 {
                    created.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(
        ticket_count(&runtime, &app),
        1 + created.load(Ordering::Relaxed)
    );
}

#[test]
fn arbitrary_bytes_get_clear_answers() {
    let (runtime, app) = start();
    runner()
        .run(
            &(
                prop::sample::select(JSON_ROUTES),
                prop::collection::vec(any::<u8>(), 0..512),
                prop::sample::select(vec![
                    "application/json",
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "",
                ]),
            ),
            |((method, path), body, content_type)| {
                let (status, text) = send(&runtime, &app, method, path, content_type, body);
                check_answer(path, status, &text)
            },
        )
        .unwrap();
    assert_eq!(ticket_count(&runtime, &app), 1, "no bytes made a ticket");
}

#[test]
fn arbitrary_query_strings_get_clear_answers() {
    let (runtime, app) = start();
    let key = prop_oneof![
        prop::sample::select(vec![
            "status", "urgency", "q", "limit", "cursor", "assignee"
        ])
        .prop_map(str::to_string),
        "[a-z%&=]{0,8}",
    ];
    let value = prop_oneof![
        ".{0,30}",
        "[0-9]{0,25}",
        Just("me".to_string()),
        Just("all".to_string())
    ];
    runner()
        .run(&prop::collection::vec((key, value), 0..6), |pairs| {
            let query: String = pairs
                .iter()
                .map(|(key, value)| {
                    let encoded: String =
                        value.bytes().map(|byte| format!("%{byte:02X}")).collect();
                    format!("{key}={encoded}")
                })
                .collect::<Vec<_>>()
                .join("&");
            let path = format!("/api/v1/tickets?{query}");
            let (status, text) = send(&runtime, &app, "GET", &path, "", Vec::new());
            check_answer(&path, status, &text)?;
            prop_assert!(status == 200 || status == 400, "{path}: {status} {text}");
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_form_posts_to_server_functions_get_clear_answers() {
    let (runtime, app) = start();
    let routes = vec![
        "/rpc/create_ticket",
        "/rpc/add_entry",
        "/rpc/change_status",
        "/rpc/update_ticket",
        "/rpc/queue_page",
        "/rpc/create_token",
    ];
    runner()
        .run(
            &(
                prop::sample::select(routes),
                prop::collection::vec(any::<u8>(), 0..256),
            ),
            |(path, body)| {
                let (status, text) = send(
                    &runtime,
                    &app,
                    "POST",
                    path,
                    "application/x-www-form-urlencoded",
                    body,
                );
                prop_assert!(status < 500, "{path}: {status} {text}");
                Ok(())
            },
        )
        .unwrap();
}

/// How a generated crash report is sent.
#[derive(Clone, Copy, Debug)]
enum Compression {
    Identity,
    Gzip,
    Deflate,
    Brotli,
    /// Claims gzip, sends the bytes as they are.
    Mislabelled,
}

fn compress(compression: Compression, body: &[u8]) -> (Vec<u8>, Option<&'static str>) {
    use std::io::Write;
    match compression {
        Compression::Identity => (body.to_vec(), None),
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(body).unwrap();
            (encoder.finish().unwrap(), Some("gzip"))
        }
        Compression::Deflate => {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(body).unwrap();
            (encoder.finish().unwrap(), Some("deflate"))
        }
        Compression::Brotli => {
            let mut compressed = Vec::new();
            let mut encoder = brotli::CompressorWriter::new(&mut compressed, 4096, 5, 22);
            encoder.write_all(body).unwrap();
            drop(encoder);
            (compressed, Some("br"))
        }
        Compression::Mislabelled => (body.to_vec(), Some("gzip")),
    }
}

/// Field names of Sentry events, so that generated events often reach grouping.
const EVENT_FIELDS: &[&str] = &[
    "message",
    "exception",
    "values",
    "type",
    "value",
    "stacktrace",
    "frames",
    "function",
    "module",
    "in_app",
    "release",
    "environment",
    "user",
    "id",
    "email",
    "tags",
    "fingerprint",
    "level",
    "platform",
    "breadcrumbs",
    "logentry",
    "formatted",
    "event_id",
];

fn event_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,30}".prop_map(Value::String),
        "[0-9a-f]{32}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(EVENT_FIELDS).prop_map(str::to_string),
                    inner
                ),
                0..6
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A generated report: the endpoint, the body before compression, and whether a 200 for it
/// files one report (a new event id each time, so every filed report counts once).
fn crash_report(sequence: usize) -> impl Strategy<Value = (&'static str, Vec<u8>, bool)> {
    let event_id = format!("{sequence:032x}");
    let store = {
        let event_id = event_id.clone();
        prop_oneof![
            event_value().prop_map(move |mut event| {
                if let Value::Object(fields) = &mut event {
                    fields.insert("event_id".into(), Value::String(event_id.clone()));
                }
                ("store", serde_json::to_vec(&event).unwrap(), true)
            }),
            prop::collection::vec(any::<u8>(), 0..256).prop_map(|bytes| ("store", bytes, true)),
        ]
    };
    let envelope = (
        event_value(),
        prop::sample::select(vec!["event", "session", "transaction", "attachment", "?"]),
        prop::sample::select(vec!["exact", "missing", "wrong"]),
        any::<bool>(),
    )
        .prop_map(move |(event, kind, length, with_id)| {
            let payload = serde_json::to_vec(&event).unwrap();
            let header = if with_id {
                format!("{{\"event_id\":\"{event_id}\"}}\n")
            } else {
                "{}\n".to_string()
            };
            let item = match length {
                "exact" => format!("{{\"type\":\"{kind}\",\"length\":{}}}\n", payload.len()),
                "missing" => format!("{{\"type\":\"{kind}\"}}\n"),
                _ => format!("{{\"type\":\"{kind}\",\"length\":{}}}\n", payload.len() + 7),
            };
            let mut body = header.into_bytes();
            body.extend(item.into_bytes());
            body.extend(payload);
            body.push(b'\n');
            // A report without an id of its own gets a random one: it counts once too.
            ("envelope", body, kind == "event")
        });
    prop_oneof![store, envelope]
}

#[test]
fn arbitrary_crash_reports_in_every_compression_get_clear_answers_and_count_once() {
    let (runtime, app) = start();
    let (project, key) = runtime.block_on(async {
        let (status, project) = app
            .post("/api/v1/projects", &serde_json::json!({ "name": "Fuzzed" }))
            .await;
        assert_eq!(status, 201, "{project}");
        let dsn = server::ingest::dsn::Dsn::parse(project["dsn"].as_str().unwrap()).unwrap();
        (project["id"].as_u64().unwrap(), dsn.public_key)
    });
    let compression = prop::sample::select(vec![
        Compression::Identity,
        Compression::Gzip,
        Compression::Deflate,
        Compression::Brotli,
        Compression::Mislabelled,
    ]);
    let sequence = AtomicUsize::new(1);
    let filed = AtomicUsize::new(0);
    let strategy = (0..usize::MAX).prop_flat_map(move |_| {
        (
            crash_report(sequence.fetch_add(1, Ordering::Relaxed)),
            compression.clone(),
        )
    });
    runner()
        .run(&strategy, |((endpoint, body, files), compression)| {
            let (body, encoding) = compress(compression, &body);
            let (status, text) = runtime.block_on(async {
                let mut request = reqwest::Client::new()
                    .post(app.url(&format!("/api/{project}/{endpoint}/")))
                    .header(
                        "x-sentry-auth",
                        format!("Sentry sentry_version=7, sentry_key={key}"),
                    )
                    .body(body);
                if let Some(encoding) = encoding {
                    request = request.header("content-encoding", encoding);
                }
                let response = request.send().await.expect("the server answers");
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            });
            check_answer(endpoint, status, &text)?;
            prop_assert!(
                matches!(status, 200 | 400 | 413 | 415),
                "{endpoint} {compression:?}: {status} {text}"
            );
            if status == 200 {
                let answer: Value = serde_json::from_str(&text).unwrap();
                prop_assert!(answer["id"].is_string(), "{text}");
                if files {
                    filed.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(())
        })
        .unwrap();
    // Every report answered 200 was counted, exactly once; nothing refused was.
    let counted: u64 = runtime.block_on(async {
        let mut counted = 0;
        let mut path = "/api/v1/tickets?status=all&channel=crash&limit=200".to_string();
        loop {
            let (status, page) = app.get(&path).await;
            assert_eq!(status, 200, "{page}");
            counted += page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|ticket| ticket["occurrences"].as_u64().unwrap())
                .sum::<u64>();
            match page["next_cursor"].as_str() {
                Some(cursor) => {
                    path = format!(
                        "/api/v1/tickets?status=all&channel=crash&limit=200&cursor={cursor}"
                    )
                }
                None => return counted,
            }
        }
    });
    assert_eq!(counted, filed.load(Ordering::Relaxed) as u64);
}
