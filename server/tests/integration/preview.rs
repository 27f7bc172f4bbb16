//! Preview URLs against a real workspace: `python3 -m http.server` and a WebSocket echo run
//! inside it; they are reached through grants, sandboxed, with redirects kept inside the
//! preview; strangers, forged, revoked and expired grants are refused.

use std::time::Duration;

use aicockpit::preview::grant::{Bearer, Grant, Signer};
use app::model::WorkspaceName;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

/// Answers one WebSocket message per connection with the same text (standard library only).
const ECHO: &str = r#"
import base64, hashlib, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8001)); s.listen()
while True:
    c, _ = s.accept(); head = b""
    while b"\r\n\r\n" not in head: head += c.recv(1024)
    key = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    frame = c.recv(2); mask = c.recv(4); data = c.recv(frame[1] & 127)
    c.sendall(bytes([0x81, len(data)]) + bytes(b ^ mask[i % 4] for i, b in enumerate(data))); c.close()
"#;

fn detached(name: &WorkspaceName, command: &[&str]) {
    let run = std::process::Command::new("docker")
        .args([
            "exec",
            "-d",
            "-u",
            "1000:1000",
            "-w",
            "/workspace",
            &container(name),
        ])
        .args(command)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
}

/// A client that shows redirects instead of following them.
fn not_following(token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Where opening `port` (and what follows it) sends the owner.
async fn opened(app: &TestApp, workspace: &str, port_and_rest: &str) -> String {
    let opened = not_following(Some(&app.token))
        .get(format!(
            "{}/workspaces/{workspace}/ports/{port_and_rest}",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303);
    opened.headers()["location"].to_str().unwrap().to_owned()
}

async fn ports(app: &TestApp, workspace: &str) -> Vec<Value> {
    let response = app
        .post_json("/api/previews/ports", json!({ "workspace": workspace }))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_in_a_workspace_are_reached_through_grants_only() {
    let app = spawn_app_on(docker_backend(DOCKER_HOST), dev_image().await).await;
    let name = unique_name("preview");
    let _cleanup = Cleanup(vec![name.clone()]);
    let created = app.call("create", app.create_request(&name)).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    let workspace = reference(&name).to_string();
    exec(
        &name,
        &["sh", "-c", "mkdir -p /workspace/site/docs && echo '<h1>hello preview</h1><p>long enough to be worth compressing, were it ours</p>' > /workspace/site/index.html && echo docs > /workspace/site/docs/index.html"],
    )
    .await;
    detached(
        &name,
        &[
            "python3",
            "-m",
            "http.server",
            "8000",
            "--directory",
            "/workspace/site",
        ],
    );
    detached(&name, &["python3", "-c", ECHO]);
    detached(
        &name,
        &[
            "python3",
            "-m",
            "http.server",
            "8002",
            "--bind",
            "127.0.0.1",
        ],
    );

    // The ports appear, the loopback-only one too: AiCockpit reaches it from inside.
    let mut listed = Vec::new();
    for _ in 0..100 {
        listed = ports(&app, &workspace).await;
        if listed.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let summary: Vec<_> = listed
        .iter()
        .map(|p| {
            (
                p["port"].as_u64().unwrap(),
                p["reachable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, [(8000, true), (8001, true), (8002, true)]);

    // The owner opens port 8000 and is sent on to a grant of their own.
    let location = opened(&app, &workspace, "8000/?x=1").await;
    assert!(
        location.starts_with("/previews/") && location.ends_with("/?x=1"),
        "{location}"
    );
    let prefix = location.trim_end_matches("?x=1").to_owned();

    // The grant alone opens it (a sandboxed page's requests carry no cookie).
    let anonymous = not_following(None);
    let page = anonymous
        .get(format!("{}{prefix}", app.base))
        .header("cookie", "aicockpit_session=whatever")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // Passed as the server sent it: compressing would hold a streamed answer back.
    assert!(!page.headers().contains_key("content-encoding"));
    let policies: Vec<_> = page
        .headers()
        .get_all("content-security-policy")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(policies, [aicockpit::http::preview::proxy::SANDBOX]);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page.text().await.unwrap().contains("hello preview"));

    // The server's own redirect (a folder without its slash) stays inside the preview.
    let folder = anonymous
        .get(format!("{}{prefix}docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(folder.status(), 301);
    assert_eq!(folder.headers()["location"], format!("{prefix}docs/"));

    // WebSockets pass through, from a sandboxed page's opaque origin too.
    let echo = opened(&app, &workspace, "8001/").await;
    let mut request = format!("{}{echo}", app.base.replace("http", "ws"))
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "null".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket.send(Message::text("ping")).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(answer.into_text().unwrap().as_str(), "ping");

    // A server on the workspace's loopback only is reached all the same.
    let path = opened(&app, &workspace, "8002/").await;
    let answer = anonymous
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // A port that nothing listens on says what to do.
    let path = opened(&app, &workspace, "9000/").await;
    let answer = anonymous
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    let advice = answer.text().await.unwrap();
    assert!(advice.contains("Nothing answers on port 9000"), "{advice}");

    // A stranger cannot open it, nor a forged or altered grant.
    let stranger = app.member("mallory").await;
    let refused = stranger
        .get(format!("{}/workspaces/{workspace}/ports/8000/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let token = prefix
        .trim_start_matches("/previews/")
        .trim_end_matches('/');
    let altered = token.replacen('3', "4", 1).replacen('7', "3", 1);
    for bad in [format!("/previews/{altered}/"), "/previews/00.00/".into()] {
        let answer = anonymous
            .get(format!("{}{bad}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{bad}");
    }

    // Share links: made by the owner, opened by anyone, refused once revoked.
    let link: Value = app
        .post_json(
            "/api/previews/share",
            json!({ "workspace": workspace, "port": "8000", "lifetime": "1 hour" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let shared = link["path"].as_str().unwrap();
    let answer = anonymous
        .get(format!("{}{shared}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let not_theirs = stranger
        .post(format!("{}/api/previews/share", app.base))
        .json(&json!({ "workspace": workspace, "port": "8000", "lifetime": "1 hour" }))
        .send()
        .await
        .unwrap();
    assert_eq!(not_theirs.status(), 404);
    let revoked = app
        .post_json(
            "/api/previews/revoke",
            json!({ "workspace": workspace, "id": link["id"] }),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    let answer = anonymous
        .get(format!("{}{shared}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);

    // An expired grant, signed with the server's own key, is refused as expired.
    let key: String = {
        let store = aicockpit::store::Store::open(&app.database())
            .await
            .unwrap();
        store
            .settings()
            .setting("preview_key")
            .await
            .unwrap()
            .unwrap()
    };
    let record_id = {
        let opened_path = prefix.clone();
        let token = opened_path
            .trim_start_matches("/previews/")
            .trim_end_matches('/');
        Signer::new(key.as_bytes())
            .verify(token, 0)
            .unwrap()
            .workspace_id
    };
    let expired = Signer::new(key.as_bytes()).sign(&Grant {
        bearer: Bearer::User(1),
        workspace: reference(&name),
        workspace_id: record_id,
        port: 8000,
        expires_at: 1,
    });
    let answer = anonymous
        .get(format!("{}/previews/{expired}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 410);
    assert!(answer.text().await.unwrap().contains("expired"));

    // A stopped workspace's preview says so.
    assert_eq!(app.call("stop", app.target(&name)).await.status(), 200);
    let answer = anonymous
        .get(format!("{}{prefix}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 409);
    assert!(answer.text().await.unwrap().contains("is not running"));
}

/// Answers with the cookies and host it was sent, and sets two cookies, one named like
/// AiCockpit's.
const COOKIE_ECHO: &str = r#"
from http.server import BaseHTTPRequestHandler, HTTPServer
class Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"path={self.path} cookie={self.headers.get('Cookie')} host={self.headers.get('Host')}".encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "app=1; Path=/")
        self.send_header("Set-Cookie", "aicockpit_session=planted; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
HTTPServer(("0.0.0.0", 8000), Echo).serve_forever()
"#;

#[tokio::test(flavor = "multi_thread")]
async fn with_a_preview_domain_each_port_has_a_host_of_its_own() {
    let dev = dev_image().await;
    let app =
        spawn_app_configured(|config| config.previews.domain = Some("localhost".into())).await;
    let name = unique_name("phost");
    let _cleanup = Cleanup(vec![name.clone()]);
    let mut request = app.create_request(&name);
    request["request"]["image"] = json!(dev);
    assert_eq!(app.call("create", request).await.status(), 200);
    let workspace = reference(&name).to_string();
    detached(&name, &["python3", "-c", COOKIE_ECHO]);
    for _ in 0..100 {
        if !ports(&app, &workspace).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Opening sends the browser to the port's host, with a grant to trade for a cookie.
    let location = opened(&app, &workspace, "8000/docs?q=1").await;
    let port = app.base.rsplit(':').next().unwrap();
    let host = format!("8000--{}--{OWNER}.localhost", name);
    let origin = format!("http://{host}:{port}");
    assert!(
        location.starts_with(&format!("{origin}/__aicockpit/grant?grant=")),
        "{location}"
    );
    let address: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, address)
        .resolve(&format!("9000--{name}--{OWNER}.localhost"), address)
        .resolve("elsewhere.localhost", address)
        .build()
        .unwrap();
    // The host's own page goes on to the address asked for: a strict cookie would not
    // travel on a redirect that began on AiCockpit's host.
    let traded = browser.get(&location).send().await.unwrap();
    assert_eq!(traded.status(), 200);
    let cookie = traded.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("aicockpit_preview=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let onward = traded.text().await.unwrap();
    assert!(onward.contains("url=/docs?q=1"), "{onward}");
    // The grant's `next` never leads off the host.
    let off_site = location.replace("next=", "next=/%5Cevil.example&was=");
    let answer = browser
        .get(&off_site)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!answer.contains("evil.example"), "{answer}");
    let grant = cookie.split(';').next().unwrap().to_owned();

    // With it, the app runs at the root of its own origin: its cookies pass, ours do not.
    let page = browser
        .get(format!("{origin}/docs?q=1"))
        .header("cookie", format!("{grant}; app=1; aicockpit_session=mine"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(!page.headers().contains_key("content-security-policy"));
    let cookies: Vec<_> = page.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["app=1; Path=/"]);
    assert_eq!(
        page.text().await.unwrap(),
        "path=/docs?q=1 cookie=app=1 host=localhost:8000"
    );

    // Without the cookie, or on another port's host, nothing; other names are not ours.
    let bare = browser.get(format!("{origin}/")).send().await.unwrap();
    assert_eq!(bare.status(), 404);
    let other = browser
        .get(format!("http://9000--{name}--{OWNER}.localhost:{port}/"))
        .header("cookie", &grant)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let stranger = browser
        .get(format!("http://elsewhere.localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 421);
}
