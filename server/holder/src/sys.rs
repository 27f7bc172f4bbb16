//! The few system calls the holder needs that std does not offer: pseudo-terminals,
//! forking, waiting, polling and the signal self-pipe.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

pub fn open_pty(rows: u16, cols: u16) -> io::Result<Pty> {
    let (mut master, mut slave) = (-1, -1);
    let size = window(rows, cols);
    // SAFETY: out-pointers to live locals; a null name and termios are allowed.
    check(unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    })?;
    // SAFETY: openpty succeeded, so both are open descriptors nobody else owns.
    let pty = unsafe {
        Pty {
            master: OwnedFd::from_raw_fd(master),
            slave: OwnedFd::from_raw_fd(slave),
        }
    };
    set_cloexec(pty.master.as_raw_fd())?;
    set_cloexec(pty.slave.as_raw_fd())?;
    Ok(pty)
}

fn window(rows: u16, cols: u16) -> libc::winsize {
    libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// Sets the terminal's size; the kernel tells the shell's foreground job (SIGWINCH).
pub fn set_size(master: RawFd, rows: u16, cols: u16) -> io::Result<()> {
    let size = window(rows, cols);
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer.
    check(unsafe { libc::ioctl(master, libc::TIOCSWINSZ, &size) }).map(drop)
}

fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain descriptor flag calls.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) }).map(drop)
}

pub fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain descriptor flag calls.
    let flags = check(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    check(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) }).map(drop)
}

pub enum Forked {
    Parent(libc::pid_t),
    Child,
}

/// Forks. Only call it while the process has a single thread.
pub fn fork() -> io::Result<Forked> {
    // SAFETY: the callers are single-threaded, so the child inherits a consistent state.
    match check(unsafe { libc::fork() })? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid)),
    }
}

pub fn new_session() -> io::Result<()> {
    // SAFETY: no arguments; fails only if already a group leader.
    check(unsafe { libc::setsid() }).map(drop)
}

/// Starts `command` as the leader of a new session whose controlling terminal is `slave`.
pub fn spawn_on_terminal(slave: &OwnedFd, command: &[String]) -> io::Result<libc::pid_t> {
    let args: Vec<CString> = command
        .iter()
        .map(|arg| CString::new(arg.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the command"))?;
    let Some(program) = args.first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no command"));
    };
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let failure = b"aicockpit-holder: cannot run the shell\r\n";
    match fork()? {
        Forked::Parent(pid) => Ok(pid),
        // SAFETY: between fork and exec only async-signal-safe calls, on memory prepared
        // before the fork.
        Forked::Child => unsafe {
            let slave = slave.as_raw_fd();
            libc::setsid();
            libc::ioctl(slave, libc::TIOCSCTTY, 0);
            for target in 0..3 {
                libc::dup2(slave, target);
            }
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            libc::signal(libc::SIGCHLD, libc::SIG_DFL);
            libc::signal(libc::SIGHUP, libc::SIG_DFL);
            libc::execvp(program.as_ptr(), argv.as_ptr());
            libc::write(2, failure.as_ptr().cast(), failure.len());
            libc::_exit(127)
        },
    }
}

/// How `pid` ended — its exit code, or 128 plus the signal — once it has; `None` while it runs.
pub fn try_wait(pid: libc::pid_t) -> Option<i32> {
    let mut status = 0;
    // SAFETY: WNOHANG never blocks; status is a live local.
    let waited = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    if waited != pid {
        return None;
    }
    if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Some(128 + libc::WTERMSIG(status))
    } else {
        None
    }
}

/// Waits for `pid` to end, whatever it returns.
pub fn wait(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: status is a live local.
    unsafe { libc::waitpid(pid, &mut status, 0) };
}

/// Sends `signal` to the process group led by `pid`.
pub fn signal_group(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill has no memory arguments.
    unsafe { libc::kill(-pid, signal) };
}

/// Waits until one of `fds` is ready or `timeout_ms` passed (-1: no limit). An interrupting
/// signal counts as a wake-up with nothing ready.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: libc::c_int) -> io::Result<()> {
    // SAFETY: the pointer and length describe the live slice.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    match check(ready) {
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
        other => other.map(drop),
    }
}

pub fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// The write end of the signal self-pipe, for the handlers.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);
/// Set once the daemon was told to hang up.
static HUNG_UP: AtomicBool = AtomicBool::new(false);

extern "C" fn wake(signal: libc::c_int) {
    if signal == libc::SIGHUP {
        HUNG_UP.store(true, Ordering::Relaxed);
    }
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    // SAFETY: write is async-signal-safe; a full pipe already holds a wake-up.
    unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
}

/// A descriptor that becomes readable whenever a child changes state or the process is
/// told to hang up (see [`hung_up`]). SIGHUP is caught even when the engine started the
/// process with it ignored: ending a terminal must end its session at once.
pub fn signals() -> io::Result<std::fs::File> {
    let mut fds = [-1; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) })?;
    // SAFETY: pipe2 succeeded; the write end stays open for the process's life.
    let read = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    SIGNAL_PIPE.store(fds[1], Ordering::Relaxed);
    for (signal, flags) in [
        (libc::SIGCHLD, libc::SA_RESTART | libc::SA_NOCLDSTOP),
        (libc::SIGHUP, libc::SA_RESTART),
    ] {
        // SAFETY: the handler only stores an atomic and calls write.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = wake as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = flags;
            check(libc::sigaction(signal, &action, std::ptr::null_mut()))?;
        }
    }
    Ok(std::fs::File::from(read))
}

/// Whether the process was sent SIGHUP.
pub fn hung_up() -> bool {
    HUNG_UP.load(Ordering::Relaxed)
}

/// Points stdin, stdout and stderr at /dev/null: a daemon must not hold its starter's pipes.
pub fn detach_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        for target in 0..3 {
            // SAFETY: dup2 onto the standard descriptors.
            unsafe { libc::dup2(null.as_raw_fd(), target) };
        }
    } else {
        for target in 0..3 {
            // SAFETY: closing the standard descriptors; nothing else owns them.
            unsafe { libc::close(target) };
        }
    }
}

/// Takes an exclusive lock on `file` without waiting; `false` when someone holds it.
pub fn try_lock(file: &std::fs::File) -> io::Result<bool> {
    // SAFETY: flock on an open descriptor.
    match check(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EWOULDBLOCK) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn uid() -> u32 {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() }
}

/// Room for one control message holding one descriptor.
fn control_space() -> usize {
    // SAFETY: CMSG_SPACE is arithmetic on its argument.
    unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as usize }
}

/// A message of one byte (`SCM_RIGHTS` needs one to travel) and the control buffer
/// `control`; the pointers in it stay valid while `byte` and `control` live.
fn message(iov: &mut libc::iovec, control: &mut [u8]) -> libc::msghdr {
    // SAFETY: an all-zero msghdr is valid; the fields set below point at the caller's buffers.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = control.len() as _;
    message
}

/// Sends the descriptor `fd` over the Unix socket `socket`.
pub fn send_fd(socket: RawFd, fd: RawFd) -> io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = vec![0u8; control_space()];
    let message = message(&mut iov, &mut control);
    // SAFETY: the control buffer has room for one header and one descriptor.
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<RawFd>(), fd);
    }
    // SAFETY: the message describes live buffers.
    let sent = unsafe { libc::sendmsg(socket, &message, libc::MSG_NOSIGNAL) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Receives a descriptor sent with [`send_fd`]; `None` when the peer sent none.
pub fn receive_fd(socket: RawFd) -> io::Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = vec![0u8; control_space()];
    let mut message = message(&mut iov, &mut control);
    // SAFETY: the message describes live buffers.
    let received = unsafe { libc::recvmsg(socket, &mut message, libc::MSG_CMSG_CLOEXEC) };
    if received < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel filled the control buffer; headers are walked with its macros.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&message);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET && (*header).cmsg_type == libc::SCM_RIGHTS {
                let fd = std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<RawFd>());
                return Ok(Some(OwnedFd::from_raw_fd(fd)));
            }
            header = libc::CMSG_NXTHDR(&message, header);
        }
    }
    Ok(None)
}
