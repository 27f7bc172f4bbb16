//! The HTTP proxy a workspace's processes use (`HTTP_PROXY`, `HTTPS_PROXY`), served by
//! AiCockpit on each connection the holder hands over: `CONNECT host:port` (HTTPS, and
//! anything else tunnelled) and plain `http://` requests, each destination judged before a
//! byte leaves. The connection itself is AiCockpit's, made from this server.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::verdict::Verdict;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A client that does not finish asking within this is dropped.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Judges one destination (and records the verdict).
pub type Judge =
    Arc<dyn Fn(String, u16) -> Pin<Box<dyn Future<Output = Verdict> + Send>> + Send + Sync>;

/// Serves proxy requests on `connection` until the client closes it.
pub async fn serve<IO>(connection: IO, judge: Judge)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let judge = judge.clone();
        async move { Ok::<_, std::convert::Infallible>(answer(request, judge).await) }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(connection), service)
        .with_upgrades()
        .await;
    if let Err(e) = served {
        tracing::debug!(error = %e, "an egress connection ended");
    }
}

async fn answer(request: Request<Incoming>, judge: Judge) -> Response<Body> {
    let target = request.uri().authority().map(|a| {
        let default = if request.method() == Method::CONNECT {
            443
        } else {
            80
        };
        (a.host().to_owned(), a.port_u16().unwrap_or(default))
    });
    let plain_http = request.uri().scheme_str() == Some("http");
    let Some((host, port)) = target.filter(|_| request.method() == Method::CONNECT || plain_http)
    else {
        return text(
            StatusCode::BAD_REQUEST,
            "This is AiCockpit's egress proxy: ask it for http://… addresses, or CONNECT host:port.",
        );
    };
    let addresses = match judge(host.clone(), port).await {
        Verdict::Allowed { addresses, .. } => addresses,
        Verdict::Refused(why) => {
            return text(
                StatusCode::FORBIDDEN,
                &format!("AiCockpit refused {host}:{port}: {why}."),
            )
        }
    };
    let upstream = match connect(&addresses).await {
        Ok(stream) => stream,
        Err(e) => {
            return text(
                StatusCode::BAD_GATEWAY,
                &format!("AiCockpit could not reach {host}:{port}: {e}."),
            )
        }
    };
    if request.method() == Method::CONNECT {
        tokio::spawn(async move {
            match hyper::upgrade::on(request).await {
                Ok(client) => {
                    let (mut client, mut upstream) = (TokioIo::new(client), upstream);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
                Err(e) => tracing::debug!(error = %e, "a CONNECT was not followed through"),
            }
        });
        return Response::new(Body::empty());
    }
    forward(request, upstream, &host, port).await
}

/// Passes a plain-HTTP request on, in origin form, without the proxy's own headers.
async fn forward(
    request: Request<Incoming>,
    upstream: TcpStream,
    host: &str,
    port: u16,
) -> Response<Body> {
    let broken = |e: hyper::Error| {
        text(
            StatusCode::BAD_GATEWAY,
            &format!("{host}:{port} broke off: {e}."),
        )
    };
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake::<_, Incoming>(TokioIo::new(upstream)).await {
            Ok(pair) => pair,
            Err(e) => return broken(e),
        };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    parts.uri = match path.parse() {
        Ok(uri) => uri,
        Err(_) => return text(StatusCode::BAD_REQUEST, "That address does not read."),
    };
    for hop in [
        "proxy-connection",
        "proxy-authorization",
        "connection",
        "keep-alive",
        "te",
        "upgrade",
    ] {
        parts.headers.remove(hop);
    }
    parts
        .headers
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    if !parts.headers.contains_key(header::HOST) {
        if let Ok(value) = HeaderValue::from_str(&format!("{host}:{port}")) {
            parts.headers.insert(header::HOST, value);
        }
    }
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(response) => response.map(Body::new),
        Err(e) => broken(e),
    }
}

async fn connect(addresses: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::other("no address to connect to");
    for address in addresses {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = e,
            Err(_) => last = std::io::Error::other(format!("{address} did not answer within 10 s")),
        }
    }
    Err(last)
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(format!("{message}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A judge that allows `allowed` (a local port) and refuses everything else, and says
    /// what it was asked.
    fn judge(allowed: u16, asked: Arc<std::sync::Mutex<Vec<String>>>) -> Judge {
        Arc::new(move |host, port| {
            asked.lock().unwrap().push(format!("{host}:{port}"));
            Box::pin(async move {
                match port == allowed {
                    true => Verdict::Allowed {
                        addresses: vec![SocketAddr::from(([127, 0, 0, 1], port))],
                        why: "test".into(),
                    },
                    false => Verdict::Refused("not this one".into()),
                }
            })
        })
    }

    async fn echo_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = stream.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn connect_tunnels_to_an_allowed_destination_and_refuses_the_rest() {
        let port = echo_server().await;
        let asked = Arc::default();
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        tokio::spawn(serve(server, judge(port, Arc::clone(&asked))));
        client
            .write_all(format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut head = vec![0u8; 19];
        client.read_exact(&mut head).await.unwrap();
        assert!(
            String::from_utf8_lossy(&head).starts_with("HTTP/1.1 200"),
            "{head:?}"
        );
        // The rest of the 200's head, then the tunnel.
        let mut rest = Vec::new();
        while !rest.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8];
            client.read_exact(&mut byte).await.unwrap();
            rest.push(byte[0]);
        }
        client.write_all(b"through").await.unwrap();
        let mut echoed = [0u8; 7];
        client.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"through");

        let (mut client, server) = tokio::io::duplex(64 * 1024);
        tokio::spawn(serve(server, judge(port, Arc::clone(&asked))));
        client
            .write_all(b"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut answer = vec![0u8; 400];
        let n = client.read(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        assert!(answer.contains("not this one"), "{answer}");
        assert_eq!(
            *asked.lock().unwrap(),
            [format!("127.0.0.1:{port}"), "127.0.0.1:1".to_owned()]
        );
    }

    #[tokio::test]
    async fn requests_that_are_not_for_a_proxy_are_told_what_this_is() {
        let (mut client, server) = tokio::io::duplex(4096);
        tokio::spawn(serve(server, judge(1, Arc::default())));
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut answer = vec![0u8; 400];
        let n = client.read(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(
            answer.starts_with("HTTP/1.1 400") && answer.contains("egress proxy"),
            "{answer}"
        );
    }
}
