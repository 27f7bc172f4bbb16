//! `aicockpit-holder attach ID [--scrollback BYTES] [--idle SECONDS] -- COMMAND…`
//!
//! Connects stdin and stdout to the terminal session `ID` of this user, starting it with
//! `COMMAND` when it does not run. Ends when either side does; the session stays.
//!
//! `aicockpit-holder tunnel PORT`, `egress PORT` and `egress-take N` carry a workspace's
//! connections to and from AiCockpit (see `net`).

mod net;
mod session;
mod sys;

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use session::{Session, Settings};

/// How long a new session waits for an ending one with the same id to let go.
const HANDOVER: Duration = Duration::from_secs(5);

const USAGE: &str =
    "usage: aicockpit-holder attach ID [--scrollback BYTES] [--idle SECONDS] -- COMMAND...
       aicockpit-holder tunnel PORT | egress PORT | egress-take N";

struct Attach {
    id: String,
    settings: Settings,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |text: &str| text.parse::<u64>().map_err(|_| USAGE.to_owned());
    let port = |text: &str| text.parse::<u16>().map_err(|_| USAGE.to_owned());
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["tunnel", p] => port(p).and_then(|p| net::tunnel(p).map_err(|e| e.to_string())),
        ["egress", p] => port(p).and_then(|p| net::egress(p).map_err(|e| e.to_string())),
        ["egress-take", n] => number(n).and_then(|n| net::take(n).map_err(|e| e.to_string())),
        _ => parse(&args).and_then(|attach| run(attach).map_err(|e| e.to_string())),
    };
    if let Err(message) = result {
        eprintln!("aicockpit-holder: {message}");
        std::process::exit(1);
    }
}

fn parse(args: &[String]) -> Result<Attach, String> {
    let usage = || USAGE.to_owned();
    let (options, command) = match args.iter().position(|a| a == "--") {
        Some(at) => (&args[..at], args[at + 1..].to_vec()),
        None => return Err(usage()),
    };
    let [verb, id, rest @ ..] = options else {
        return Err(usage());
    };
    if verb != "attach" || command.is_empty() {
        return Err(usage());
    }
    if !(1..=64).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!(
            "{id:?} is not a session id (letters, digits, hyphens)"
        ));
    }
    let mut settings = Settings {
        command,
        scrollback: 256 * 1024,
        idle: Duration::from_secs(600),
    };
    for pair in rest.chunks(2) {
        let value = |name: &str| {
            pair.get(1)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match pair[0].as_str() {
            "--scrollback" => settings.scrollback = value("--scrollback")? as usize,
            "--idle" => settings.idle = Duration::from_secs(value("--idle")?),
            _ => return Err(usage()),
        }
    }
    Ok(Attach {
        id: id.clone(),
        settings,
    })
}

fn run(attach: Attach) -> io::Result<()> {
    let dir = session_dir()?;
    let socket = dir.join(format!("{}.sock", attach.id));
    let stream = match UnixStream::connect(&socket) {
        Ok(stream) => stream,
        Err(_) => {
            start(&dir, &attach, &socket)?;
            connect_soon(&socket)?
        }
    };
    relay(stream)
}

/// This user's private directory for session sockets, made if missing; refused if someone
/// else could have prepared it.
pub(crate) fn session_dir() -> io::Result<PathBuf> {
    let base = std::env::var_os("TMPDIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let uid = sys::uid();
    let dir = base.join(format!(".aicockpit-holder-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot create {}: {e}", dir.display()),
            ))
        }
    }
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
        return Err(io::Error::other(format!(
            "{} is not a private directory of this user",
            dir.display()
        )));
    }
    Ok(dir)
}

/// Starts the session in a daemon of its own (detached from this process's terminal and
/// pipes) and waits until it listens, or says why it could not.
fn start(dir: &Path, attach: &Attach, socket: &Path) -> io::Result<()> {
    let mut fds = [-1; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded; each end is owned once.
    let (mut ready_read, ready_write) = unsafe {
        (
            std::fs::File::from(OwnedFd::from_raw_fd(fds[0])),
            std::fs::File::from(OwnedFd::from_raw_fd(fds[1])),
        )
    };
    match sys::fork()? {
        sys::Forked::Parent(child) => {
            drop(ready_write);
            sys::wait(child);
            let mut answer = String::new();
            ready_read.read_to_string(&mut answer)?;
            match answer.as_str() {
                "ok" => Ok(()),
                "" => Err(io::Error::other("the session ended as it started")),
                reason => Err(io::Error::other(reason.to_owned())),
            }
        }
        sys::Forked::Child => {
            // Double fork: the daemon is nobody's child here and leads no terminal.
            let _ = sys::new_session();
            if let Ok(sys::Forked::Child) = sys::fork() {
                sys::detach_stdio();
                let lock = dir.join(format!("{}.lock", attach.id));
                let answer = match daemon(&lock, socket, attach, ready_write) {
                    Ok(()) => 0,
                    Err(_) => 1,
                };
                std::process::exit(answer);
            }
            // SAFETY: leaving the intermediate child without running destructors twice.
            unsafe { libc::_exit(0) }
        }
    }
}

/// In the daemon: takes the session's lock, listens, starts the shell, reports, serves.
fn daemon(lock: &Path, socket: &Path, attach: &Attach, mut ready: std::fs::File) -> io::Result<()> {
    let report = |ready: &mut std::fs::File, answer: &str| {
        let _ = ready.write_all(answer.as_bytes());
    };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(lock)?;
    // Someone else holds the session: one starting (it listens in a moment), one serving
    // (it listens), or one ending (it stopped listening, and lets go of the lock soon).
    let deadline = Instant::now() + HANDOVER;
    while !sys::try_lock(&lock)? {
        if socket.exists() {
            report(&mut ready, "ok");
            return Ok(());
        }
        if Instant::now() > deadline {
            report(&mut ready, "the terminal's previous session did not end");
            return Err(io::Error::other("the previous session did not end"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_file(socket);
    let listener = match UnixListener::bind(socket) {
        Ok(listener) => listener,
        Err(e) => {
            report(
                &mut ready,
                &format!("cannot listen on {}: {e}", socket.display()),
            );
            return Err(e);
        }
    };
    let session = match Session::start(attach.settings.clone(), listener, socket) {
        Ok(session) => session,
        Err(e) => {
            report(&mut ready, &format!("cannot start the terminal: {e}"));
            let _ = std::fs::remove_file(socket);
            return Err(e);
        }
    };
    report(&mut ready, "ok");
    drop(ready);
    let served = session.run();
    let _ = std::fs::remove_file(socket);
    drop(lock);
    served
}

/// Connects to a session that is starting; the daemon that won a race to start it may
/// take a moment to listen.
fn connect_soon(socket: &Path) -> io::Result<UnixStream> {
    let mut last = None;
    for _ in 0..100 {
        match UnixStream::connect(socket) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(last.unwrap_or_else(|| io::Error::other("the session did not start")))
}

/// Copies stdin to the session and the session to stdout until either ends.
fn relay(stream: UnixStream) -> io::Result<()> {
    let mut to_session = stream.try_clone()?;
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let _ = io::copy(&mut stdin, &mut to_session);
        // The server is gone: leave at once, the session waits for the next one.
        let _ = to_session.shutdown(Shutdown::Both);
        std::process::exit(0);
    });
    let mut from_session = stream;
    let mut stdout = io::stdout().lock();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match from_session.read(&mut buffer) {
            Ok(0) | Err(_) => return Ok(()),
            Ok(n) => n,
        };
        stdout.write_all(&buffer[..n])?;
        stdout.flush()?;
    }
}
