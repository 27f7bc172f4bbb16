//! The daemon that holds one terminal session: the PTY, the shell on it, the recent output
//! and at most one connection. A new connection replaces the old one (the server came back
//! while the engine still held the previous exec) and is first sent the recent output. With
//! no connection for the idle time, the session hangs up its shell and ends; a shell that
//! ended meanwhile is reported to the next connection.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use terminal_holder::protocol::{self, Decoder, Frame};
use terminal_holder::scrollback::Scrollback;

use crate::sys;

const READ_CHUNK: usize = 16 * 1024;
/// Replay frames stay well under the protocol's limit.
const REPLAY_FRAME: usize = 64 * 1024;
/// Output queued for a connection that reads slower than the shell writes; past it the
/// shell is not read until the connection catches up, as a terminal would hold it back.
const MAX_QUEUED_OUTPUT: usize = 256 * 1024;
/// Keystrokes queued for a shell that does not read; more are dropped.
const MAX_QUEUED_INPUT: usize = 1 << 20;
/// How long the last frames may take to reach the connection when the shell has ended.
const FAREWELL: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Settings {
    pub command: Vec<String>,
    pub scrollback: usize,
    pub idle: Duration,
}

struct Connection {
    stream: UnixStream,
    decoder: Decoder,
    queued: Vec<u8>,
}

impl Connection {
    fn new(stream: UnixStream, replay: &[u8]) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        let mut queued = Vec::with_capacity(replay.len() + 64);
        for chunk in replay.chunks(REPLAY_FRAME) {
            protocol::encode_into(&mut queued, protocol::OUTPUT, chunk);
        }
        Ok(Self {
            stream,
            decoder: Decoder::default(),
            queued,
        })
    }

    /// Sends what is queued as far as the socket takes it; `false` when it is gone.
    fn flush(&mut self) -> bool {
        while !self.queued.is_empty() {
            match self.stream.write(&self.queued) {
                Ok(0) => return false,
                Ok(n) => drop(self.queued.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }
}

pub struct Session {
    settings: Settings,
    listener: UnixListener,
    /// Where `listener` is bound; removed as soon as the session ends, so that nobody
    /// connects to a session that will not answer.
    socket: PathBuf,
    master: std::fs::File,
    shell: libc::pid_t,
    signals: std::fs::File,
    scrollback: Scrollback,
    connection: Option<Connection>,
    /// Keystrokes the shell has not read yet.
    input: Vec<u8>,
    /// When the last connection left; `None` while one is attached.
    alone_since: Option<Instant>,
    /// The PTY reported that no process holds it any more.
    hung_up: bool,
    /// How the shell ended, once it has.
    status: Option<i32>,
}

impl Session {
    /// Starts the shell on a new PTY; `listener` is already bound.
    pub fn start(settings: Settings, listener: UnixListener, socket: &Path) -> io::Result<Self> {
        let signals = sys::signals()?;
        let pty = sys::open_pty(24, 80)?;
        let shell = sys::spawn_on_terminal(&pty.slave, &settings.command)?;
        drop(pty.slave);
        sys::set_nonblocking(pty.master.as_raw_fd())?;
        listener.set_nonblocking(true)?;
        Ok(Self {
            scrollback: Scrollback::new(settings.scrollback),
            settings,
            listener,
            socket: socket.to_owned(),
            master: std::fs::File::from(pty.master),
            shell,
            signals,
            connection: None,
            input: Vec::new(),
            alone_since: Some(Instant::now()),
            hung_up: false,
            status: None,
        })
    }

    /// Serves until the shell's end was reported or the session was left alone too long.
    pub fn run(mut self) -> io::Result<()> {
        loop {
            if self.status.is_none() {
                self.status = sys::try_wait(self.shell);
                if self.status.is_some() && !self.hung_up {
                    self.read_terminal();
                }
            }
            // An ended shell waits for a connection to hear its last output and status.
            if let (Some(code), Some(_)) = (self.status, &self.connection) {
                self.finish(code);
                return Ok(());
            }
            let timeout = match self.alone_since {
                Some(since) => {
                    let left = self.settings.idle.saturating_sub(since.elapsed());
                    if left.is_zero() {
                        let _ = std::fs::remove_file(&self.socket);
                        sys::signal_group(self.shell, libc::SIGHUP);
                        return Ok(());
                    }
                    left.as_millis().min(i32::MAX as u128) as i32
                }
                None => -1,
            };
            let mut fds = [
                sys::pollfd(self.signals.as_raw_fd(), libc::POLLIN),
                sys::pollfd(self.listener.as_raw_fd(), libc::POLLIN),
                sys::pollfd(self.master.as_raw_fd(), self.terminal_interest()),
                match &self.connection {
                    Some(c) => {
                        let out = if c.queued.is_empty() {
                            0
                        } else {
                            libc::POLLOUT
                        };
                        sys::pollfd(c.stream.as_raw_fd(), libc::POLLIN | out)
                    }
                    None => sys::pollfd(-1, 0),
                },
            ];
            sys::poll(&mut fds, timeout)?;
            let ready = |i: usize| fds[i].revents != 0;
            if ready(0) {
                let mut drain = [0u8; 64];
                while (&self.signals).read(&mut drain).is_ok_and(|n| n > 0) {}
            }
            // Told to end (the terminal was closed): go at once, so the next connection on
            // this id starts afresh instead of hearing the old shell's end.
            if sys::hung_up() {
                let _ = std::fs::remove_file(&self.socket);
                sys::signal_group(self.shell, libc::SIGHUP);
                return Ok(());
            }
            if ready(1) {
                self.accept();
            }
            if ready(2) {
                self.serve_terminal(fds[2].revents);
            }
            if ready(3) {
                self.serve_connection();
            }
        }
    }

    fn terminal_interest(&self) -> libc::c_short {
        if self.hung_up {
            return 0;
        }
        let backlog = self.connection.as_ref().map_or(0, |c| c.queued.len());
        let read = if backlog < MAX_QUEUED_OUTPUT {
            libc::POLLIN
        } else {
            0
        };
        let write = if self.input.is_empty() {
            0
        } else {
            libc::POLLOUT
        };
        read | write
    }

    fn accept(&mut self) {
        while let Ok((stream, _)) = self.listener.accept() {
            match Connection::new(stream, &self.scrollback.snapshot()) {
                Ok(connection) => {
                    self.connection = Some(connection);
                    self.alone_since = None;
                }
                Err(_) => continue,
            }
        }
    }

    fn serve_terminal(&mut self, events: libc::c_short) {
        if events & libc::POLLOUT != 0 {
            match self.master.write(&self.input) {
                Ok(n) => drop(self.input.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => self.input.clear(),
            }
        }
        if events & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            self.read_terminal();
        }
    }

    /// Takes what the shell wrote, up to the PTY having nothing more right now or the
    /// connection having enough to send.
    fn read_terminal(&mut self) {
        let mut buffer = [0u8; READ_CHUNK];
        while self
            .connection
            .as_ref()
            .is_none_or(|c| c.queued.len() < MAX_QUEUED_OUTPUT)
        {
            match self.master.read(&mut buffer) {
                Ok(0) => {
                    self.hung_up = true;
                    return;
                }
                Ok(n) => self.output(&buffer[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // EIO: every process holding the terminal has closed it.
                Err(_) => {
                    self.hung_up = true;
                    return;
                }
            }
        }
    }

    fn output(&mut self, bytes: &[u8]) {
        self.scrollback.push(bytes);
        if let Some(connection) = &mut self.connection {
            protocol::encode_into(&mut connection.queued, protocol::OUTPUT, bytes);
            if !connection.flush() {
                self.drop_connection();
            }
        }
    }

    fn serve_connection(&mut self) {
        let Some(connection) = &mut self.connection else {
            return;
        };
        let mut buffer = [0u8; READ_CHUNK];
        let mut open = connection.flush();
        while open {
            match connection.stream.read(&mut buffer) {
                Ok(0) => open = false,
                Ok(n) => connection.decoder.push(&buffer[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => open = false,
            }
        }
        loop {
            match connection.decoder.next_frame() {
                Ok(Some(Frame::Input(keys))) => {
                    let room = MAX_QUEUED_INPUT.saturating_sub(self.input.len());
                    self.input.extend_from_slice(&keys[..keys.len().min(room)]);
                }
                Ok(Some(Frame::Resize { rows, cols })) if rows > 0 && cols > 0 => {
                    let _ = sys::set_size(self.master.as_raw_fd(), rows, cols);
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                // Not a server speaking the protocol: refuse it.
                Err(_) => {
                    open = false;
                    break;
                }
            }
        }
        if !open {
            self.drop_connection();
        }
    }

    fn drop_connection(&mut self) {
        self.connection = None;
        self.alone_since = Some(Instant::now());
    }

    /// The shell ended: pass on its last output and its status, then go.
    fn finish(mut self, code: i32) {
        let _ = std::fs::remove_file(&self.socket);
        let deadline = Instant::now() + FAREWELL;
        self.send_all(deadline);
        if !self.hung_up {
            self.read_terminal();
        }
        if let Some(connection) = &mut self.connection {
            protocol::encode_into(&mut connection.queued, protocol::EXIT, &code.to_be_bytes());
        }
        self.send_all(deadline);
    }

    /// Sends everything queued, waiting for the connection until `deadline`.
    fn send_all(&mut self, deadline: Instant) {
        let Some(connection) = &mut self.connection else {
            return;
        };
        while connection.flush() && !connection.queued.is_empty() && Instant::now() < deadline {
            let mut fds = [sys::pollfd(connection.stream.as_raw_fd(), libc::POLLOUT)];
            let _ = sys::poll(&mut fds, 100);
        }
    }
}
