//! `ssh -L` into a workspace: each forwarded connection rides the holder's `tunnel` to the
//! port on the workspace's own loopback, as previews do, so no network between AiCockpit and
//! the workspace is needed and servers listening on 127.0.0.1 only are reached.

use russh::server::Msg;
use russh::ChannelStream;

use super::SshParts;
use crate::runtime::channel::{self, ExecChannel};
use crate::terminal::holder;

/// A connection to `port` inside `container`.
pub async fn open(parts: &SshParts, container: &str, port: u16) -> Result<ExecChannel, String> {
    parts
        .holder
        .install(container)
        .await
        .map_err(|e| e.to_string())?;
    let spec = holder::run(&["tunnel", &port.to_string()]);
    channel::open(parts.runtime.as_ref(), container, &spec)
        .await
        .map_err(|e| e.to_string())
}

/// Carries bytes both ways until either side ends.
pub async fn carry(mut client: ChannelStream<Msg>, mut workspace: ExecChannel) {
    let _ = tokio::io::copy_bidirectional(&mut client, &mut workspace).await;
}
