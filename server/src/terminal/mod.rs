//! Terminal sessions that outlive the browser: one TTY process per session, its recent
//! output kept in a bounded scrollback, fanned out to any number of viewers. A session whose
//! last viewer left is kept for a grace period, so a reload reattaches to the same shell.
//!
//! Memory stays bounded whatever the viewers do: output goes into the scrollback and a
//! fixed-size broadcast channel; a viewer that falls behind is told it lagged (and can replay
//! the scrollback) instead of holding output back for everyone.

pub(crate) mod hangup;
pub mod presence;
mod scrollback;
pub mod websocket;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::runtime::{ContainerRuntime, RuntimeError, TtySpec};
use scrollback::Scrollback;

/// Chunks kept in flight per session before slow viewers are told they lagged.
const OUTPUT_CHUNKS: usize = 256;
const READ_CHUNK: usize = 16 * 1024;

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
            user: crate::workspaces::WORKSPACE_USER.into(),
        }
    }
}

struct Session {
    exec_id: String,
    container: String,
    /// Marks the session's processes, to end them with it (see `hangup`).
    tag: String,
    scrollback: Mutex<Scrollback>,
    output: broadcast::Sender<Bytes>,
    input: mpsc::Sender<Bytes>,
    viewers: Mutex<usize>,
    /// The reader and writer; aborted with the session, which closes the terminal.
    tasks: Mutex<Vec<JoinHandle<()>>>,
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
        let tasks = self.tasks.get_mut().unwrap_or_else(|p| p.into_inner());
        tasks.iter().for_each(JoinHandle::abort);
    }
}

/// One viewer's handle on a session. Dropping it detaches the viewer.
pub struct Attachment {
    /// The recent output to draw first.
    pub replay: Vec<u8>,
    /// Live output after the replay; `Closed` when the process ended.
    pub output: broadcast::Receiver<Bytes>,
    /// Keystrokes for the process.
    pub input: mpsc::Sender<Bytes>,
    pub exec_id: String,
    detach: Option<Detach>,
}

struct Detach {
    hub: Arc<HubInner>,
    key: String,
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
}

#[derive(Clone)]
pub struct TerminalHub(Arc<HubInner>);

impl TerminalHub {
    pub fn new(runtime: Arc<dyn ContainerRuntime>, settings: TerminalSettings) -> Self {
        Self(Arc::new(HubInner {
            runtime,
            settings,
            presence: presence::Presence::default(),
            sessions: Mutex::new(HashMap::new()),
        }))
    }

    /// Attaches to the session `key`, starting `spec` in `container` if it does not run.
    pub async fn attach(
        &self,
        key: &str,
        container: &str,
        spec: &TtySpec,
    ) -> Result<Attachment, RuntimeError> {
        let existing = self.0.sessions().get(key).cloned();
        let session = match existing {
            Some(session) => session,
            None => {
                let started = self.0.start(key, container, spec).await?;
                self.0
                    .sessions()
                    .entry(key.to_owned())
                    .or_insert(started)
                    .clone()
            }
        };
        *lock(&session.viewers) += 1;
        let (replay, output) = session.view();
        Ok(Attachment {
            replay,
            output,
            input: session.input.clone(),
            exec_id: session.exec_id.clone(),
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

    /// The exit status of a session's process, once Docker has recorded it.
    pub async fn exit_code(&self, exec_id: &str) -> Option<i64> {
        self.0.runtime.exec_exit_code(exec_id).await.ok().flatten()
    }

    /// Who has which workspace open.
    pub fn presence(&self) -> &presence::Presence {
        &self.0.presence
    }

    pub fn user(&self) -> &str {
        &self.0.settings.user
    }

    /// Follows the viewer's window size.
    pub async fn resize(&self, exec_id: &str, rows: u16, cols: u16) -> Result<(), RuntimeError> {
        self.0.runtime.resize_tty(exec_id, rows, cols).await
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

    async fn start(
        self: &Arc<Self>,
        key: &str,
        container: &str,
        spec: &TtySpec,
    ) -> Result<Arc<Session>, RuntimeError> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let mut spec = spec.clone();
        spec.env.push(hangup::tag_entry(&tag));
        let tty = self.runtime.open_tty(container, &spec).await?;
        let (mut reader, mut writer) = tokio::io::split(tty.io);
        let (output, _) = broadcast::channel(OUTPUT_CHUNKS);
        let (input, mut keystrokes) = mpsc::channel::<Bytes>(64);

        let session = Arc::new(Session {
            exec_id: tty.exec_id,
            container: container.to_owned(),
            tag,
            scrollback: Mutex::new(Scrollback::new(self.settings.scrollback_bytes)),
            output: output.clone(),
            input,
            viewers: Mutex::new(0),
            tasks: Mutex::new(Vec::new()),
        });
        let weak = Arc::downgrade(&session);
        let (hub, key) = (Arc::downgrade(self), key.to_owned());
        let reading = tokio::spawn(async move {
            let mut buffer = vec![0u8; READ_CHUNK];
            while let Ok(n) = reader.read(&mut buffer).await {
                let Some(session) = weak.upgrade().filter(|_| n > 0) else {
                    break;
                };
                let chunk = Bytes::copy_from_slice(&buffer[..n]);
                let mut scrollback = lock(&session.scrollback);
                scrollback.push(&chunk);
                let _ = output.send(chunk);
            }
            // The process ended: forget the session so the next attach starts anew.
            if let (Some(hub), Some(me)) = (hub.upgrade(), weak.upgrade()) {
                let mut sessions = hub.sessions();
                if sessions.get(&key).is_some_and(|s| Arc::ptr_eq(s, &me)) {
                    sessions.remove(&key);
                }
            }
        });
        let writing = tokio::spawn(async move {
            while let Some(keys) = keystrokes.recv().await {
                if writer.write_all(&keys).await.is_err() {
                    break;
                }
            }
        });
        *lock(&session.tasks) = vec![reading, writing];
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
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
