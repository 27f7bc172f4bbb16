//! Terminal sessions that outlive the browser and the server: each shell is held inside its
//! workspace container by the [`holder`], which the hub reaches over one exec per session;
//! its recent output is kept in a bounded scrollback and fanned out to any number of
//! viewers. A session whose last viewer left is kept for a grace period, so a reload
//! reattaches to the same shell; after a server restart the holder replays its own copy.
//!
//! Memory stays bounded whatever the viewers do: output goes into the scrollback and a
//! fixed-size broadcast channel; a viewer that falls behind is told it lagged (and can replay
//! the scrollback) instead of holding output back for everyone.

pub(crate) mod hangup;
pub mod holder;
pub mod presence;
mod reader;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use terminal_holder::protocol::{self, Frame};
use terminal_holder::scrollback::Scrollback;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;

use crate::access::MOUNT_PATH;
use crate::runtime::{ContainerRuntime, ExecSpec, RuntimeError};
use crate::sync::Unpoisoned;
use reader::HolderReader;

/// Chunks kept in flight per session before slow viewers are told they lagged.
const OUTPUT_CHUNKS: usize = 256;

#[derive(Debug, Clone)]
pub struct TerminalSettings {
    pub scrollback_bytes: usize,
    /// How long a session without viewers keeps running.
    pub idle_timeout: Duration,
    /// `uid:gid` shells run as.
    pub user: String,
}

impl Default for TerminalSettings {
    fn default() -> Self {
        Self {
            scrollback_bytes: 256 * 1024,
            idle_timeout: Duration::from_secs(10 * 60),
            user: crate::access::WORKSPACE_USER.into(),
        }
    }
}

/// How a session's connection to its shell ended, as far as the server could tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The shell exited with this status (128 + n: it was killed by signal n).
    Exited(i32),
    /// The holder could not start the session; what it said.
    Failed(String),
}

struct Session {
    container: String,
    /// Marks the session's processes, to end them with it (see `hangup`).
    tag: String,
    scrollback: Mutex<Scrollback>,
    output: broadcast::Sender<Bytes>,
    input: Input,
    ending: watch::Receiver<Option<Ending>>,
    viewers: Mutex<usize>,
    /// The reader; aborted with the session, which closes its connection to the holder.
    reader: Mutex<Option<JoinHandle<()>>>,
}

impl Session {
    /// The scrollback and a live feed that continues exactly where it ends: both are taken
    /// under the scrollback lock, which the reader holds while it records and broadcasts a
    /// chunk, so no output is missed or shown twice.
    fn view(&self) -> (Vec<u8>, broadcast::Receiver<Bytes>) {
        let scrollback = lock(&self.scrollback);
        (scrollback.snapshot(), self.output.subscribe())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let reader = self.reader.get_mut().unwrap_or_else(|p| p.into_inner());
        reader.iter().for_each(JoinHandle::abort);
    }
}

/// What a viewer sends the shell: keystrokes and its window size, as holder frames.
#[derive(Clone)]
pub struct Input(mpsc::Sender<Bytes>);

impl Input {
    /// `false` once the session has ended.
    pub async fn keys(&self, keys: &[u8]) -> bool {
        let mut frame = Vec::with_capacity(protocol::HEADER + keys.len());
        protocol::encode_into(&mut frame, protocol::INPUT, keys);
        self.0.send(frame.into()).await.is_ok()
    }

    pub async fn resize(&self, rows: u16, cols: u16) -> bool {
        let frame = Frame::Resize { rows, cols }.encode();
        self.0.send(frame.into()).await.is_ok()
    }
}

/// One viewer's handle on a session. Dropping it detaches the viewer.
pub struct Attachment {
    /// The recent output to draw first.
    pub replay: Vec<u8>,
    /// Live output after the replay; `Closed` when the process ended.
    pub output: broadcast::Receiver<Bytes>,
    pub input: Input,
    /// How it ended, set before `output` closes.
    pub ending: watch::Receiver<Option<Ending>>,
    detach: Option<Detach>,
}

struct Detach {
    hub: Arc<HubInner>,
    key: String,
}

impl Attachment {
    /// The live output, for the one reader that follows it. The attachment keeps no
    /// receiver of its own: one never read would hold every chunk the reader has read.
    pub fn take_output(&mut self) -> broadcast::Receiver<Bytes> {
        let (_, none) = broadcast::channel(1);
        std::mem::replace(&mut self.output, none)
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        if let Some(Detach { hub, key }) = self.detach.take() {
            hub.detach(key);
        }
    }
}

struct HubInner {
    runtime: Arc<dyn ContainerRuntime>,
    settings: TerminalSettings,
    presence: presence::Presence,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    holder: holder::Installer,
    /// Held while a session starts, per session key.
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

#[derive(Clone)]
pub struct TerminalHub(Arc<HubInner>);

impl TerminalHub {
    /// Sessions in containers of `runtime`, the holder copied in by `holder`.
    pub fn new(
        runtime: Arc<dyn ContainerRuntime>,
        settings: TerminalSettings,
        holder: holder::Installer,
    ) -> Self {
        Self(Arc::new(HubInner {
            holder,
            runtime,
            settings,
            presence: presence::Presence::default(),
            sessions: Mutex::new(HashMap::new()),
            gates: Mutex::new(HashMap::new()),
        }))
    }

    /// Attaches to the session `key`: to the terminal `terminal` held in `container`,
    /// started there with `shell` if it does not run.
    pub async fn attach(
        &self,
        key: &str,
        container: &str,
        terminal: &str,
        shell: &ExecSpec,
    ) -> Result<Attachment, RuntimeError> {
        // One start at a time per session: the holder serves one connection, so a second
        // start would take the session from the first.
        let gate = self.0.gate(key);
        let session = {
            let _starting = gate.lock().await;
            let existing = self.0.sessions().get(key).cloned();
            match existing {
                Some(session) => Ok(session),
                None => self.0.start(key, container, terminal, shell).await,
            }
        };
        self.0.close_gate(key, gate);
        let session = session?;
        *lock(&session.viewers) += 1;
        let (replay, output) = session.view();
        Ok(Attachment {
            replay,
            output,
            input: session.input.clone(),
            ending: session.ending.clone(),
            detach: Some(Detach {
                hub: self.0.clone(),
                key: key.to_owned(),
            }),
        })
    }

    /// A fresh replay and live feed for a viewer that fell behind; `None` once the session
    /// has ended.
    pub fn resync(&self, key: &str) -> Option<(Vec<u8>, broadcast::Receiver<Bytes>)> {
        let session = self.0.sessions().get(key).cloned()?;
        Some(session.view())
    }

    /// Ends the session `key` and its processes now (its tab was closed), whoever watches it.
    pub fn close(&self, key: &str) -> bool {
        let removed = self.0.sessions().remove(key);
        removed.map(|session| self.0.hang_up(&session)).is_some()
    }

    /// Whether `container` still runs, to tell an ended shell from a stopped workspace.
    pub async fn container_running(&self, container: &str) -> Result<bool, RuntimeError> {
        let details = self.0.runtime.inspect(container).await?;
        Ok(details.info.state == crate::runtime::ContainerState::Running)
    }

    /// Who has which workspace open.
    pub fn presence(&self) -> &presence::Presence {
        &self.0.presence
    }

    pub fn user(&self) -> &str {
        &self.0.settings.user
    }

    /// Whether a session `key` is running.
    pub fn is_open(&self, key: &str) -> bool {
        self.0.sessions().contains_key(key)
    }

    pub fn session_count(&self) -> usize {
        self.0.sessions().len()
    }
}

impl HubInner {
    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Session>>> {
        lock(&self.sessions)
    }

    /// Ends a session's processes in the container, not only its connection.
    fn hang_up(&self, session: &Session) {
        let container = session.container.clone();
        hangup::hang_up(
            self.runtime.clone(),
            container,
            &session.tag,
            &self.settings.user,
        );
    }

    fn gate(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.gates).entry(key.to_owned()).or_default().clone()
    }

    /// Forgets the gate of `key` unless someone else waits at it.
    fn close_gate(&self, key: &str, gate: Arc<tokio::sync::Mutex<()>>) {
        let mut gates = lock(&self.gates);
        // Ours and the map's: nobody else took it (they take it under this lock).
        if Arc::strong_count(&gate) == 2 {
            gates.remove(key);
        }
    }

    /// Starts the session `key` (attaching to the holder's, or having it start one) and
    /// lists it. Called with the key's gate held.
    async fn start(
        self: &Arc<Self>,
        key: &str,
        container: &str,
        terminal: &str,
        shell: &ExecSpec,
    ) -> Result<Arc<Session>, RuntimeError> {
        self.holder.install(container).await?;
        // The same tag for the same terminal, so a restarted server ends what an earlier
        // one started.
        let tag = format!("terminal-{terminal}");
        let mut spec = shell.clone();
        spec.command = holder::attach_command(terminal, &self.settings, &shell.command);
        spec.env.push(hangup::tag_entry(&tag));
        let (frames, to_holder) = mpsc::channel::<Bytes>(64);
        let stdin = ReceiverStream::new(to_holder).map(Ok).boxed();
        let mut process = self.runtime.exec(container, &spec, Some(stdin)).await?;
        let (output, _) = broadcast::channel(OUTPUT_CHUNKS);
        let (ended, ending) = watch::channel(None);

        let session = Arc::new(Session {
            container: container.to_owned(),
            tag,
            scrollback: Mutex::new(Scrollback::new(self.settings.scrollback_bytes)),
            output: output.clone(),
            input: Input(frames),
            ending,
            viewers: Mutex::new(0),
            reader: Mutex::new(None),
        });
        // Listed before its reader runs, which unlists it when the shell ends.
        self.sessions().insert(key.to_owned(), session.clone());
        let weak = Arc::downgrade(&session);
        let (hub, key) = (Arc::downgrade(self), key.to_owned());
        let reading = tokio::spawn(async move {
            let mut reader = HolderReader::default();
            while let Some(next) = process.output.next().await {
                let chunk = match next {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        tracing::warn!(error = %e, "the connection to a terminal broke");
                        break;
                    }
                };
                let Some(session) = weak.upgrade() else {
                    return;
                };
                let shown = reader.read(chunk, |bytes| {
                    let mut scrollback = lock(&session.scrollback);
                    scrollback.push(&bytes);
                    let _ = output.send(bytes);
                });
                if !shown {
                    break;
                }
            }
            let _ = ended.send(reader.ending());
            // The process ended: forget the session so the next attach starts anew.
            if let (Some(hub), Some(me)) = (hub.upgrade(), weak.upgrade()) {
                let mut sessions = hub.sessions();
                if sessions.get(&key).is_some_and(|s| Arc::ptr_eq(s, &me)) {
                    sessions.remove(&key);
                }
            }
        });
        *lock(&session.reader) = Some(reading);
        Ok(session)
    }

    /// The viewer left; end the session once it has had no viewer for the idle timeout.
    fn detach(self: Arc<Self>, key: String) {
        let Some(session) = self.sessions().get(&key).cloned() else {
            return;
        };
        let remaining = {
            let mut viewers = lock(&session.viewers);
            *viewers = viewers.saturating_sub(1);
            *viewers
        };
        if remaining > 0 {
            return;
        }
        let idle = self.settings.idle_timeout;
        // Weak: the timer must not keep the session (and its output channel) alive, or a
        // viewer attached meanwhile would never hear that the process ended.
        let session = Arc::downgrade(&session);
        tokio::spawn(async move {
            tokio::time::sleep(idle).await;
            let mut sessions = self.sessions();
            let unwatched = sessions.get(&key).is_some_and(|s| {
                std::ptr::eq(Arc::as_ptr(s), session.as_ptr()) && *lock(&s.viewers) == 0
            });
            if let Some(session) = unwatched.then(|| sessions.remove(&key)).flatten() {
                self.hang_up(&session);
            }
        });
    }
}

/// Poisoning only means another thread panicked mid-update of plain data; keep going.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.locked()
}

/// Starts bash when the image has it, else sh; a login shell in the workspace.
/// Whether `id` may name a terminal: short and plain, since it becomes a file name in the
/// workspace (the holder's socket).
pub fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub fn shell_spec(user: &str) -> ExecSpec {
    ExecSpec {
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi".into(),
        ],
        user: user.to_owned(),
        working_dir: MOUNT_PATH.to_owned(),
        env: vec!["TERM=xterm-256color".into(), "LANG=C.UTF-8".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_ids_are_short_and_plain() {
        assert!(valid_id("main-1"));
        assert!(!valid_id(""));
        assert!(!valid_id("../x"));
        assert!(!valid_id(&"a".repeat(33)));
    }
}
