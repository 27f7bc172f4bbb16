//! How previews reach a server inside a workspace: over the holder's `tunnel`, one exec
//! per connection, to the port on the workspace's own loopback. No network between
//! AiCockpit and the workspace is needed (an isolated workspace has none), and a server
//! that listens on 127.0.0.1 only is reached too. Connections are kept and reused per
//! container and port, as a browser's keep-alive connections are.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

use crate::runtime::channel::{self, ChannelError, ExecChannel};
use crate::runtime::ContainerRuntime;
use crate::terminal::holder::{self, Installer};

/// How long an idle connection into a workspace is kept for the next request.
const IDLE: Duration = Duration::from_secs(30);
/// Idle connections kept per preview port (a browser opens about six at once).
const IDLE_PER_PORT: usize = 8;

/// The address a preview request is sent to: the container as the host, the port as the
/// port (never resolved: the connector below reads them back).
pub fn address(container: &str, port: u16, path_and_query: &str) -> Result<Uri, String> {
    format!("http://{container}:{port}{path_and_query}")
        .parse()
        .map_err(|e| format!("{e}"))
}

#[derive(Clone)]
pub struct Tunnels {
    runtime: Arc<dyn ContainerRuntime>,
    holder: Installer,
}

pub type TunnelClient = Client<Tunnels, Body>;

impl Tunnels {
    pub fn client(runtime: Arc<dyn ContainerRuntime>, holder: Installer) -> TunnelClient {
        // Without a timer the pool never closes idle connections, each a running exec.
        Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(IDLE)
            .pool_max_idle_per_host(IDLE_PER_PORT)
            .build(Self { runtime, holder })
    }
}

pub struct Tunnel(TokioIo<ExecChannel>);

impl Connection for Tunnel {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for Tunnel {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Tunnel {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl tower::Service<Uri> for Tunnels {
    type Response = Tunnel;
    type Error = ChannelError;
    type Future = Pin<Box<dyn Future<Output = Result<Tunnel, ChannelError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, address: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let container = address.host().unwrap_or_default().to_owned();
            let port = address.port_u16().unwrap_or(80).to_string();
            this.holder.install(&container).await?;
            let spec = holder::run(&["tunnel", &port]);
            let channel = channel::open(this.runtime.as_ref(), &container, &spec).await?;
            Ok(Tunnel(TokioIo::new(channel)))
        })
    }
}

/// The tunnel's own error inside a client error, if that is what it is.
pub fn channel_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a ChannelError> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<ChannelError>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}
