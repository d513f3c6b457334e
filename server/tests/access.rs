//! Every door is locked: the access rules of every route, sessions, CSRF, throttling, headers.

mod support;

use app::accounts::NewToken;
use app::model::Role;
use app::service::HelpDeskError;
use axum::http::Method;
use serde_json::{Value, json};
use server::http::rules::{Access, RULES};
use std::collections::BTreeSet;
use support::{
    ADMIN_EMAIL, ADMIN_PASSWORD, AGENT_PASSWORD, TestApp, client_for, client_with_token,
    create_agent, read, sign_in, spawn_app,
};

/// Creates an agent with this role and returns a client signed in as them in the dashboard: it
/// sends their session cookie, from the dashboard's own origin.
async fn session_client_for(app: &TestApp, role: Role) -> reqwest::Client {
    let email = create_agent(app, role).await;
    let (status, cookie) = sign_in(app, &email, AGENT_PASSWORD).await;
    assert!(status < 400, "signing in answered {status}");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", cookie.expect("a session cookie").parse().unwrap());
    headers.insert("origin", app.address.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client that keeps no cookies and follows no redirects, so tests see each answer.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Sends a request to a rule's route, with path parameters filled in and an empty body.
async fn call(app: &TestApp, client: &reqwest::Client, method: &Method, path: &str) -> u16 {
    let url = app.url(
        &path
            .replace("{reference}", "TCK-1")
            .replace("{project_id}", "1")
            .replace("{id}", "0123456789abcdef"),
    );
    let request = match *method {
        Method::GET => client.get(url),
        Method::POST if path.starts_with("/rpc/") => client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(""),
        Method::POST => client.post(url).json(&json!({})),
        Method::PATCH => client.patch(url).json(&json!({})),
        Method::DELETE => client.delete(url),
        ref other => panic!("no test request for {other}"),
    };
    request
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

#[tokio::test]
async fn every_route_has_an_access_rule_and_every_rule_a_route() {
    let mut routes: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, item) in server::http::openapi().paths.paths {
        let operations = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
            ("PUT", item.put.is_some()),
        ];
        for (method, present) in operations {
            if present {
                routes.insert((method.to_string(), path.clone()));
            }
        }
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        routes.insert((method.to_string(), path.to_string()));
    }
    for listing in leptos_axum::generate_route_list(app::App) {
        routes.insert(("GET".into(), listing.path().to_string()));
    }
    let rules: BTreeSet<(String, String)> = RULES
        .iter()
        .map(|rule| (rule.method.to_string(), rule.path.to_string()))
        .collect();
    let without_rule: Vec<_> = routes.difference(&rules).collect();
    assert!(
        without_rule.is_empty(),
        "routes without an access rule: {without_rule:?}"
    );
    let without_route: Vec<_> = rules.difference(&routes).collect();
    assert!(
        without_route.is_empty(),
        "rules for routes that do not exist: {without_route:?}"
    );
}

#[tokio::test]
async fn a_method_a_route_does_not_have_is_answered_405_with_the_methods_it_has() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(app.url("/api/v1/tickets"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 405);
    let allow = response
        .headers()
        .get("allow")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut methods: Vec<&str> = allow.split(", ").collect();
    methods.sort();
    assert_eq!(methods, ["GET", "HEAD", "POST"], "Allow: {allow}");
    let body: Value = response.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], "method_not_allowed");
    // A stranger learns no more than the route's methods, and HEAD is GET without a body.
    let stranger = bare_client();
    let status = stranger
        .put(app.url("/api/v1/tickets/TCK-1"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(status.as_u16(), 405);
    let head = stranger
        .head(app.url("/healthz"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(head.as_u16(), 200);
}

#[tokio::test]
async fn every_route_refuses_strangers_and_low_roles_and_admits_its_role() {
    let app = spawn_app().await;
    app.create_ticket("Something to look at", "low").await;
    let viewer = client_for(&app, Role::Viewer).await;
    let agent = client_for(&app, Role::Agent).await;
    let anonymous = bare_client();
    for rule in RULES {
        let (method, path) = (&rule.method, rule.path);
        let stranger = call(&app, &anonymous, method, path).await;
        match rule.access {
            Access::Public => {
                assert!(
                    ![401, 403].contains(&stranger),
                    "{method} {path} is public, got {stranger}"
                );
                continue;
            }
            Access::ProjectKey => {
                // Only a project key opens these; an admin's token is no key.
                assert_eq!(stranger, 401, "{method} {path}: no key");
                let admin = call(&app, &app.client, method, path).await;
                assert!(
                    [401, 403].contains(&admin),
                    "{method} {path}: a token is no key, got {admin}"
                );
                continue;
            }
            Access::AtLeast(_) if server::http::rules::is_page(path) => {
                assert_eq!(
                    stranger, 303,
                    "{method} {path}: strangers are sent to sign in"
                );
            }
            Access::AtLeast(_) => {
                assert_eq!(stranger, 401, "{method} {path}: strangers are refused");
            }
        }
        let Access::AtLeast(required) = rule.access else {
            unreachable!()
        };
        let (below, at) = match required {
            Role::Viewer => (None, &viewer),
            Role::Agent => (Some(&viewer), &agent),
            Role::Admin => (Some(&agent), &app.client),
        };
        if let Some(below) = below {
            let status = call(&app, below, method, path).await;
            assert_eq!(status, 403, "{method} {path}: a lower role is forbidden");
        }
        let status = call(&app, at, method, path).await;
        assert!(
            ![401, 403].contains(&status),
            "{method} {path}: the {required} role is admitted, got {status}"
        );
    }
}

async fn me_with_cookie(app: &TestApp, cookie: &str) -> (u16, Value) {
    read(
        bare_client()
            .get(app.url("/api/v1/me"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_session_cookie_is_http_only_and_names_the_agent() {
    let app = spawn_app().await;
    let response = bare_client()
        .post(app.url("/rpc/sign_in"))
        .header("origin", &app.address)
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap();
    let (status, me) = me_with_cookie(&app, cookie).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong_password = bare_client()
        .post(app.url("/rpc/sign_in"))
        .header("origin", &app.address)
        .form(&[("email", ADMIN_EMAIL), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    let unknown_email = bare_client()
        .post(app.url("/rpc/sign_in"))
        .header("origin", &app.address)
        .form(&[
            ("email", "nobody@example.com"),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_email.status(), 401);
    assert_eq!(
        wrong_password.text().await.unwrap(),
        unknown_email.text().await.unwrap()
    );
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_with_retry_after() {
    let app = spawn_app().await;
    for _ in 0..server::auth::throttle::ACCOUNT_LIMIT {
        let (status, _) = sign_in(&app, ADMIN_EMAIL, "a wrong guess here").await;
        assert_eq!(status, 401);
    }
    // Even the right password is refused now from this address, which never signed in.
    let response = bare_client()
        .post(app.url("/rpc/sign_in"))
        .header("origin", &app.address)
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);
}

#[tokio::test]
async fn a_deactivated_agent_is_locked_out_on_the_next_request() {
    let app = spawn_app().await;
    let (status, agent) = app
        .post(
            "/api/v1/agents",
            &json!({ "email": "leaver@example.com", "name": "Leaver", "password": "leaver password" }),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    let (status, cookie) = sign_in(&app, "leaver@example.com", "leaver password").await;
    assert!(status < 400, "{status}");
    let cookie = cookie.expect("a session cookie");
    assert_eq!(me_with_cookie(&app, &cookie).await.0, 200);
    let token = app
        .auth
        .issue_token_for(
            "leaver@example.com",
            NewToken {
                name: "script".into(),
                role: None,
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let token_client = client_with_token(&token.secret);
    assert_eq!(
        read(
            token_client
                .get(app.url("/api/v1/me"))
                .send()
                .await
                .unwrap()
        )
        .await
        .0,
        200
    );

    let id = agent["id"].as_str().unwrap();
    let (status, _) = app
        .patch(&format!("/api/v1/agents/{id}"), &json!({ "active": false }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(me_with_cookie(&app, &cookie).await.0, 401);
    assert_eq!(
        read(
            token_client
                .get(app.url("/api/v1/me"))
                .send()
                .await
                .unwrap()
        )
        .await
        .0,
        401
    );
    let (status, _) = sign_in(&app, "leaver@example.com", "leaver password").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn signing_out_ends_the_session_at_once() {
    let app = spawn_app().await;
    let (_, cookie) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = cookie.expect("a session cookie");
    let response = bare_client()
        .post(app.url("/rpc/sign_out"))
        .header("origin", &app.address)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert!(response.status().as_u16() < 400, "{}", response.status());
    assert_eq!(me_with_cookie(&app, &cookie).await.0, 401);
}

#[tokio::test]
async fn a_cross_site_form_post_with_a_valid_session_cookie_is_refused() {
    let app = spawn_app().await;
    let (_, cookie) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = cookie.expect("a session cookie");
    let form = [
        ("title", "Planted by another site"),
        ("customer", "Mallory"),
    ];
    for (origin_header, origin) in [
        ("origin", "http://evil.example"),
        ("referer", "http://evil.example/attack.html"),
    ] {
        let response = bare_client()
            .post(app.url("/rpc/create_ticket"))
            .header("cookie", &cookie)
            .header(origin_header, origin)
            .form(&form)
            .send()
            .await
            .unwrap();
        let (status, body) = read(response).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"]["code"], "cross_site_request");
    }
    // Without any origin information a cookie-borne post is refused too.
    let response = bare_client()
        .post(app.url("/rpc/create_ticket"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (_, page) = app.get("/api/v1/tickets?status=all").await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );

    // The same post from the dashboard's own page works.
    let response = bare_client()
        .post(app.url("/rpc/create_ticket"))
        .header("cookie", &cookie)
        .header("origin", &app.address)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(response.status().as_u16() < 400, "{}", response.status());
    let (_, detail) = app.get("/api/v1/tickets/TCK-1").await;
    assert_eq!(detail["entries"][0]["author"], "Admin");
}

#[tokio::test]
async fn tokens_are_shown_once_revocable_and_never_above_their_owner() {
    let app = spawn_app().await;
    let agent = session_client_for(&app, Role::Agent).await;
    let (status, body) = read(
        agent
            .post(app.url("/api/v1/tokens"))
            .json(&json!({ "name": "too strong", "role": "admin" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "role");

    let (status, created) = read(
        agent
            .post(app.url("/api/v1/tokens"))
            .json(&json!({ "name": "reporting", "role": "viewer" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap();
    let viewer = client_with_token(secret);
    let (status, listed) = read(agent.get(app.url("/api/v1/tokens")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert!(listed.to_string().contains("reporting"));
    assert!(
        !listed.to_string().contains(secret),
        "the secret is never shown again"
    );
    // A viewer token of an agent reads but does not write.
    assert_eq!(
        call(&app, &viewer, &Method::GET, "/api/v1/tickets").await,
        200
    );
    assert_eq!(
        call(&app, &viewer, &Method::POST, "/api/v1/tickets").await,
        403
    );

    let id = created["id"].as_str().unwrap();
    let response = agent
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        call(&app, &viewer, &Method::GET, "/api/v1/tickets").await,
        401
    );
    // A token cannot create tokens, not even weaker ones: a stolen token would outlive its
    // revocation through the tokens it made.
    let agent_token = client_for(&app, Role::Agent).await;
    for role in ["agent", "viewer"] {
        let (status, refused) = read(
            agent_token
                .post(app.url("/api/v1/tokens"))
                .json(&json!({ "name": "offspring", "role": role }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 403, "{refused}");
        assert_eq!(refused["error"]["code"], "forbidden", "{refused}");
    }
    let (_, admin_tokens) = app.get("/api/v1/tokens").await;
    let (status, refused) = app
        .post("/api/v1/tokens", &json!({ "name": "offspring" }))
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(
        app.get("/api/v1/tokens").await.1,
        admin_tokens,
        "nothing was created"
    );

    // Another agent cannot revoke a token that is not theirs.
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted_or_deactivated() {
    let app = spawn_app().await;
    let (_, agents) = app.get("/api/v1/agents").await;
    let admin_id = agents[0]["id"].as_str().unwrap().to_string();
    for change in [json!({ "active": false }), json!({ "role": "agent" })] {
        let (status, body) = app
            .patch(&format!("/api/v1/agents/{admin_id}"), &change)
            .await;
        assert_eq!(status, 409, "{body}");
    }
}

#[tokio::test]
async fn malformed_bearer_tokens_are_refused_without_touching_the_cookie() {
    let app = spawn_app().await;
    for header in [
        "Bearer",
        "Bearer hdt_nonsense",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer hdt_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let response = bare_client()
            .get(app.url("/api/v1/tickets"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
}

#[tokio::test]
async fn responses_carry_security_headers_and_pages_a_nonce_policy() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/tickets"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let html = response.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the policy names a nonce");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert!(policy.contains("frame-ancestors 'none'"));
    assert!(!policy.contains("unsafe-inline"));
}

#[tokio::test]
async fn the_first_admin_is_set_up_once_and_only_from_this_machine() {
    use app::service::AccountService;
    let store = server::storage::Store::open(&server::storage::DatabaseSettings {
        url: "mem://".into(),
        credentials: None,
        namespace: "test".into(),
        database: "test".into(),
        embedded_memory: Default::default(),
        migration_batch: server::storage::DEFAULT_MIGRATION_BATCH,
    })
    .await
    .unwrap();
    let auth = server::auth::AuthService::new(
        store,
        server::auth::AuthSettings {
            setup_code: Some("the printed code".into()),
            ..Default::default()
        },
    );
    let draft = || {
        app::accounts::NewAgent {
            email: "first@example.com".into(),
            name: "First".into(),
            role: None,
            password: "first admin password".into(),
        }
        .parse()
        .unwrap()
    };
    assert!(auth.first_run().await.unwrap());
    use app::accounts::ClientAddress;
    let address = |ip: [u8; 4], forwarded| ClientAddress {
        ip: std::net::IpAddr::from(ip),
        forwarded,
    };
    // From elsewhere, or through a proxy (whose peer address is local), it is refused.
    for client in [
        address([192, 0, 2, 7], false),
        address([127, 0, 0, 1], true),
    ] {
        let refused = auth
            .set_up_first_admin(draft(), "the printed code", client)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, app::service::HelpDeskError::Forbidden(_)),
            "{refused}"
        );
    }
    let local = address([127, 0, 0, 1], false);
    // From this machine too, without the code the server printed.
    let refused = auth
        .set_up_first_admin(draft(), "another code", local)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, app::service::HelpDeskError::Forbidden(_)),
        "{refused}"
    );
    assert!(auth.first_run().await.unwrap());
    let signed_in = auth
        .set_up_first_admin(draft(), "the printed code", local)
        .await
        .unwrap();
    assert_eq!(signed_in.principal.role, Role::Admin);
    assert!(signed_in.set_cookie.starts_with("helpdesk_session="));
    assert!(!auth.first_run().await.unwrap());
    let again = auth
        .set_up_first_admin(draft(), "the printed code", local)
        .await
        .unwrap_err();
    assert!(
        matches!(again, app::service::HelpDeskError::Conflict(_)),
        "{again}"
    );
}

#[tokio::test]
async fn sessions_end_when_they_expire_or_sit_idle() {
    use server::auth::AuthSettings;
    for settings in [
        AuthSettings {
            session_lifetime: std::time::Duration::from_secs(1),
            ..AuthSettings::default()
        },
        AuthSettings {
            idle_timeout: std::time::Duration::from_secs(1),
            ..AuthSettings::default()
        },
    ] {
        let app = support::spawn_app_with(settings.clone()).await;
        let (_, cookie) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let cookie = cookie.expect("a session cookie");
        assert_eq!(me_with_cookie(&app, &cookie).await.0, 200, "{settings:?}");
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        // The ended session is removed from the database by the sweep, once, even if its
        // cookie never comes back.
        assert_eq!(
            app.auth.remove_ended_sessions().await.unwrap(),
            1,
            "{settings:?}"
        );
        assert_eq!(
            app.auth.remove_ended_sessions().await.unwrap(),
            0,
            "{settings:?}"
        );
        assert_eq!(me_with_cookie(&app, &cookie).await.0, 401, "{settings:?}");
    }
}

#[tokio::test]
async fn an_active_session_outlives_its_idle_timeout() {
    let settings = server::auth::AuthSettings {
        idle_timeout: std::time::Duration::from_secs(2),
        ..server::auth::AuthSettings::default()
    };
    let app = support::spawn_app_with(settings).await;
    let (_, cookie) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let cookie = cookie.expect("a session cookie");
    // A request every half second for three seconds: never idle for two, and never swept.
    for _ in 0..6 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(me_with_cookie(&app, &cookie).await.0, 200);
        assert_eq!(app.auth.remove_ended_sessions().await.unwrap(), 0);
    }
}

#[tokio::test]
async fn the_mine_view_lists_the_callers_tickets_only() {
    let app = spawn_app().await;
    let mine = app.create_ticket("Mine to fix", "low").await;
    let _theirs = app.create_ticket("Someone else's", "high").await;
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{mine}"),
            &json!({ "assignee": ADMIN_EMAIL }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, page) = app.get("/api/v1/tickets?assignee=me").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(support::references(&page), [mine.as_str()]);
    let (_, page) = app.get("/api/v1/tickets?assignee=me&q=someone").await;
    assert_eq!(support::references(&page), Vec::<String>::new());
}

#[tokio::test]
async fn changing_ones_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let (_, other_session) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other_session = other_session.expect("a session cookie");
    let (status, body) = app
        .post(
            "/api/v1/me/password",
            &json!({ "current_password": "a wrong guess here", "new_password": "a brand new password" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "current_password");
    let (status, body) = app
        .post(
            "/api/v1/me/password",
            &json!({ "current_password": ADMIN_PASSWORD, "new_password": "short" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "new_password");
    assert_eq!(me_with_cookie(&app, &other_session).await.0, 200);

    let (status, body) = app
        .post(
            "/api/v1/me/password",
            &json!({ "current_password": ADMIN_PASSWORD, "new_password": "a brand new password" }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(me_with_cookie(&app, &other_session).await.0, 401);
    assert_eq!(sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await.0, 401);
    let (status, cookie) = sign_in(&app, ADMIN_EMAIL, "a brand new password").await;
    assert!(status < 400 && cookie.is_some(), "{status}");
}

/// The sign-in limits as every server on `app`'s database shares them.
fn throttle_of(app: &TestApp, cap: u64) -> server::auth::throttle::LoginThrottle {
    server::auth::throttle::LoginThrottle::with_cap(app.store().clone(), cap)
}

fn address(last: u8) -> std::net::IpAddr {
    std::net::IpAddr::from([10, 0, 0, last])
}

fn throttled(result: &Result<server::auth::throttle::Attempt, HelpDeskError>) -> bool {
    matches!(result, Err(HelpDeskError::Throttled { .. }))
}

#[tokio::test]
async fn guesses_sent_together_to_two_servers_pass_one_limit_between_them() {
    use server::auth::throttle::ACCOUNT_LIMIT;
    let app = spawn_app().await;
    let servers = [
        std::sync::Arc::new(throttle_of(&app, 1_000)),
        std::sync::Arc::new(throttle_of(&app, 1_000)),
    ];
    let guesses: Vec<_> = (0..40u8)
        .map(|guess| {
            let server = servers[usize::from(guess % 2)].clone();
            tokio::spawn(async move { server.begin("ada@example.com", address(guess)).await })
        })
        .collect();
    let mut results = Vec::new();
    for guess in guesses {
        results.push(guess.await.unwrap());
    }
    let admitted = results.iter().filter(|result| result.is_ok()).count();
    assert!(
        results
            .iter()
            .all(|result| result.is_ok() || throttled(result)),
        "every guess is admitted or throttled"
    );
    assert_eq!(admitted, ACCOUNT_LIMIT as usize);
}

#[tokio::test]
async fn the_owners_known_address_is_not_locked_out_by_others_failures() {
    use server::auth::throttle::ACCOUNT_LIMIT;
    let app = spawn_app().await;
    let throttle = throttle_of(&app, 1_000);
    let owner = throttle.begin("ada@example.com", address(1)).await.unwrap();
    throttle.succeeded(owner).await;
    for guess in 0..ACCOUNT_LIMIT {
        let _counted = throttle
            .begin("ada@example.com", address(66 + guess as u8))
            .await
            .unwrap();
    }
    assert!(throttled(
        &throttle.begin("Ada@Example.com ", address(2)).await
    ));
    assert!(throttle.begin("ada@example.com", address(1)).await.is_ok());
}

#[tokio::test]
async fn signing_in_to_ones_own_account_takes_back_only_that_attempt() {
    use server::auth::throttle::ADDRESS_LIMIT;
    let app = spawn_app().await;
    let throttle = throttle_of(&app, 1_000);
    let mallory = address(7);
    for account in 0..ADDRESS_LIMIT - 1 {
        let _counted = throttle
            .begin(&format!("user{account}@example.com"), mallory)
            .await
            .unwrap();
    }
    let own = throttle
        .begin("mallory@example.com", mallory)
        .await
        .unwrap();
    throttle.succeeded(own).await;
    let _counted = throttle.begin("last@example.com", mallory).await.unwrap();
    assert!(throttled(
        &throttle.begin("someone@example.com", mallory).await
    ));
    assert!(throttled(
        &throttle.begin("mallory@example.com", mallory).await
    ));
    assert!(
        throttle
            .begin("someone@example.com", address(8))
            .await
            .is_ok()
    );
    // An attempt the server could not decide is not a failure.
    let undecided = throttle
        .begin("grace@example.com", address(9))
        .await
        .unwrap();
    throttle.abandoned(undecided).await;
    for _ in 0..server::auth::throttle::ACCOUNT_LIMIT {
        let _counted = throttle
            .begin("grace@example.com", address(9))
            .await
            .unwrap();
    }
    assert!(throttled(
        &throttle.begin("grace@example.com", address(10)).await
    ));
}

#[tokio::test]
async fn a_flood_of_new_addresses_keeps_the_tables_to_their_cap() {
    use server::auth::throttle::ACCOUNT_LIMIT;
    let app = spawn_app().await;
    let cap = 40;
    let throttle = throttle_of(&app, cap);
    // The oldest entry: an account locked by its failures.
    for guess in 0..ACCOUNT_LIMIT {
        let _counted = throttle
            .begin("ada@example.com", address(guess as u8))
            .await
            .unwrap();
    }
    assert!(throttled(
        &throttle.begin("ada@example.com", address(200)).await
    ));
    // Entries are stamped by the second: the flood comes after it.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    for index in 0..200u32 {
        let from = std::net::IpAddr::from((0x0b00_0000 + index).to_be_bytes());
        let attempt = throttle
            .begin(&format!("user{index}@example.com"), from)
            .await
            .unwrap();
        throttle.succeeded(attempt).await;
    }
    // The server trims in the background once it added a tenth of the cap; the oldest entries
    // (the lock among them) are gone, without waiting for them to lapse.
    let mut waited = 0;
    while throttled(&throttle.begin("ada@example.com", address(201)).await) {
        waited += 1;
        assert!(waited < 100, "the oldest entries were never trimmed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // A sweep brings every table to its cap: a second one finds nothing to remove.
    throttle.sweep().await.unwrap();
    assert_eq!(throttle.sweep().await.unwrap(), 0);
}
