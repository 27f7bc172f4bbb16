//! `aicockpit proxy`: an SSH client's `ProxyCommand`. It carries the SSH connection between
//! its standard input and output and the server's WebSocket tunnel, so SSH reaches
//! workspaces through the site's own origin (TLS and reverse proxies included).

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use super::session::Session;
use super::CliError;

/// The tunnel's `ws://` or `wss://` address on the server at `url`.
pub fn tunnel_url(url: &str) -> Result<String, CliError> {
    let rest = |scheme: &str| url.strip_prefix(scheme);
    let (scheme, host) = match (rest("https://"), rest("http://")) {
        (Some(host), _) => ("wss", host),
        (None, Some(host)) => ("ws", host),
        _ => {
            return Err(CliError::Local(format!(
                "{url} is not an http:// or https:// address"
            )))
        }
    };
    Ok(format!(
        "{scheme}://{}{}",
        host.trim_end_matches('/'),
        app::wire::SSH_TUNNEL
    ))
}

pub async fn run(session: &Session) -> Result<(), CliError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut request = tunnel_url(&session.url)?
        .into_client_request()
        .map_err(|e| CliError::Local(e.to_string()))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", session.token))
        .map_err(|_| CliError::SignedOut(Some(session.url.clone())))?;
    request.headers_mut().insert("authorization", bearer);
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(answer) if answer.status() == 401 => {
                CliError::SignedOut(Some(session.url.clone()))
            }
            other => CliError::Unreachable(session.url.clone(), other.to_string()),
        })?;
    let (mut to_server, mut from_server) = socket.split();
    let upstream = async {
        let mut stdin = tokio::io::stdin();
        let mut buffer = vec![0u8; 32 * 1024];
        loop {
            match stdin.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let message = Message::Binary(buffer[..n].to_vec().into());
                    if to_server.send(message).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to_server.close().await;
    };
    let downstream = async {
        let mut stdout = tokio::io::stdout();
        while let Some(Ok(message)) = from_server.next().await {
            let Message::Binary(bytes) = message else {
                continue;
            };
            if stdout.write_all(&bytes).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tunnel_is_on_the_sites_own_origin() {
        assert_eq!(
            tunnel_url("https://cockpit.example.com/").unwrap(),
            "wss://cockpit.example.com/api/ssh/tunnel"
        );
        assert_eq!(
            tunnel_url("http://127.0.0.1:3000").unwrap(),
            "ws://127.0.0.1:3000/api/ssh/tunnel"
        );
        assert!(tunnel_url("ftp://x").is_err());
    }
}
