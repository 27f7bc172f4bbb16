//! Previews between users: on a preview domain, one member's preview page may not open a
//! WebSocket to, or post to, another's preview host (their grant cookie would go with it);
//! and a preview's WebSocket ends when its user's access does.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::*;

/// Echoes every WebSocket text message until the client leaves (standard library only).
const ECHO_FOREVER: &str = r#"
import base64, hashlib, socket, threading
def serve(c):
    head = b""
    while b"\r\n\r\n" not in head: head += c.recv(1024)
    key = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    while True:
        frame = c.recv(2)
        if len(frame) < 2: return
        mask = c.recv(4); data = c.recv(frame[1] & 127)
        c.sendall(bytes([0x81, len(data)]) + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8001)); s.listen()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// A client acting with `token` that shows redirects instead of following them.
fn not_following(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_host_takes_no_websocket_or_change_from_another_hosts_page() {
    let mut tenants = Tenants::new(|config| {
        config.previews.domain = Some("localhost".into());
    })
    .await;
    let alice = tenants.alice.clone();
    let made = tenants.workspace(&alice, "prev-host", json!({})).await;
    run_in(
        &made.container,
        "mkdir -p /workspace/site && echo hello > /workspace/site/index.html && (busybox httpd -p 8000 -h /workspace/site &) ; true",
    )
    .await;
    let name = made.reference.split_once('/').unwrap().1.to_owned();
    let port = tenants.app.base.rsplit(':').next().unwrap().to_owned();
    let host = format!("8000--{name}--alice.localhost");
    let own = format!("http://{host}:{port}");
    let address: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&host, address)
        .build()
        .unwrap();

    // Alice's browser gets its grant cookie for her port's host.
    let opened = not_following(&alice.token)
        .get(format!(
            "{}/workspaces/{}/ports/8000/",
            tenants.app.base, made.reference
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303);
    let exchange = opened.headers()["location"].to_str().unwrap().to_owned();
    let traded = browser.get(&exchange).send().await.unwrap();
    assert_eq!(traded.status(), 200, "{exchange}");
    let cookie = traded.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let grant = cookie.split(';').next().unwrap().to_owned();

    // Her own page reads and acts; another preview's page (bob's, say) may only read.
    let read = browser
        .get(format!("{own}/"))
        .header("cookie", &grant)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let bobs_page = "http://8000--other--bob.localhost:3000";
    for (method, origin, upgrade, expected) in [
        ("GET", bobs_page, false, 200),
        ("GET", bobs_page, true, 403),
        ("POST", bobs_page, false, 403),
        ("POST", "null", false, 403),
        // Its own page's upgrade reaches the server in the workspace (a plain one: 200).
        ("GET", own.as_str(), true, 200),
    ] {
        let mut request = browser
            .request(method.parse().unwrap(), format!("{own}/"))
            .header("cookie", &grant)
            .header("origin", origin);
        if upgrade {
            request = request
                .header("connection", "upgrade")
                .header("upgrade", "websocket")
                .header("sec-websocket-version", "13")
                .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status().as_u16(), expected, "{method} from {origin}");
    }
}

/// Needs the Debian dev image (python3 serves the WebSocket): run with `--include-ignored`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: needs the Debian dev image; the test script runs it"]
async fn a_previews_websocket_closes_when_its_users_access_ends() {
    let image = dev_image().await;
    let mut tenants = Tenants::new(|_| {}).await;
    let (alice, bob) = (tenants.alice.clone(), tenants.bob.clone());
    let made = tenants
        .workspace(&alice, "prev-ws", json!({ "image": image }))
        .await;
    run_in(
        &made.container,
        &format!(
            "(python3 -c '{}' >/dev/null 2>&1 &); sleep 1",
            ECHO_FOREVER.replace('\'', "'\\''")
        ),
    )
    .await;
    tenants.share(&alice, &made, "bob", json!("Editor")).await;

    // Bob opens the port: a grant of his own, a WebSocket through it.
    let opened = not_following(&bob.token)
        .get(format!(
            "{}/workspaces/{}/ports/8001/",
            tenants.app.base, made.reference
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 303);
    let path = opened.headers()["location"].to_str().unwrap().to_owned();
    let url = format!("{}{path}", tenants.app.base.replace("http", "ws"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url.into_client_request().unwrap())
        .await
        .unwrap();
    socket.send(Message::text("ping")).await.unwrap();
    let echoed = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .unwrap();
    assert_eq!(
        echoed.unwrap().unwrap().into_text().unwrap().as_str(),
        "ping"
    );

    // Alice ends the share: bob's open WebSocket ends with it.
    tenants.share(&alice, &made, "bob", json!(null)).await;
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the preview's WebSocket outlived bob's access"
    );
}
