//! Connections between a workspace and AiCockpit that need no network between them: the
//! server reaches them through the engine's exec, whose stdin and stdout carry the bytes.
//!
//! - `tunnel PORT`: a connection to a server listening on this workspace's loopback (a
//!   preview). The first byte out says whether it connected: 0, then the connection's
//!   bytes; anything else, then why not, and the program ends.
//! - `egress PORT`: listens on `127.0.0.1:PORT` for this workspace's outbound connections
//!   (its processes' proxy) and prints each one's number on a line; the server then takes
//!   it with `egress-take N` and decides where, if anywhere, it may go. Ends with stdin, that
//!   is when the server that started it goes; a listener started while another still runs
//!   waits a moment for it to end, and otherwise gives up: that server is still there.
//! - `egress-take N`: connection `N`, handed over by the listener as a descriptor, relayed
//!   like a tunnel (first byte 0 when it was there).

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sys;

/// Connections nobody took within this are dropped: the server that announced them is gone.
const UNCLAIMED: Duration = Duration::from_secs(30);
/// How long a new listener waits for an older one, whose server went, to let go of the port.
const HANDOVER: Duration = Duration::from_secs(5);

/// The first byte a tunnel or a take writes when it has its connection.
const CONNECTED: u8 = 0;
/// The first byte when it has none; a reason follows.
const REFUSED: u8 = 1;

pub fn tunnel(port: u16) -> io::Result<()> {
    // A server may listen on either loopback, or on every address (which both reach).
    let connected = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .or_else(|_| TcpStream::connect((Ipv6Addr::LOCALHOST, port)));
    match connected {
        Ok(stream) => relay(stream),
        Err(e) => refuse(&format!("nothing answers on port {port}: {e}")),
    }
}

pub fn take(id: u64) -> io::Result<()> {
    let mut control = UnixStream::connect(control_socket()?)?;
    control.write_all(format!("take {id}\n").as_bytes())?;
    match sys::receive_fd(control.as_raw_fd())? {
        Some(fd) => relay(TcpStream::from(fd)),
        None => refuse(&format!("connection {id} is not waiting")),
    }
}

fn refuse(reason: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(&[REFUSED])?;
    stdout.write_all(reason.as_bytes())?;
    stdout.flush()?;
    std::process::exit(1)
}

/// Says it is connected, then copies stdin to `stream` and `stream` to stdout. Ends when
/// `stream` does; stdin's end is passed on as the end of what is sent.
fn relay(stream: TcpStream) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(&[CONNECTED])?;
    stdout.flush()?;
    let mut to_peer = stream.try_clone()?;
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let _ = io::copy(&mut stdin, &mut to_peer);
        let _ = to_peer.shutdown(Shutdown::Write);
    });
    let mut from_peer = stream;
    let mut buffer = [0u8; 32 * 1024];
    loop {
        let n = match from_peer.read(&mut buffer) {
            Ok(0) | Err(_) => return Ok(()),
            Ok(n) => n,
        };
        stdout.write_all(&buffer[..n])?;
        stdout.flush()?;
    }
}

/// Where the listener hands connections over: in this user's private holder directory.
fn control_socket() -> io::Result<PathBuf> {
    Ok(crate::session_dir()?.join("egress.sock"))
}

/// Connections accepted and not yet taken, by number.
#[derive(Default)]
struct Waiting {
    next: u64,
    connections: HashMap<u64, (TcpStream, Instant)>,
}

pub fn egress(port: u16) -> io::Result<()> {
    let socket = control_socket()?;
    let listener = listen(port)?;
    let _ = std::fs::remove_file(&socket);
    let control = UnixListener::bind(&socket)?;
    let waiting = Arc::new(Mutex::new(Waiting::default()));
    {
        let waiting = waiting.clone();
        std::thread::spawn(move || hand_over(control, waiting));
    }
    // The server is gone when its stdin ends: so is this listener.
    std::thread::spawn(|| {
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        std::process::exit(0);
    });
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "ready")?;
    stdout.flush()?;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let id = {
            let mut waiting = lock(&waiting);
            let now = Instant::now();
            waiting
                .connections
                .retain(|_, (_, since)| now.duration_since(*since) < UNCLAIMED);
            waiting.next += 1;
            let id = waiting.next;
            waiting.connections.insert(id, (stream, now));
            id
        };
        writeln!(stdout, "{id}")?;
        stdout.flush()?;
    }
    Ok(())
}

/// Binds the port, giving a listener whose server just went the moment it takes to end.
fn listen(port: u16) -> io::Result<TcpListener> {
    let deadline = Instant::now() + HANDOVER;
    loop {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
            Ok(listener) => return Ok(listener),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("port {port} is taken (another server serves this workspace, or a program of its own listens there): {e}"),
                ))
            }
        }
    }
}

/// Answers `take N` with connection `N`'s descriptor.
fn hand_over(control: UnixListener, waiting: Arc<Mutex<Waiting>>) {
    for asker in control.incoming() {
        let Ok(asker) = asker else { continue };
        let mut line = String::new();
        if BufReader::new(&asker).read_line(&mut line).is_err() {
            continue;
        }
        let Some(("take", id)) = line.trim().split_once(' ') else {
            continue;
        };
        let taken = id
            .parse::<u64>()
            .ok()
            .and_then(|id| lock(&waiting).connections.remove(&id));
        if let Some((stream, _)) = taken {
            let fd = OwnedFd::from(stream);
            let _ = sys::send_fd(asker.as_raw_fd(), fd.as_raw_fd());
        }
        // Dropping the asker without a descriptor tells it there was none.
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
