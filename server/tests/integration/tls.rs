//! HTTPS served directly (`--tls-cert`/`--tls-key`): the server speaks TLS, its session
//! cookies are `Secure`, and browsers are told to keep to HTTPS.

use std::sync::Arc;
use std::time::Duration;

use aicockpit::config::{ServeConfig, TlsFiles};
use aicockpit::startup::Application;
use app::auth::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::helpers::*;

/// One HTTP/1.1 request over TLS, trusting only `certificate`; the whole response.
async fn https(
    addr: std::net::SocketAddr,
    certificate: CertificateDer<'static>,
    request: String,
) -> String {
    let mut roots = RootCertStore::empty();
    roots.add(certificate).unwrap();
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("a TLS handshake");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut response))
        .await
        .expect("the server closes the connection it was asked to close")
        .unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn https_is_served_with_secure_session_cookies() {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();

    let config = |tls: TlsFiles| ServeConfig {
        tls: Some(tls),
        ..ServeConfig::local(dir.path().join("app.db"), MEMORY_IMAGE)
    };
    let unreadable = Application::build(
        config(TlsFiles {
            cert: cert.clone(),
            key: dir.path().join("missing.pem"),
        }),
        memory_backend(),
    )
    .await;
    let Err(error) = unreadable else {
        panic!("a missing key must stop the start")
    };
    assert!(error.to_string().contains("missing.pem"), "{error}");

    let app = Application::build(config(TlsFiles { cert, key }), memory_backend())
        .await
        .unwrap();
    assert!(app.serves_tls());
    app.auth
        .add_user("ada", PASSWORD, Role::Admin)
        .await
        .unwrap();
    let addr = app.addr;
    tokio::spawn(app.run(std::future::pending()));

    let body = format!(r#"{{"name":"ada","password":"{PASSWORD}"}}"#);
    let origin = format!("https://localhost:{}", addr.port());
    let request = format!(
        "POST /api/auth/sign-in HTTP/1.1\r\nHost: localhost:{}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        addr.port(),
        body.len()
    );
    let response = https(addr, generated.cert.der().clone(), request).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    // Under HTTPS the session cookie carries the __Host- prefix: no other host sets it.
    let cookie = response
        .lines()
        .find(|line| {
            line.to_ascii_lowercase()
                .starts_with("set-cookie: __host-aicockpit_session=")
        })
        .expect("a __Host- session cookie");
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let hsts = response.lines().find(|line| {
        line.to_ascii_lowercase()
            .starts_with("strict-transport-security:")
    });
    assert_eq!(
        hsts.map(str::trim),
        Some("strict-transport-security: max-age=31536000")
    );
}
