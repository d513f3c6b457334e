//! A fresh install, as a newcomer and as a hostile web page see it: the real binary prints a link
//! that sets up the first admin; without its one-time code, or through a name that is not the
//! server's (DNS rebinding), nobody can.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The real binary on an empty database, and the setup link it printed.
struct FreshServer {
    child: Child,
    address: String,
    link: String,
}

impl Drop for FreshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_fresh_server() -> FreshServer {
    let port = support::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--database-url", "mem://", "--log", "warn"])
        .args(["--address", &format!("127.0.0.1:{port}")])
        .args(["--public-url", "https://desk.example.com"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let stderr = child.stderr.take().unwrap();
    let (found, link) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(start) = line.find("http://") {
                let _ = found.send(line[start..].trim().to_string());
            }
        }
    });
    let link = link
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the server printed a setup link");
    FreshServer {
        child,
        address: format!("http://127.0.0.1:{port}"),
        link,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts the first-admin form as the dashboard's own page would, naming `host`.
async fn set_up(server: &FreshServer, host: &str, code: Option<&str>) -> (u16, String) {
    let mut form = vec![
        ("email", "first@example.com"),
        ("name", "First Admin"),
        ("password", "first admin password"),
    ];
    if let Some(code) = code {
        form.push(("setup_code", code));
    }
    let response = client()
        .post(format!("{}/rpc/set_up_first_admin", server.address))
        .header("host", host)
        .header("origin", format!("http://{host}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

async fn first_run(server: &FreshServer) -> String {
    client()
        .post(format!("{}/rpc/first_run", server.address))
        .header("origin", &server.address)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_first_admin_needs_the_printed_code_and_the_servers_own_name() {
    let server = start_fresh_server();
    let link = reqwest::Url::parse(&server.link).expect("the link is a URL");
    assert_eq!(link.origin().ascii_serialization(), server.address);
    assert_eq!(link.path(), "/login");
    let code = link
        .query_pairs()
        .find(|(name, _)| name == "setup")
        .map(|(_, code)| code.to_string())
        .expect("the link carries the setup code");
    assert!(code.len() >= 32, "{code}");

    // The link opens the first-admin form, which carries the code.
    let page = client().get(server.link.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Set up the first admin"), "{page}");

    let own_host = server.address.trim_start_matches("http://").to_string();
    // A page that rebound its own name to this machine: refused before anything is read.
    for host in [
        "evil.example:3000",
        "evil.example",
        "127.0.0.1.evil.example",
    ] {
        let (status, body) = set_up(&server, host, Some(&code)).await;
        assert_eq!(status, 421, "{host}: {body}");
        assert!(body.contains("unknown_host"), "{body}");
        let response = client()
            .get(format!("{}/login", server.address))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 421, "{host}");
    }
    // From this machine, but without the code or with another one.
    for wrong in [
        None,
        Some(""),
        Some("guessed"),
        Some(&code[..code.len() - 1]),
    ] {
        let (status, body) = set_up(&server, &own_host, wrong).await;
        assert_eq!(status, 403, "{wrong:?}: {body}");
        assert!(body.contains("setup code"), "{body}");
    }
    assert_eq!(first_run(&server).await, "true", "nobody was created");

    // The names the server answers to: its public URL's host, localhost, and its address.
    for host in ["desk.example.com", "localhost:1", &own_host] {
        let response = client()
            .get(format!("{}/readyz", server.address))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{host}");
    }

    let (status, body) = set_up(&server, &own_host, Some(&code)).await;
    assert!(status < 400, "{status}: {body}");
    assert_eq!(first_run(&server).await, "false");
    let (status, body) = set_up(&server, &own_host, Some(&code)).await;
    assert_eq!(status, 409, "only once: {body}");
}
