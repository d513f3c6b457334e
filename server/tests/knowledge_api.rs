//! The knowledge base over the REST API: articles with their history, publishing a ticket's
//! resolution, full-text search and suggestions.

mod support;

use serde_json::{Value, json};
use support::{TestApp, spawn_app};

async fn article(app: &TestApp, body: Value) -> Value {
    let (status, article) = app.post("/api/v1/articles", &body).await;
    assert_eq!(status, 201, "{article}");
    article
}

/// Articles about other things, so that the words of a test are rare in the index (BM25 gives
/// words found in most records no weight).
async fn other_articles(app: &TestApp) {
    for (title, text) in [
        (
            "VPN drops every hour",
            "Renew the certificate of the VPN gateway.",
        ),
        ("Mailbox full", "Archive old mail or raise the quota."),
        ("Password expired", "Reset it from the self-service portal."),
        (
            "Slow network share",
            "Map the share by its address instead of its name.",
        ),
        (
            "Calendar invites missing",
            "Re-sync the calendar from the mail client.",
        ),
        ("Scanner not detected", "Plug it into a USB 2 port."),
    ] {
        article(
            app,
            json!({ "title": title, "symptoms": title, "resolution": text, "status": "published" }),
        )
        .await;
    }
}

fn hit_references(hits: &Value) -> Vec<String> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["reference"].as_str().unwrap().to_string())
        .collect()
}

/// The text of fragments, with matched words in brackets.
fn marked(fragments: &Value) -> String {
    fragments
        .as_array()
        .unwrap()
        .iter()
        .map(|fragment| {
            let text = fragment["text"].as_str().unwrap();
            if fragment["matched"] == true {
                format!("[{text}]")
            } else {
                text.to_string()
            }
        })
        .collect()
}

#[tokio::test]
async fn articles_are_written_changed_and_keep_their_history() {
    let app = spawn_app().await;
    let ticket = app.create_ticket("Payslips print blank", "medium").await;
    let created = article(
        &app,
        json!({
            "title": " Payslips print blank ",
            "symptoms": "The printer feeds *blank* pages.",
            "tags": ["Printing", "payroll"],
            "tickets": [ticket],
        }),
    )
    .await;
    assert_eq!(created["title"], "Payslips print blank");
    assert_eq!(created["status"], "draft", "a draft unless published");
    assert_eq!(created["tags"], json!(["printing", "payroll"]));
    assert_eq!(created["tickets"], json!([ticket]));
    assert_eq!(created["revision"], 1);
    let id = created["id"].as_u64().unwrap();
    let path = format!("/api/v1/articles/{id}");

    // Publishing needs a resolution.
    let (status, error) = app
        .patch(&path, &json!({ "revision": 1, "status": "published" }))
        .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["field"], "resolution");

    let (status, published) = app
        .patch(
            &path,
            &json!({ "revision": 1, "status": "published", "resolution": "1. Reinstall the PDF driver" }),
        )
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["revision"], 2);
    assert_eq!(published["tags"], created["tags"], "fields not named stay");

    // An edit made from revision 1 would undo the publication: refused.
    let (status, error) = app
        .patch(&path, &json!({ "revision": 1, "title": "Blank payslips" }))
        .await;
    assert_eq!(status, 409, "{error}");
    let (_, read) = app.get(&path).await;
    assert_eq!(read, published);

    let (status, history) = app.get(&format!("{path}/history")).await;
    assert_eq!(status, 200);
    let revisions: Vec<(u64, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|version| {
            (
                version["revision"].as_u64().unwrap(),
                version["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(revisions, [(2, "published"), (1, "draft")]);
    assert_eq!(history[1]["resolution"], "");

    let (_, drafts) = app.get("/api/v1/articles?status=draft").await;
    assert_eq!(drafts["items"], json!([]));
    let (_, published_list) = app.get("/api/v1/articles?status=published").await;
    assert_eq!(published_list["items"][0]["id"], id);
}

#[tokio::test]
async fn bad_articles_are_refused_naming_the_field() {
    let app = spawn_app().await;
    for (body, field) in [
        (json!({ "title": "" }), "title"),
        (
            json!({ "title": "A", "tickets": ["TCK-404"] }),
            "tickets[0]",
        ),
        (
            json!({ "title": "A", "tickets": ["nonsense"] }),
            "tickets[0]",
        ),
        (json!({ "title": "A", "tags": ["ok", "<b>"] }), "tags[1]"),
        (
            json!({ "title": "A", "status": "published", "resolution": " " }),
            "resolution",
        ),
    ] {
        let (status, error) = app.post("/api/v1/articles", &body).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["error"]["field"], field, "{body}");
    }
    let (_, list) = app.get("/api/v1/articles").await;
    assert_eq!(list["items"], json!([]), "nothing was stored");
    let (status, _) = app.get("/api/v1/articles/99").await;
    assert_eq!(status, 404);
    let (status, _) = app.get("/api/v1/articles?status=secret").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_resolution_is_published_as_an_article_prefilled_from_the_ticket() {
    let app = spawn_app().await;
    let reference = app
        .create_verifiable_ticket("Printer prints blank pages")
        .await;
    let entries = format!("/api/v1/tickets/{reference}/entries");
    for (body, outcome) in [
        ("Swapped the toner", "failed"),
        ("Reinstalled the PDF driver", "worked"),
    ] {
        let (status, entry) = app
            .post(
                &entries,
                &json!({ "kind": "attempt", "body": body, "outcome": outcome }),
            )
            .await;
        assert_eq!(status, 201, "{entry}");
    }
    app.resolve(&reference, "The driver update broke PDF printing.")
        .await;

    let (status, draft) = app
        .get(&format!("/api/v1/tickets/{reference}/article-draft"))
        .await;
    assert_eq!(status, 200, "{draft}");
    assert_eq!(draft["title"], "Printer prints blank pages");
    assert_eq!(draft["tickets"], json!([reference]));
    assert_eq!(draft["status"], "published");
    let resolution = draft["resolution"].as_str().unwrap();
    let failed = resolution
        .find("Swapped the toner")
        .expect("the failed attempt");
    let worked = resolution
        .find("Reinstalled the PDF driver")
        .expect("the attempt that worked");
    assert!(failed < worked, "{resolution}");
    assert!(resolution.contains("The driver update broke PDF printing."));
    assert!(
        draft["symptoms"]
            .as_str()
            .unwrap()
            .contains("Windows 11, client 4.2"),
        "{draft}"
    );

    let published = article(&app, draft).await;
    assert_eq!(published["status"], "published");
    assert_eq!(published["tickets"], json!([reference]));
}

#[tokio::test]
async fn search_ranks_the_article_about_the_problem_above_one_that_mentions_it() {
    let app = spawn_app().await;
    other_articles(&app).await;
    let mention = article(
        &app,
        json!({
            "title": "Monthly payroll checklist",
            "symptoms": "Steps for the end of the month.",
            "resolution": "Check the printer has paper, then run the export.",
            "status": "published"
        }),
    )
    .await;
    let about = article(
        &app,
        json!({
            "title": "Printer prints blank pages",
            "symptoms": "After the update the printer prints blank pages instead of payslips.",
            "resolution": "Reinstall the PDF driver.",
            "status": "published"
        }),
    )
    .await;
    let draft = article(
        &app,
        json!({ "title": "Printer blank pages (draft)", "symptoms": "printer blank pages" }),
    )
    .await;

    let (status, results) = app
        .get("/api/v1/search?q=printer%20blank%20pages&scope=articles")
        .await;
    assert_eq!(status, 200, "{results}");
    let found = hit_references(&results["items"]);
    let position = |article: &Value| {
        found
            .iter()
            .position(|reference| *reference == format!("KB-{}", article["id"]))
    };
    assert!(
        position(&about).unwrap() < position(&mention).expect("the mention is found too"),
        "{found:?}"
    );
    assert_eq!(position(&draft), None, "drafts are not searched");
    let best = &results["items"][0];
    assert_eq!(marked(&best["title"]), "[Printer] prints [blank] [pages]");
    assert!(marked(&best["snippet"]).contains("[printer]"), "{best}");
    assert_eq!(best["kind"], "article");
    assert_eq!(best["href"], format!("/articles/{}", about["id"]));

    // Tickets are found by what their timeline says, too.
    let reference = app.create_ticket("Cannot log in", "low").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/tickets/{reference}/entries"),
            &json!({ "kind": "note", "body": "Caller mentions the kerberos realm changed" }),
        )
        .await;
    assert_eq!(status, 201);
    let (_, results) = app.get("/api/v1/search?q=kerberos").await;
    assert_eq!(hit_references(&results["items"]), [reference.as_str()]);
    assert!(marked(&results["items"][0]["snippet"]).contains("[kerberos]"));
    let (_, results) = app
        .get("/api/v1/search?q=kerberos&status=resolved,closed")
        .await;
    assert_eq!(results["items"], json!([]), "filtered by status");

    for bad in [
        "/api/v1/search?q=the",
        "/api/v1/search",
        "/api/v1/search?q=x&scope=files",
        "/api/v1/search?q=printer&status=lost",
    ] {
        let (status, error) = app.get(bad).await;
        assert_eq!(status, 400, "{bad}: {error}");
    }
}

#[tokio::test]
async fn a_new_ticket_about_a_known_problem_is_offered_the_resolved_ticket_and_its_article() {
    let app = spawn_app().await;
    other_articles(&app).await;
    for title in [
        "VPN slow",
        "Laptop battery",
        "Monitor flickers",
        "Keyboard sticky",
    ] {
        app.create_ticket(title, "low").await;
    }
    let solved = app
        .create_verifiable_ticket("Payroll export hangs at 99 percent")
        .await;
    app.resolve(&solved, "Cleared the export spool directory")
        .await;
    let (_, draft) = app
        .get(&format!("/api/v1/tickets/{solved}/article-draft"))
        .await;
    let written = article(&app, draft).await;

    let (status, suggestions) = app
        .get("/api/v1/suggestions?text=the%20payroll%20export%20hangs%20again")
        .await;
    assert_eq!(status, 200, "{suggestions}");
    assert_eq!(
        hit_references(&suggestions["articles"])[0],
        format!("KB-{}", written["id"])
    );
    assert_eq!(hit_references(&suggestions["tickets"]), [solved.as_str()]);
    assert!(
        marked(&suggestions["tickets"][0]["snippet"]).contains("export"),
        "a resolved ticket shows its resolution: {suggestions}"
    );

    // An open ticket about the same problem gets the same help on its page.
    let (_, open) = app
        .post(
            "/api/v1/tickets",
            &json!({ "title": "Export hangs in payroll", "customer": "Navy" }),
        )
        .await;
    let open = open["reference"].as_str().unwrap();
    let (status, suggestions) = app
        .get(&format!("/api/v1/tickets/{open}/suggestions"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(hit_references(&suggestions["tickets"]), [solved.as_str()]);
    assert!(!hit_references(&suggestions["tickets"]).contains(&open.to_string()));
}

/// Sends one crash report of the same problem with the official SDK.
async fn report_crash(dsn: String) {
    tokio::task::spawn_blocking(move || {
        let mut options = sentry::ClientOptions::default();
        options.shutdown_timeout = std::time::Duration::from_secs(10);
        let guard = sentry::init((dsn, options));
        sentry::capture_message("Tax table missing for 2027", sentry::Level::Error);
        assert!(guard.flush(Some(std::time::Duration::from_secs(10))));
    })
    .await
    .unwrap();
}

async fn crash_ticket_of_project(app: &TestApp, project: u64) -> String {
    let (_, page) = app.get("/api/v1/tickets?channel=crash&status=all").await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ticket| ticket["project"] == project)
        .unwrap_or_else(|| panic!("no crash ticket of project {project}: {page}"))["reference"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_crash_is_offered_the_article_written_for_the_same_crash_first() {
    let app = spawn_app().await;
    other_articles(&app).await;
    // An article whose words match the crash better than the one written for it.
    article(
        &app,
        json!({ "title": "Tax table missing for 2027", "symptoms": "Tax table missing for 2027 tax table", "resolution": "Wait for the vendor.", "status": "published" }),
    )
    .await;
    let mut projects = Vec::new();
    for name in ["Payroll (staging)", "Payroll (production)"] {
        let (status, project) = app.post("/api/v1/projects", &json!({ "name": name })).await;
        assert_eq!(status, 201);
        projects.push((
            project["id"].as_u64().unwrap(),
            project["dsn"].as_str().unwrap().to_string(),
        ));
    }
    // Staging crashes first; the fix is found and written up.
    report_crash(projects[0].1.clone()).await;
    let staging = crash_ticket_of_project(&app, projects[0].0).await;
    app.resolve(&staging, "Imported the 2027 rates").await;
    let (_, draft) = app
        .get(&format!("/api/v1/tickets/{staging}/article-draft"))
        .await;
    assert_eq!(draft["tags"], json!(["crash"]));
    let written = article(
        &app,
        json!({ "title": "Rates not imported", "resolution": draft["resolution"], "tickets": draft["tickets"], "status": "published" }),
    )
    .await;

    // Production then has the same crash: its ticket offers that article first.
    report_crash(projects[1].1.clone()).await;
    let production = crash_ticket_of_project(&app, projects[1].0).await;
    assert_ne!(production, staging);
    let (status, suggestions) = app
        .get(&format!("/api/v1/tickets/{production}/suggestions"))
        .await;
    assert_eq!(status, 200, "{suggestions}");
    let articles = hit_references(&suggestions["articles"]);
    assert_eq!(
        articles[0],
        format!("KB-{}", written["id"]),
        "{suggestions}"
    );
    assert!(articles.len() > 1, "the words still find the other article");
    assert_eq!(hit_references(&suggestions["tickets"]), [staging]);
}

#[tokio::test]
async fn a_draft_from_a_ticket_with_long_fields_can_be_saved_as_it_is() {
    // A ticket's fields together may hold more than an article's: the draft is cut to fit.
    let app = spawn_app().await;
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            &json!({
                "title": "Everything is slow",
                "customer": "Ada",
                "description": "d".repeat(20_000),
                "environment": "e".repeat(20_000),
                "manner": "m".repeat(20_000),
            }),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    let reference = ticket["reference"].as_str().unwrap();
    let (status, draft) = app
        .get(&format!("/api/v1/tickets/{reference}/article-draft"))
        .await;
    assert_eq!(status, 200, "{draft}");
    let symptoms = draft["symptoms"].as_str().unwrap();
    assert_eq!(symptoms.chars().count(), 20_000);
    assert!(symptoms.ends_with('…'), "the cut is not marked");
    // Not resolved yet, so a draft article (a published one needs a resolution).
    let mut draft = draft;
    draft["status"] = json!("draft");
    let (status, saved) = app.post("/api/v1/articles", &draft).await;
    assert_eq!(status, 201, "{saved}");
}
