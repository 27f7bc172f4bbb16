//! The holder as the server uses it, on this machine: attach, type, detach, attach again
//! and find the same shell with its output; exit statuses; a server that stops reading.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use terminal_holder::protocol::{Decoder, Frame};

const WAIT: Duration = Duration::from_secs(10);

/// One connection to a session, as a server holds it.
struct Attached {
    child: Child,
    stdin: ChildStdin,
    frames: mpsc::Receiver<Frame>,
    /// The output so far, as text.
    seen: String,
}

fn attach(tmp: &Path, id: &str, extra: &[&str]) -> Attached {
    attach_to(tmp, id, extra, "/bin/sh")
}

fn attach_to(tmp: &Path, id: &str, extra: &[&str], shell: &str) -> Attached {
    connect(
        Command::new(env!("CARGO_BIN_EXE_aicockpit-holder")),
        tmp,
        id,
        extra,
        shell,
    )
}

/// As the engine may start it (under `nohup dockerd`, say): with SIGHUP ignored.
fn attach_ignoring_hangups(tmp: &Path, id: &str) -> Attached {
    let mut command = Command::new("/bin/sh");
    command.args([
        "-c",
        "trap '' HUP; exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_aicockpit-holder"),
    ]);
    connect(command, tmp, id, &[], "/bin/sh")
}

fn connect(mut command: Command, tmp: &Path, id: &str, extra: &[&str], shell: &str) -> Attached {
    let mut child = command
        .args(["attach", id])
        .args(extra)
        .args(["--", shell])
        .env("TMPDIR", tmp)
        .env("PS1", "$ ")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the holder runs");
    let stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, frames) = mpsc::channel();
    std::thread::spawn(move || {
        let mut decoder = Decoder::default();
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buffer) {
            decoder.push(&buffer[..n]);
            while let Ok(Some(frame)) = decoder.next_frame() {
                if tx.send(frame).is_err() {
                    return;
                }
            }
        }
    });
    Attached {
        child,
        stdin,
        frames,
        seen: String::new(),
    }
}

impl Attached {
    fn send(&mut self, frame: Frame) {
        self.stdin.write_all(&frame.encode()).unwrap();
    }

    fn type_line(&mut self, line: &str) {
        self.send(Frame::Input(format!("{line}\n").into_bytes()));
    }

    /// Reads output until it contains `text`.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.seen.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.frames.recv_timeout(left) {
                Ok(Frame::Output(bytes)) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(other) => panic!("{other:?} before {text:?}; output: {}", self.seen),
                Err(_) => panic!("no {text:?} in {:?}", self.seen),
            }
        }
    }

    fn exit_status(&mut self) -> i32 {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.frames.recv_timeout(left) {
                Ok(Frame::Exit(code)) => return code,
                Ok(_) => {}
                Err(_) => panic!("the shell did not end"),
            }
        }
    }

    /// The server's connection goes away (it restarted).
    fn hang_up(mut self) {
        drop(self.stdin);
        let deadline = Instant::now() + WAIT;
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "attach outlived its stdin");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn a_session_outlives_its_connection_and_replays_its_output() {
    let tmp = tempfile::tempdir().unwrap();
    let mut first = attach(tmp.path(), "t1", &[]);
    first.type_line("export KEPT=still-here; echo first-$((20+22))");
    first.wait_for("first-42");
    first.hang_up();

    let mut second = attach(tmp.path(), "t1", &[]);
    second.wait_for("first-42"); // the replay
    second.type_line("echo again-$KEPT");
    second.wait_for("again-still-here");
    second.type_line("exit 3");
    assert_eq!(second.exit_status(), 3);
    assert!(second.child.wait().unwrap().success());

    // Ended: the next attach starts a fresh shell.
    let mut third = attach(tmp.path(), "t1", &[]);
    third.type_line("echo fresh-${KEPT:-none}");
    third.wait_for("fresh-none");
    third.type_line("exit");
    assert_eq!(third.exit_status(), 0);
}

#[test]
fn a_new_connection_replaces_the_old_one() {
    let tmp = tempfile::tempdir().unwrap();
    let mut old = attach(tmp.path(), "t2", &[]);
    old.type_line("echo one");
    old.wait_for("one");
    let mut new = attach(tmp.path(), "t2", &[]);
    new.wait_for("one");
    // The old connection was closed by the session, so its attach process ends.
    assert!(old.child.wait().unwrap().success());
    new.send(Frame::Resize {
        rows: 33,
        cols: 101,
    });
    new.type_line("stty size");
    new.wait_for("33 101");
    new.type_line("kill -9 $$");
    assert_eq!(new.exit_status(), 128 + 9);
}

#[test]
fn sessions_are_separate_and_end_when_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let mut a = attach(tmp.path(), "alone", &["--idle", "1"]);
    a.type_line("echo A=$$");
    a.wait_for("A=");
    let mut b = attach(tmp.path(), "other", &[]);
    b.type_line("echo B");
    b.wait_for("B");
    a.hang_up();
    std::thread::sleep(Duration::from_millis(2500));

    let mut again = attach(tmp.path(), "alone", &[]);
    again.type_line("echo new-shell");
    again.wait_for("new-shell");
    assert!(
        !again.seen.contains("A="),
        "the idle session was ended: {}",
        again.seen
    );
    again.type_line("exit");
    again.exit_status();
    b.type_line("exit");
    b.exit_status();
}

#[test]
fn a_session_told_to_hang_up_ends_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut first = attach_ignoring_hangups(tmp.path(), "closed");
    first.type_line("echo daemon=$PPID end-''pid");
    first.wait_for(" end-pid");
    let daemon: i32 = first
        .seen
        .rsplit_once("daemon=")
        .and_then(|(_, rest)| rest.split_once(' '))
        .and_then(|(pid, _)| pid.parse().ok())
        .expect("the shell printed its parent");
    first.hang_up();
    // What ending a terminal sends; the daemon goes, taking its shell with it, rather than
    // keeping the old shell's end for the next connection.
    assert!(Command::new("kill")
        .args(["-HUP", &daemon.to_string()])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + WAIT;
    while Path::new(&format!("/proc/{daemon}")).exists() {
        assert!(Instant::now() < deadline, "the session outlived SIGHUP");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut again = attach(tmp.path(), "closed", &[]);
    again.type_line("echo fresh");
    again.wait_for("fresh");
    assert!(!again.seen.contains("daemon="), "{}", again.seen);
    again.type_line("exit");
    assert_eq!(again.exit_status(), 0);
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_aicockpit-holder"))
        .args(["attach", "../x", "--", "/bin/sh"])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a session id"));

    let mut missing = attach_to(tmp.path(), "t3", &[], "/no/such/shell");
    missing.wait_for("cannot run the shell");
    assert_eq!(missing.exit_status(), 127);
}

#[test]
fn a_flood_reaches_a_reader_that_falls_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let mut flood = attach(tmp.path(), "flood", &[]);
    flood.type_line("yes flood | head -c 8000000; echo flood-''done");
    // The reader thread reads everything; lagging here only fills its channel.
    std::thread::sleep(Duration::from_millis(500));
    let mut total = 0;
    let deadline = Instant::now() + WAIT * 3;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match flood.frames.recv_timeout(left) {
            Ok(Frame::Output(bytes)) => {
                total += bytes.len();
                flood.seen = String::from_utf8_lossy(&bytes).into_owned();
                if flood.seen.contains("flood-done") {
                    break;
                }
            }
            other => panic!("{other:?} after {total} bytes"),
        }
    }
    assert!(total > 8_000_000, "all of it came: {total}");
}
