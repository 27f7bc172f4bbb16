//! The terminal holder: a small static program AiCockpit copies into a workspace container.
//! `aicockpit-holder attach ID -- COMMAND…` connects to the session `ID`, starting it (a
//! daemon that owns the PTY, the shell and the recent output) when it does not run, and
//! relays bytes between its stdin/stdout and the session. Connections come and go — the
//! server restarts, the engine drops an exec — and the session carries on.
//!
//! The library half — the wire protocol and the scrollback — is shared with the server.

pub mod protocol;
pub mod scrollback;
