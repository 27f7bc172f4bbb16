//! One SSH connection: who signs in (a key of theirs, or an API token with the terminals
//! scope as the password) into which workspace (the login name), under the same decision as
//! every other route; then its channels, each a shell or a command in that workspace. The
//! connection ends when the user's access to the workspace does.

mod channels;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use app::auth::{Actor, ClientInfo, Scope};
use app::service::WorkspaceService;
use russh::server::{Auth, Msg, Session};
use russh::{Channel, ChannelId, ChannelOpenFailure, Disconnect, Pty};
use tokio::task::JoinHandle;

use super::process::Out;
use channels::{clamp, passes, ChannelState, Running, Terminal};

use super::{forward, keys, target, SshParts};
use crate::access::policy::Action;
use crate::access::{Hold, Resolved};
use crate::auth::{AccessWatch, Credential};

struct SignedIn {
    actor: Actor,
    credential: Credential,
    workspace: Resolved,
    /// An open connection keeps the workspace from stopping for want of use.
    _in_use: Hold,
    since: Instant,
}

pub struct Connection {
    parts: Arc<SshParts>,
    peer: Option<IpAddr>,
    /// Through the tunnel, only the user whose token opened it may sign in.
    only_user: Option<i64>,
    signed_in: Option<SignedIn>,
    channels: HashMap<ChannelId, ChannelState>,
    /// Ends the connection when access is lost; stopped with the connection.
    watch: Option<JoinHandle<()>>,
    /// The `-L` connections it carries, ended with it.
    forwards: Vec<JoinHandle<()>>,
}

impl Connection {
    pub fn new(parts: Arc<SshParts>, peer: Option<IpAddr>, only_user: Option<i64>) -> Self {
        Self {
            parts,
            peer,
            only_user,
            signed_in: None,
            channels: HashMap::new(),
            watch: None,
            forwards: Vec::new(),
        }
    }

    fn client(&self) -> ClientInfo {
        ClientInfo {
            address: self.peer,
            https: false,
        }
    }

    /// Signs `credential` in to the workspace `login` names, if its user may use it.
    /// Whoever may not learns nothing more than a wrong key would.
    async fn sign_in(&mut self, login: &str, credential: Credential) -> Auth {
        let actor = match self.parts.auth.recheck(&credential, self.client()).await {
            Ok(Some(actor)) => actor,
            _ => return Auth::reject(),
        };
        let other_user = self.only_user.is_some_and(|only| only != actor.id);
        if other_user || !actor.grant.allows(Scope::Terminals) {
            return Auth::reject();
        }
        let Some(workspace) = target::workspace_of(login, &actor.name) else {
            return Auth::reject();
        };
        let Ok(resolved) = self
            .parts
            .resolver
            .resolve(&actor, &workspace, Action::Use)
            .await
        else {
            return Auth::reject();
        };
        if let Credential::SshKey(fingerprint) = &credential {
            let _ = self
                .parts
                .keys
                .touch(fingerprint, crate::store::unix_now())
                .await;
        }
        let in_use = self.parts.resolver.activity().hold(&resolved.record.id);
        self.signed_in = Some(SignedIn {
            actor,
            credential,
            workspace: resolved,
            _in_use: in_use,
            since: Instant::now(),
        });
        Auth::Accept
    }

    /// The running container of the workspace, started first when it is stopped (said on
    /// `out`, when there is a channel to say it on).
    async fn container(&mut self, out: Option<&Out>) -> Result<String, String> {
        let signed_in = self.signed_in.as_mut().ok_or("not signed in")?;
        let reference = signed_in.workspace.reference.clone();
        let resolved = self
            .parts
            .resolver
            .resolve(&signed_in.actor, &reference, Action::Use)
            .await
            .map_err(|e| e.to_string())?;
        if let Ok(container) = resolved.container() {
            if self.parts.terminals.container_running(container).await == Ok(true) {
                return Ok(container.to_owned());
            }
        }
        if let Some(out) = out {
            let note = format!("aicockpit: starting {reference}…\r\n");
            let _ = out.extended_data(1, note.as_bytes()).await;
        }
        self.parts
            .workspaces
            .start(&signed_in.actor, &reference)
            .await
            .map_err(|e| e.to_string())?;
        let started = self
            .parts
            .resolver
            .resolve(&signed_in.actor, &reference, Action::Use)
            .await
            .map_err(|e| e.to_string())?;
        let container = started.container().map_err(|e| e.to_string())?.to_owned();
        signed_in.workspace = started;
        Ok(container)
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _login: &str,
        offer: russh::server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(
            match self
                .parts
                .keys
                .user_of(&keys::fingerprint(offer.public_key))
                .await
            {
                Ok(Some(_)) => Auth::Accept,
                _ => Auth::reject(),
            },
        )
    }

    async fn auth_publickey(
        &mut self,
        login: &str,
        key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let credential = Credential::SshKey(keys::fingerprint(key.public_key));
        Ok(self.sign_in(login, credential).await)
    }

    async fn auth_password(&mut self, login: &str, password: &str) -> Result<Auth, Self::Error> {
        let credential = Credential::Token(crate::auth::secret::hash(password));
        Ok(self.sign_in(login, credential).await)
    }

    async fn auth_succeeded(&mut self, session: &mut Session) -> Result<(), Self::Error> {
        let Some(signed_in) = &self.signed_in else {
            return Err(russh::Error::NotAuthenticated);
        };
        let how = match signed_in.credential {
            Credential::SshKey(ref fingerprint) => format!("key {fingerprint}"),
            _ => "API token".to_owned(),
        };
        let through = match self.only_user {
            Some(_) => " through the tunnel",
            None => "",
        };
        let from = self
            .peer
            .map_or("an unknown address".to_owned(), |p| p.to_string());
        self.parts
            .audit
            .record(
                &signed_in.actor,
                "ssh-open",
                Some(&signed_in.workspace.reference),
                Some(format!("from {from}{through} with {how}")),
            )
            .await;
        let watch = AccessWatch::new(
            self.parts.auth.clone(),
            self.parts.resolver.clone(),
            signed_in.actor.clone(),
            signed_in.credential.clone(),
        );
        let (workspace, handle) = (signed_in.workspace.clone(), session.handle());
        self.watch = Some(tokio::spawn(async move {
            let why = watch.lost(workspace).await;
            let _ = handle
                .disconnect(Disconnect::ByApplication, why, String::new())
                .await;
        }));
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.signed_in.is_none() {
            return Ok(());
        }
        let (read, out) = channel.split();
        let id = out.id();
        self.channels.insert(
            id,
            ChannelState {
                out: Arc::new(out),
                read: Some(read),
                pty: None,
                env: Vec::new(),
                running: None,
            },
        );
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(state) = self.channels.get_mut(&channel) else {
            return session.channel_failure(channel);
        };
        state.pty = Some(Terminal {
            term: term
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect(),
            cols: clamp(cols),
            rows: clamp(rows),
        });
        session.channel_success(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(state) = self.channels.get_mut(&channel) {
            if passes(name) && !value.contains('\0') && state.env.len() < 32 {
                state.env.push(format!("{name}={value}"));
            }
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        self.run(channel, None).await;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Ok(command) = String::from_utf8(data.to_vec()) else {
            return session.channel_failure(channel);
        };
        session.channel_success(channel)?;
        self.run(channel, Some(command)).await;
        Ok(())
    }

    /// `ssh -L`: a connection to a port on the workspace's own loopback, as a preview
    /// reaches it. Other hosts are refused: they would be the workspace's outbound traffic.
    #[allow(clippy::too_many_arguments)]
    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host: &str,
        port: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1");
        let port = u16::try_from(port).ok().filter(|p| *p > 0);
        let (true, Some(port), Some(_)) = (loopback, port, &self.signed_in) else {
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        };
        self.forwards.retain(|f| !f.is_finished());
        let opened = match self.container(None).await {
            Ok(container) => forward::open(&self.parts, &container, port).await,
            Err(why) => Err(why),
        };
        match opened {
            Ok(tunnel) => {
                reply.accept().await;
                self.forwards
                    .push(tokio::spawn(forward::carry(channel.into_stream(), tunnel)));
            }
            Err(why) => {
                tracing::debug!(port, %why, "ssh: a forwarded connection failed");
                reply.reject(ChannelOpenFailure::ConnectFailed).await;
            }
        }
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match name == "sftp" && self.start_sftp(channel).await {
            true => session.channel_success(channel),
            false => session.channel_failure(channel),
        }
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.channels.get(&channel).and_then(|s| s.running.as_ref()) {
            Some(Running::Shell { input, .. }) => {
                input.keys(data).await;
            }
            Some(Running::Process { process, .. }) => {
                if let Some(stdin) = &process.stdin {
                    let _ = stdin.send(bytes::Bytes::copy_from_slice(data)).await;
                }
            }
            Some(Running::Sftp) | None => {}
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(Running::Shell { input, .. }) =
            self.channels.get(&channel).and_then(|s| s.running.as_ref())
        {
            input.resize(clamp(rows), clamp(cols)).await;
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // The client sends no more: the process reads end-of-file.
        if let Some(Running::Process { process, .. }) = self
            .channels
            .get_mut(&channel)
            .and_then(|s| s.running.as_mut())
        {
            process.stdin = None;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(watch) = self.watch.take() {
            watch.abort();
        }
        self.forwards.iter().for_each(JoinHandle::abort);
        self.channels.clear();
        if let Some(signed_in) = self.signed_in.take() {
            let audit = self.parts.audit.clone();
            let seconds = signed_in.since.elapsed().as_secs();
            tokio::spawn(async move {
                audit
                    .record(
                        &signed_in.actor,
                        "ssh-close",
                        Some(&signed_in.workspace.reference),
                        Some(format!("after {seconds} s")),
                    )
                    .await;
            });
        }
    }
}
