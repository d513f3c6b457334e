//! Whoever holds a DSN is a stranger: what a crash report says is bounded before it becomes a
//! ticket, and a hostile report costs work in proportion to its size.

mod support;

use serde_json::{Value, json};
use support::{TestApp, spawn_app};

/// Creates a project and returns its id and public key.
async fn project(app: &TestApp, name: &str) -> (u64, String) {
    let (status, project) = app.post("/api/v1/projects", &json!({ "name": name })).await;
    assert_eq!(status, 201, "{project}");
    let dsn = server::ingest::dsn::Dsn::parse(project["dsn"].as_str().unwrap()).unwrap();
    (project["id"].as_u64().unwrap(), dsn.public_key)
}

/// Posts one event to the older store endpoint.
async fn store(app: &TestApp, project: u64, key: &str, event: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(app.url(&format!("/api/{project}/store/")))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_version=7, sentry_key={key}"),
        )
        .json(event)
        .send()
        .await
        .unwrap();
    support::read(response).await
}

async fn only_crash_ticket(app: &TestApp) -> Value {
    let (status, page) = app.get("/api/v1/tickets?status=all&channel=crash").await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    let reference = items[0]["reference"].as_str().unwrap();
    let (status, detail) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(status, 200);
    detail
}

#[tokio::test]
async fn a_report_naming_a_user_of_many_distinct_words_files_a_bounded_ticket() {
    let app = spawn_app().await;
    let (id, key) = project(&app, "Hostile").await;
    // 120,000 distinct words, about 850 KB: once these took minutes of CPU to index.
    let words: Vec<String> = (0..120_000).map(|index| format!("w{index:x}")).collect();
    let user = words.join(" ");
    let event = json!({
        "user": { "id": user },
        "release": words[..5_000].join("-"),
        "environment": words[..5_000].join("_"),
        "tags": { "customer": words[..5_000].join(" "), "region": "eu" },
        "message": "The payment service stalled",
    });
    let (status, answer) = store(&app, id, &key, &event).await;
    assert_eq!(status, 200, "{answer}");

    let ticket = only_crash_ticket(&app).await;
    let bounded = |field: &str, value: &Value| {
        let text = value
            .as_str()
            .unwrap_or_else(|| panic!("{field}: {ticket}"));
        assert!(
            text.chars().count() <= app::crash::MAX_LABEL_CHARS + 40,
            "{field} has {} characters",
            text.chars().count()
        );
        text.to_string()
    };
    let customer = bounded("customer", &ticket["customer"]);
    assert!(customer.starts_with("w0 w1 w2"), "{customer}");
    assert!(customer.ends_with('…'), "{customer}");
    let environment = ticket["environment"].as_str().unwrap();
    assert!(
        environment.chars().count() <= 3 * (app::crash::MAX_LABEL_CHARS + 20),
        "{environment}"
    );
    for release in ticket["releases"].as_array().unwrap() {
        bounded("a release", release);
    }

    // The ticket is found by the words it kept, and by nothing past the cut.
    let (status, found) = app.get("/api/v1/tickets?status=all&q=w1f").await;
    assert_eq!(status, 200);
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let (_, not_found) = app.get("/api/v1/tickets?status=all&q=w1000").await;
    assert_eq!(
        not_found["items"].as_array().unwrap().len(),
        0,
        "{not_found}"
    );

    // The next ordinary report is filed as usual.
    let (status, _) = store(&app, id, &key, &json!({ "message": "An ordinary crash" })).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_event_id_is_kept_as_32_hex_digits_whatever_its_spelling() {
    let app = spawn_app().await;
    let (id, key) = project(&app, "Spelling").await;
    let event = |event_id: &str| json!({ "event_id": event_id, "message": "Spelled twice" });
    let (status, first) = store(
        &app,
        id,
        &key,
        &event("A1B2C3D4-E5F6-0718-293A-4B5C6D7E8F90"),
    )
    .await;
    assert_eq!(
        (status, first["id"].as_str()),
        (200, Some("a1b2c3d4e5f60718293a4b5c6d7e8f90"))
    );
    // The same id spelled the other way is the same report, counted once.
    let (status, again) = store(&app, id, &key, &event("a1b2c3d4e5f60718293a4b5c6d7e8f90")).await;
    assert_eq!(status, 200, "{again}");
    let ticket = only_crash_ticket(&app).await;
    assert_eq!(ticket["occurrences"], 1, "{ticket}");

    let (status, refused) = store(&app, id, &key, &event(&"f".repeat(100_000))).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_event");
}

#[tokio::test]
async fn a_crash_ticket_lists_its_latest_releases_and_counts_the_rest() {
    let app = spawn_app().await;
    let (id, key) = project(&app, "Many releases").await;
    let max = app::model::MAX_CRASH_RELEASES;
    // One report per release, each from its own environment too, some sent twice.
    for index in 0..max + 10 {
        let event = json!({
            "message": "The same crash in every release",
            "release": format!("shop@1.0.{index}"),
            "environment": format!("tenant-{index}"),
        });
        for _ in 0..(1 + index % 2) {
            let (status, answer) = store(&app, id, &key, &event).await;
            assert_eq!(status, 200, "{answer}");
        }
    }
    let ticket = only_crash_ticket(&app).await;
    let releases: Vec<&str> = ticket["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|release| release.as_str().unwrap())
        .collect();
    assert_eq!(releases.len(), max, "{ticket}");
    assert_eq!(releases.first(), Some(&"shop@1.0.10"));
    assert_eq!(
        releases.last(),
        Some(&format!("shop@1.0.{}", max + 9).as_str())
    );
    assert_eq!(ticket["releases_omitted"], 10, "{ticket}");
    assert_eq!(ticket["environments"].as_array().unwrap().len(), max);
    assert_eq!(ticket["environments_omitted"], 10, "{ticket}");

    // A release it already lists is neither added again nor counted as omitted.
    let (status, _) = store(
        &app,
        id,
        &key,
        &json!({ "message": "The same crash in every release", "release": "shop@1.0.30" }),
    )
    .await;
    assert_eq!(status, 200);
    let ticket = only_crash_ticket(&app).await;
    assert_eq!(ticket["releases"].as_array().unwrap().len(), max);
    assert_eq!(ticket["releases_omitted"], 10, "{ticket}");
}
