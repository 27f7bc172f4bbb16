//! The holder's network modes as the server uses them, on this machine: a tunnel to a
//! local server, a refused one, and an outbound connection announced, taken and carried
//! both ways.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn holder(tmp: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_aicockpit-holder"))
        .args(args)
        .env("TMPDIR", tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the holder runs")
}

fn read_exactly(from: &mut impl Read, n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    from.read_exact(&mut bytes).expect("enough bytes");
    bytes
}

/// An echo server on a free loopback port.
fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let _ = std::io::copy(&mut &stream, &mut writer);
            });
        }
    });
    port
}

#[test]
fn a_tunnel_reaches_a_local_server_and_ends_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let port = echo_server();
    let mut tunnel = holder(tmp.path(), &["tunnel", &port.to_string()]);
    let mut stdout = tunnel.stdout.take().unwrap();
    assert_eq!(read_exactly(&mut stdout, 1), [0], "connected");
    let mut stdin = tunnel.stdin.take().unwrap();
    stdin.write_all(b"hello through the engine").unwrap();
    assert_eq!(read_exactly(&mut stdout, 24), b"hello through the engine");
    // Closing stdin ends what is sent; the echo server closes in turn, and so does the tunnel.
    drop(stdin);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(tunnel.wait().unwrap().success());
}

#[test]
fn a_tunnel_to_a_closed_port_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let mut tunnel = holder(tmp.path(), &["tunnel", &port.to_string()]);
    let mut said = Vec::new();
    tunnel
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut said)
        .unwrap();
    assert_eq!(said[0], 1, "refused");
    let reason = String::from_utf8_lossy(&said[1..]);
    assert!(
        reason.contains(&format!("nothing answers on port {port}")),
        "{reason}"
    );
    assert!(!tunnel.wait().unwrap().success());
}

#[test]
fn an_outbound_connection_is_announced_taken_and_carried() {
    let tmp = tempfile::tempdir().unwrap();
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let mut listener = holder(tmp.path(), &["egress", &port.to_string()]);
    let mut lines = BufReader::new(listener.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");

    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let id = lines.next().unwrap().unwrap();
    assert_eq!(id, "1");
    client.write_all(b"CONNECT example.com:443").unwrap();

    let mut take = holder(tmp.path(), &["egress-take", &id]);
    let mut from_client = take.stdout.take().unwrap();
    assert_eq!(read_exactly(&mut from_client, 1), [0], "taken");
    assert_eq!(
        read_exactly(&mut from_client, 23),
        b"CONNECT example.com:443"
    );
    let mut to_client = take.stdin.take().unwrap();
    to_client.write_all(b"200 OK").unwrap();
    assert_eq!(read_exactly(&mut client, 6), b"200 OK");

    // Taken once: a second take of the same number finds nothing.
    let mut again = holder(tmp.path(), &["egress-take", &id]);
    let mut said = Vec::new();
    again.stdout.take().unwrap().read_to_end(&mut said).unwrap();
    assert_eq!(said[0], 1);
    assert!(!again.wait().unwrap().success());

    // The client leaving ends the take; the server leaving ends the listener.
    drop(client);
    let mut rest = Vec::new();
    from_client.read_to_end(&mut rest).unwrap();
    drop(to_client);
    assert!(take.wait().unwrap().success());
    drop(listener.stdin.take());
    assert!(listener.wait().unwrap().success());
}

#[test]
fn a_new_listener_waits_for_an_earlier_one_to_go_and_leaves_a_living_one_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);
    let mut first = holder(tmp.path(), &["egress", &port]);
    let mut first_lines = BufReader::new(first.stdout.take().unwrap()).lines();
    assert_eq!(first_lines.next().unwrap().unwrap(), "ready");
    // Its server is still there (its stdin is open): a second one gives up.
    let second = holder(tmp.path(), &["egress", &port]);
    let output = second.wait_with_output().unwrap();
    assert!(!output.status.success());
    // The first one's server goes; a listener started meanwhile takes the port over.
    let mut third = holder(tmp.path(), &["egress", &port]);
    drop(first.stdin.take());
    assert!(first.wait().unwrap().success());
    let mut third_lines = BufReader::new(third.stdout.take().unwrap()).lines();
    assert_eq!(third_lines.next().unwrap().unwrap(), "ready");
    let _client = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    assert_eq!(third_lines.next().unwrap().unwrap(), "1");
    drop(third.stdin.take());
    assert!(third.wait().unwrap().success());
}
