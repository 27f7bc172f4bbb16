//! A session channel of a connection: what the client asked for (a PTY, variables), then
//! what runs in it — a held shell, a plain command, or SFTP.

use russh::{ChannelId, ChannelReadHalf};
use tokio::task::JoinHandle;

use super::Connection;
use crate::ssh::process::{self, Out, Process};
use crate::ssh::sftp;
use crate::terminal::{shell_spec, Input};

/// Variables a client may set in the workspace (`SendEnv`): locale, time zone, git's
/// protocol version. Nothing that changes what runs (`PATH`, `LD_*`) or who it is.
pub(super) fn passes(name: &str) -> bool {
    matches!(
        name,
        "LANG" | "LANGUAGE" | "TZ" | "COLORTERM" | "GIT_PROTOCOL"
    ) || name.starts_with("LC_")
}

#[derive(Default)]
pub(super) struct Terminal {
    pub(super) term: String,
    pub(super) cols: u16,
    pub(super) rows: u16,
}

/// A channel's request so far, and what runs in it.
pub(super) struct ChannelState {
    pub(super) out: Out,
    /// What the client sends, kept until it is known what runs: SFTP reads it as a stream,
    /// shells and commands take it through the handler.
    pub(super) read: Option<ChannelReadHalf>,
    pub(super) pty: Option<Terminal>,
    pub(super) env: Vec<String>,
    pub(super) running: Option<Running>,
}

pub(super) enum Running {
    /// SFTP, served until the client closes the channel.
    Sftp,
    Shell {
        input: Input,
        relay: JoinHandle<()>,
    },
    Process {
        process: Process,
        relay: JoinHandle<()>,
    },
}

impl Drop for ChannelState {
    fn drop(&mut self) {
        match self.running.take() {
            // The shell is held: it outlives the channel, to be attached to again.
            Some(Running::Shell { relay, .. }) => relay.abort(),
            Some(Running::Process { process, relay }) => {
                if !relay.is_finished() {
                    process.hang_up();
                }
                relay.abort();
            }
            Some(Running::Sftp) | None => {}
        }
    }
}

pub(super) fn clamp(cells: u32) -> u16 {
    u16::try_from(cells).unwrap_or(u16::MAX).max(1)
}

impl Connection {
    /// Runs a shell (`command` none) or a command in `channel`, held when it has a PTY.
    pub(super) async fn run(&mut self, channel: ChannelId, command: Option<String>) {
        let Some(state) = self.channels.get(&channel) else {
            return;
        };
        let out = state.out.clone();
        if state.running.is_some() {
            return process::fail(&out, "this channel already runs something", 255).await;
        }
        let container = match self.container(Some(&out)).await {
            Ok(container) => container,
            Err(why) => return process::fail(&out, &why, 255).await,
        };
        let Some(signed_in) = &self.signed_in else {
            return;
        };
        let Some(state) = self.channels.get_mut(&channel) else {
            return;
        };
        // Shells and commands take what the client sends through the handler.
        state.read = None;
        let mut env = vec!["LANG=C.UTF-8".to_owned()];
        env.extend(state.env.iter().cloned());
        let running = match &state.pty {
            Some(pty) => {
                let hub = self.parts.terminals.clone();
                // `attach ID` takes up a shell left running (by a dropped connection, or a
                // browser terminal); anything else is a new one.
                let (id, command) = match command.as_deref().and_then(|c| c.strip_prefix("attach "))
                {
                    Some(id) => (id.trim().to_owned(), None),
                    None => (
                        format!("ssh-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
                        command,
                    ),
                };
                if !crate::terminal::valid_id(&id) {
                    return process::fail(
                        &out,
                        "a terminal id has 1 to 32 letters, digits or hyphens",
                        255,
                    )
                    .await;
                }
                let key = format!("{}/{id}", signed_in.workspace.record.id);
                let mut spec = shell_spec(hub.user());
                if let Some(command) = command {
                    spec.command = vec!["/bin/sh".into(), "-c".into(), command];
                }
                spec.env.retain(|e| !e.starts_with("TERM="));
                spec.env.push(format!(
                    "TERM={}",
                    if pty.term.is_empty() {
                        "xterm-256color"
                    } else {
                        &pty.term
                    }
                ));
                spec.env.extend(state.env.iter().cloned());
                let attachment = match hub.attach(&key, &container, &id, &spec).await {
                    Ok(attachment) => attachment,
                    Err(e) => return process::fail(&out, &e.to_string(), 255).await,
                };
                let input = attachment.input.clone();
                input.resize(pty.rows, pty.cols).await;
                let note = format!(
                    "aicockpit: terminal {id} (attach again with: ssh -t … attach {id})\r\n"
                );
                let _ = out.extended_data(1, note.as_bytes()).await;
                let relay = tokio::spawn(process::relay_terminal(out, attachment, hub, key));
                Running::Shell { input, relay }
            }
            None => {
                let command = match command {
                    Some(command) => vec!["/bin/sh".into(), "-c".into(), command],
                    None => shell_spec(crate::access::WORKSPACE_USER).command,
                };
                match Process::start(
                    self.parts.runtime.clone(),
                    &container,
                    command,
                    env,
                    out.clone(),
                )
                .await
                {
                    Ok((process, relay)) => Running::Process { process, relay },
                    Err(why) => return process::fail(&out, &why, 255).await,
                }
            }
        };
        state.running = Some(running);
    }

    /// Serves SFTP in `channel`, if nothing runs there yet; whether it does.
    pub(super) async fn start_sftp(&mut self, channel: ChannelId) -> bool {
        let idle = self
            .channels
            .get(&channel)
            .is_some_and(|s| s.running.is_none());
        if !idle {
            return false;
        }
        // The file service needs the workspace running.
        if let Err(why) = self.container(None).await {
            tracing::debug!(%why, "ssh: no workspace for SFTP");
            return false;
        }
        let (Some(signed_in), Some(state)) = (&self.signed_in, self.channels.get_mut(&channel))
        else {
            return false;
        };
        let Some(read) = state.read.take() else {
            return false;
        };
        let reader = sftp::reader(read, state.out.clone());
        let stream = tokio::io::join(reader, state.out.make_writer());
        let handler = sftp::Sftp::new(
            self.parts.files.clone(),
            signed_in.actor.clone(),
            signed_in.workspace.reference.clone(),
        );
        state.running = Some(Running::Sftp);
        russh_sftp::server::run(stream, handler).await;
        true
    }
}
