//! The REST API against the real server on a random port with a fresh in-memory database.

mod support;

use serde_json::json;
use std::collections::HashSet;
use support::{references, spawn_app};

/// How the timeline names the test application's admin token.
const TOKEN_AUTHOR: &str = "Admin (API token “tests”)";

#[tokio::test]
async fn creating_a_ticket_answers_201_with_the_whole_ticket() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/api/v1/tickets",
            &json!({
                "title": "  Cannot log in  ",
                "description": "Password rejected since this morning",
                "urgency": "high",
                "channel": "email",
                "customer": "Ada Lovelace",
                "scope": "internal",
                "environment": "Firefox 140 on Linux",
                "occurred_at": "2026-11-28T07:45:00+01:00",
                "manner": "after the password change"
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["reference"], "TCK-1");
    assert_eq!(body["title"], "Cannot log in");
    assert_eq!(body["urgency"], "high");
    assert_eq!(body["status"], "new");
    assert_eq!(body["channel"], "email");
    assert_eq!(body["scope"], "internal");
    assert_eq!(body["occurred_at"], "2026-11-28T06:45:00Z");
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let (status, stored) = app.get("/api/v1/tickets/TCK-1").await;
    assert_eq!(status, 200);
    assert_eq!(
        stored["description"],
        "Password rejected since this morning"
    );
    assert_eq!(stored["created_at"], body["created_at"]);
    assert_eq!(stored["entries"][0]["kind"], "created");
    assert_eq!(stored["entries"][0]["author"], TOKEN_AUTHOR);
}

#[tokio::test]
async fn defaults_fill_in_what_a_minimal_request_leaves_out() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Slow", "customer": "Bob" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["urgency"], "medium");
    assert_eq!(body["channel"], "api");
    assert_eq!(body["scope"], "external");
    assert_eq!(body["occurred_at"], serde_json::Value::Null);
}

#[tokio::test]
async fn references_count_up_from_one() {
    let app = spawn_app().await;
    for expected in 1..=5 {
        assert_eq!(
            app.create_ticket("Printer", "low").await,
            format!("TCK-{expected}")
        );
    }
}

#[tokio::test]
async fn two_hundred_concurrent_creations_get_two_hundred_distinct_references() {
    let app = spawn_app().await;
    let tasks: Vec<_> = (0..200)
        .map(|index| {
            let client = app.client.clone();
            let url = app.url("/api/v1/tickets");
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .json(&json!({ "title": format!("Ticket {index}"), "customer": "Load" }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                let body: serde_json::Value = response.json().await.unwrap();
                body["reference"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        assert!(
            seen.insert(task.await.unwrap()),
            "a reference was given twice"
        );
    }
    let expected: HashSet<String> = (1..=200).map(|number| format!("TCK-{number}")).collect();
    assert_eq!(seen, expected);

    let (_, page) = app.get("/api/v1/tickets?limit=200").await;
    assert_eq!(references(&page).len(), 200);
}

#[tokio::test]
async fn the_queue_puts_the_most_urgent_then_the_oldest_first() {
    let app = spawn_app().await;
    let low = app.create_ticket("low", "low").await;
    let critical_old = app.create_ticket("critical old", "critical").await;
    let none = app.create_ticket("none", "none").await;
    let high = app.create_ticket("high", "high").await;
    let critical_new = app.create_ticket("critical new", "critical").await;

    let (status, page) = app.get("/api/v1/tickets").await;
    assert_eq!(status, 200);
    assert_eq!(
        references(&page),
        [
            critical_old.clone(),
            critical_new,
            high.clone(),
            low.clone(),
            none
        ]
    );
    assert_eq!(page["next_cursor"], serde_json::Value::Null);

    // Raising an old ticket's urgency moves it up.
    let (status, body) = app
        .patch(
            &format!("/api/v1/tickets/{low}"),
            &json!({ "urgency": "critical" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, page) = app.get("/api/v1/tickets?limit=2").await;
    assert_eq!(references(&page), [low, critical_old]);
    let _ = high;
}

#[tokio::test]
async fn pages_follow_each_other_without_gaps_or_repeats() {
    let app = spawn_app().await;
    for index in 0..23 {
        let urgency = ["critical", "high", "medium", "low", "none"][index % 5];
        app.create_ticket(&format!("ticket {index}"), urgency).await;
    }
    let (_, whole) = app.get("/api/v1/tickets?limit=100").await;
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/tickets?limit=5&cursor={cursor}"),
            None => "/api/v1/tickets?limit=5".to_string(),
        };
        let (status, page) = app.get(&path).await;
        assert_eq!(status, 200, "{page}");
        paged.extend(references(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(paged, references(&whole));
    assert_eq!(paged.len(), 23);
}

#[tokio::test]
async fn the_queue_filters_by_status_urgency_and_text() {
    let app = spawn_app().await;
    let printer = app.create_verifiable_ticket("Printer jams on tray 2").await;
    let _vpn = app.create_ticket("VPN drops every hour", "high").await;
    let (_, _) = app
        .post("/api/v1/tickets", &json!({ "title": "Mail", "description": "The PRINTER queue is stuck", "customer": "C", "urgency": "low" }))
        .await;
    let (status, _) = app.transition(&printer, json!({ "to": "invalid" })).await;
    assert_eq!(status, 200);

    let (_, open) = app.get("/api/v1/tickets").await;
    assert_eq!(references(&open), ["TCK-2", "TCK-3"]);
    let (_, invalid) = app.get("/api/v1/tickets?status=invalid").await;
    assert_eq!(references(&invalid), ["TCK-1"]);
    let (_, all) = app.get("/api/v1/tickets?status=all").await;
    assert_eq!(references(&all).len(), 3);
    let (_, high) = app.get("/api/v1/tickets?urgency=high").await;
    assert_eq!(references(&high), ["TCK-2"]);
    let (_, text) = app.get("/api/v1/tickets?status=all&q=Printer").await;
    assert_eq!(references(&text), ["TCK-1", "TCK-3"]);
    let (_, none) = app.get("/api/v1/tickets?q=nothing%20like%20this").await;
    assert_eq!(references(&none), Vec::<String>::new());
}

#[tokio::test]
async fn text_search_matches_every_word_in_title_description_or_customer() {
    let app = spawn_app().await;
    let tray = app.create_ticket("Printer jams on tray-2", "low").await;
    let (_, body) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Mail", "description": "The printer QUEUE is stuck", "customer": "Acme", "urgency": "critical" }),
        )
        .await;
    let queue = body["reference"].as_str().unwrap().to_string();
    let (_, body) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "VPN drops", "customer": "Printer Works Ltd", "urgency": "medium" }),
        )
        .await;
    let vpn = body["reference"].as_str().unwrap().to_string();

    let search = |q: &'static str| {
        let app = &app;
        async move { references(&app.get(&format!("/api/v1/tickets?q={q}")).await.1) }
    };
    // Queue order: urgency first.
    assert_eq!(
        search("printer").await,
        [queue.as_str(), vpn.as_str(), tray.as_str()]
    );
    assert_eq!(search("PRINTER%20queue").await, [queue.as_str()]);
    assert_eq!(search("tray%202").await, [tray.as_str()]);
    assert_eq!(search("acme").await, [queue.as_str()]);
    // Whole words: a part of a word is not a match.
    assert_eq!(search("print").await, Vec::<String>::new());

    // An edit changes what the ticket is found by.
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{tray}"),
            &json!({ "title": "Scanner offline" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(search("printer").await, [queue.as_str(), vpn.as_str()]);
    assert_eq!(search("scanner").await, [tray.as_str()]);

    // A search follows the ticket through status changes.
    let (status, _) = app.transition(&queue, json!({ "to": "invalid" })).await;
    assert_eq!(status, 200);
    assert_eq!(search("printer").await, [vpn.as_str()]);
    assert_eq!(
        references(&app.get("/api/v1/tickets?q=printer&status=invalid").await.1),
        [queue.as_str()]
    );
}

#[tokio::test]
async fn text_search_pages_through_matches_in_queue_order() {
    let app = spawn_app().await;
    let mut matching = Vec::new();
    for index in 0..25 {
        let title = if index % 2 == 0 {
            format!("Disk full {index}")
        } else {
            format!("Other {index}")
        };
        let urgency = ["low", "high", "none"][index % 3];
        let reference = app.create_ticket(&title, urgency).await;
        if index % 2 == 0 {
            matching.push((urgency, reference));
        }
    }
    let rank = |urgency: &str| {
        ["critical", "high", "medium", "low", "none"]
            .iter()
            .position(|u| *u == urgency)
    };
    matching.sort_by_key(|(urgency, reference)| {
        (rank(urgency), reference[4..].parse::<u32>().unwrap())
    });
    let expected: Vec<String> = matching
        .into_iter()
        .map(|(_, reference)| reference)
        .collect();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app
            .get(&format!("/api/v1/tickets?q=disk&limit=4&cursor={cursor}"))
            .await;
        assert_eq!(status, 200, "{page}");
        seen.extend(references(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn bad_query_parameters_are_refused_with_the_parameter_named() {
    let app = spawn_app().await;
    for (query, field) in [
        ("status=sleeping", "status"),
        ("urgency=panic", "urgency"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=%27%20OR%201%3D1", "cursor"),
        ("q=%3F%21", "q"),
        ("q=a+b+c+d+e+f+g+h+i", "q"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/tickets?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn unknown_and_malformed_references_are_404() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/tickets/TCK-99",
        "/api/v1/tickets/banana",
        "/api/v1/tickets/TCK-0",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (status, _) = app
        .post(
            "/api/v1/tickets/TCK-99/entries",
            &json!({ "kind": "note", "body": "hi" }),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.transition("TCK-99", json!({ "to": "verified" })).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .patch("/api/v1/tickets/TCK-99", &json!({ "urgency": "low" }))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn invalid_fields_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let long_title = "x".repeat(201);
    for (body, field) in [
        (json!({ "customer": "Ada" }), "title"),
        (json!({ "title": "   ", "customer": "Ada" }), "title"),
        (json!({ "title": long_title, "customer": "Ada" }), "title"),
        (json!({ "title": "Broken" }), "customer"),
        (
            json!({ "title": "Broken", "customer": "Ada", "urgency": "urgent" }),
            "urgency",
        ),
        (
            json!({ "title": "Broken", "customer": "Ada", "occurred_at": "yesterday" }),
            "occurred_at",
        ),
        (
            json!({ "title": "Broken", "customer": "Ada", "priority": 1 }),
            "priority",
        ),
        (json!({ "title": 42, "customer": "Ada" }), "title"),
    ] {
        let (status, response) = app.post("/api/v1/tickets", &body).await;
        assert_eq!(status, 422, "{body}: {response}");
        assert_eq!(response["error"]["code"], "invalid_field", "{response}");
        assert_eq!(response["error"]["field"], field, "{body}: {response}");
    }
    let (_, page) = app.get("/api/v1/tickets?status=all").await;
    assert_eq!(references(&page), Vec::<String>::new());
    assert_eq!(
        app.create_ticket("First real one", "low").await,
        "TCK-1",
        "refused requests use no reference"
    );
}

#[tokio::test]
async fn malformed_json_wrong_content_type_and_oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/tickets");
    let response = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"title\": \"unterminated")
        .send()
        .await
        .unwrap();
    let (status, body) = support::read(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "malformed_json");

    let response = app.client.post(&url).body("title=x").send().await.unwrap();
    let (status, body) = support::read(response).await;
    assert_eq!(status, 415);
    assert_eq!(body["error"]["code"], "unsupported_media_type");

    let huge = json!({ "title": "Huge", "customer": "Ada", "description": "y".repeat(300 * 1024) });
    let (status, body) = app.post("/api/v1/tickets", &huge).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");

    let (status, _) = app.get("/api/v1/tickets?status=all").await;
    assert_eq!(status, 200, "the server still answers");
}

#[tokio::test]
async fn timeline_entries_record_notes_contacts_and_fix_attempts() {
    let app = spawn_app().await;
    let reference = app.create_ticket("Monitor flickers", "medium").await;
    let path = format!("/api/v1/tickets/{reference}/entries");

    // Authorship comes from the credentials; a request cannot claim another author.
    let (status, forged) = app
        .post(
            &path,
            &json!({ "kind": "note", "body": "Forged", "author": "The CEO" }),
        )
        .await;
    assert_eq!(status, 422, "{forged}");
    assert_eq!(forged["error"]["field"], "author");
    let (status, note) = app
        .post(
            &path,
            &json!({ "kind": "note", "body": "Seen twice today" }),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["author"], TOKEN_AUTHOR);
    let (status, _) = app
        .post(
            &path,
            &json!({ "kind": "contact", "body": "Called back, no answer" }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, attempt) = app
        .post(
            &path,
            &json!({ "kind": "attempt", "body": "Swapped the cable", "outcome": "failed" }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(attempt["outcome"], "failed");

    for (body, field) in [
        (json!({ "kind": "attempt", "body": "Rebooted" }), "outcome"),
        (
            json!({ "kind": "note", "body": "x", "outcome": "worked" }),
            "outcome",
        ),
        (json!({ "kind": "note", "body": "  " }), "body"),
        (json!({ "kind": "status_change", "body": "sneaky" }), "kind"),
        (json!({ "kind": "gossip", "body": "x" }), "kind"),
    ] {
        let (status, response) = app.post(&path, &body).await;
        assert_eq!(status, 422, "{body}: {response}");
        assert_eq!(response["error"]["field"], field, "{body}: {response}");
    }

    let (_, detail) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    let kinds: Vec<_> = detail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "note", "contact", "attempt"]);
    assert_eq!(detail["entries"][3]["body"], "Swapped the cable");
}

#[tokio::test]
async fn patching_changes_fields_and_records_urgency_and_assignee_on_the_timeline() {
    let app = spawn_app().await;
    let reference = app.create_ticket("Laptop battery", "low").await;
    let path = format!("/api/v1/tickets/{reference}");

    let (status, _) = app
        .post(
            "/api/v1/agents",
            &json!({ "email": "Sam@Example.com", "name": "Sam", "password": "sam's password" }),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .patch(&path, &json!({ "assignee": "nobody@example.com" }))
        .await;
    assert_eq!(status, 422, "only agents can be assigned: {body}");
    assert_eq!(body["error"]["field"], "assignee");

    let (status, ticket) = app
        .patch(&path, &json!({ "urgency": "high", "assignee": "sam@example.com", "environment": "ThinkPad T14" }))
        .await;
    assert_eq!(status, 200, "{ticket}");
    assert_eq!(ticket["urgency"], "high");
    assert_eq!(ticket["assignee"], "sam@example.com");
    assert_eq!(ticket["environment"], "ThinkPad T14");

    let (status, ticket) = app.patch(&path, &json!({ "assignee": "" })).await;
    assert_eq!(status, 200);
    assert_eq!(ticket["assignee"], serde_json::Value::Null);

    let (_, detail) = app.get(&path).await;
    let entries = detail["entries"].as_array().unwrap();
    let summary: Vec<_> = entries
        .iter()
        .map(|entry| {
            (
                entry["kind"].as_str().unwrap(),
                entry["from"].clone(),
                entry["to"].clone(),
                entry["author"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("created", json!(null), json!(null), TOKEN_AUTHOR),
            ("edit", json!(null), json!(null), TOKEN_AUTHOR),
            ("urgency_change", json!("low"), json!("high"), TOKEN_AUTHOR),
            (
                "assignee_change",
                json!(null),
                json!("sam@example.com"),
                TOKEN_AUTHOR
            ),
            (
                "assignee_change",
                json!("sam@example.com"),
                json!(null),
                TOKEN_AUTHOR
            ),
        ]
    );

    let (status, body) = app.patch(&path, &json!({ "title": "" })).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.patch(&path, &json!({ "status": "closed" })).await;
    assert_eq!(status, 422, "status changes go through transitions: {body}");
}

#[tokio::test]
async fn a_ticket_goes_through_the_whole_workflow() {
    let app = spawn_app().await;
    let reference = app.create_verifiable_ticket("Invoices print blank").await;
    for to in [
        "verified",
        "in_progress",
        "waiting_on_customer",
        "in_progress",
    ] {
        let (status, ticket) = app.transition(&reference, json!({ "to": to })).await;
        assert_eq!(status, 200, "{to}: {ticket}");
        assert_eq!(ticket["status"], to);
    }
    let (status, ticket) = app
        .transition(
            &reference,
            json!({ "to": "resolved", "resolution": "Reinstalled the PDF driver" }),
        )
        .await;
    assert_eq!(status, 200, "{ticket}");
    assert_eq!(ticket["resolution"], "Reinstalled the PDF driver");
    let (status, ticket) = app.transition(&reference, json!({ "to": "closed" })).await;
    assert_eq!(status, 200);
    assert_eq!(ticket["status"], "closed");

    // Reopening keeps the history but clears the current resolution.
    let (status, ticket) = app
        .transition(&reference, json!({ "to": "in_progress" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(ticket["resolution"], serde_json::Value::Null);

    let (_, detail) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    let changes: Vec<_> = detail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "status_change")
        .map(|entry| {
            format!(
                "{}>{}",
                entry["from"].as_str().unwrap(),
                entry["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            "new>verified",
            "verified>in_progress",
            "in_progress>waiting_on_customer",
            "waiting_on_customer>in_progress",
            "in_progress>resolved",
            "resolved>closed",
            "closed>in_progress"
        ]
    );
    let resolved = detail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["to"] == "resolved")
        .unwrap();
    assert_eq!(resolved["body"], "Reinstalled the PDF driver");
}

#[tokio::test]
async fn illegal_transitions_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let reference = app.create_verifiable_ticket("Disk full").await;
    for to in [
        "in_progress",
        "resolved",
        "closed",
        "waiting_on_customer",
        "new",
    ] {
        let (status, body) = app
            .transition(&reference, json!({ "to": to, "resolution": "x" }))
            .await;
        assert_eq!(status, 409, "new -> {to}: {body}");
        assert_eq!(body["error"]["code"], "illegal_transition");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("verified, invalid"),
            "{body}"
        );
    }
    let (status, body) = app.transition(&reference, json!({ "to": "asleep" })).await;
    assert_eq!(status, 422, "{body}");

    app.transition(&reference, json!({ "to": "verified" }))
        .await;
    app.transition(&reference, json!({ "to": "in_progress" }))
        .await;
    let (status, body) = app
        .transition(&reference, json!({ "to": "resolved" }))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "missing_resolution");
    let (status, body) = app
        .transition(&reference, json!({ "to": "resolved", "resolution": "   " }))
        .await;
    assert_eq!(status, 422, "{body}");

    let (_, detail) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(detail["status"], "in_progress");
    assert_eq!(
        detail["entries"].as_array().unwrap().len(),
        3,
        "created + two status changes"
    );
}

#[tokio::test]
async fn verifying_tells_the_agent_what_is_missing() {
    let app = spawn_app().await;
    let reference = app.create_ticket("Something is off", "medium").await;
    let (status, body) = app
        .transition(&reference, json!({ "to": "verified" }))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "not_verifiable");
    assert_eq!(
        body["error"]["message"],
        "cannot verify yet; still missing: environment, occurred_at, manner"
    );

    app.patch(
        &format!("/api/v1/tickets/{reference}"),
        &json!({ "environment": "Android 15", "occurred_at": "2026-11-27T18:00:00Z", "manner": "on app start" }),
    )
    .await;
    let (status, body) = app
        .transition(&reference, json!({ "to": "verified" }))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn concurrent_transitions_of_one_ticket_apply_exactly_once() {
    let app = spawn_app().await;
    let reference = app.create_verifiable_ticket("Race").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = app.client.clone();
            let url = app.url(&format!("/api/v1/tickets/{reference}/transitions"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({ "to": "verified" }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    let (_, detail) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    assert_eq!(detail["entries"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn concurrent_changes_to_one_ticket_are_all_kept() {
    let app = spawn_app().await;
    let reference = app.create_ticket("Busy ticket", "medium").await;
    let tasks: Vec<_> = (0..12)
        .map(|index| {
            let client = app.client.clone();
            let url = app.url(&format!("/api/v1/tickets/{reference}/entries"));
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .json(&json!({ "kind": "note", "body": format!("note {index}") }))
                    .send()
                    .await
                    .unwrap();
                response.status().as_u16()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 201);
    }
    let (_, detail) = app.get(&format!("/api/v1/tickets/{reference}")).await;
    let mut bodies: Vec<String> = detail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|entry| entry["body"].as_str().unwrap().to_string())
        .collect();
    bodies.sort();
    let mut expected: Vec<String> = (0..12).map(|index| format!("note {index}")).collect();
    expected.sort();
    assert_eq!(bodies, expected, "every note is kept exactly once");
}

#[tokio::test]
async fn occurrence_details_can_be_cleared() {
    let app = spawn_app().await;
    let reference = app.create_verifiable_ticket("Clear me").await;
    let (status, ticket) = app
        .patch(
            &format!("/api/v1/tickets/{reference}"),
            &json!({ "occurred_at": "", "manner": "" }),
        )
        .await;
    assert_eq!(status, 200, "{ticket}");
    assert_eq!(ticket["occurred_at"], serde_json::Value::Null);
    assert_eq!(ticket["manner"], "");
    let (status, body) = app
        .transition(&reference, json!({ "to": "verified" }))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "cannot verify yet; still missing: occurred_at, manner"
    );
}

#[tokio::test]
async fn health_and_readiness_probes_answer() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = spawn_app().await;
    let (status, document) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/tickets",
        "/api/v1/tickets/{reference}",
        "/api/v1/tickets/{reference}/entries",
        "/api/v1/tickets/{reference}/transitions",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path} is missing");
    }
    assert!(paths["/api/v1/tickets"]["post"].is_object());
    assert!(paths["/api/v1/tickets/{reference}"]["patch"].is_object());
    assert!(document["components"]["schemas"]["Ticket"].is_object());
}

#[tokio::test]
async fn unknown_api_routes_answer_json_404() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/v1/nothing").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}
