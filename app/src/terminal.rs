//! The terminal WebSocket's wire protocol, shared by the server and the browser:
//! `/ws/terminal/{owner}/{workspace}/{terminal}`. Binary frames carry raw terminal bytes
//! both ways; text frames carry these control messages as JSON.

use serde::{Deserialize, Serialize};

use crate::auth::WorkspaceRef;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Control {
    /// Browser → server: the terminal's size changed.
    Resize { rows: u16, cols: u16 },
    /// Server → browser: the shell ended by itself.
    Exit,
    /// Server → browser: the terminal cannot go on, and why.
    Error { message: String },
    /// Server → browser: clear the screen; the scrollback follows (a viewer fell behind).
    Reset,
    /// Server → browser: who has this workspace open now (its user names).
    Presence { users: Vec<String> },
    /// Server → browser: who is attached to this terminal now.
    Attached { users: Vec<String> },
}

/// The path of one terminal of a workspace.
pub fn terminal_path(workspace: &WorkspaceRef, terminal: &str) -> String {
    crate::wire::fill(crate::wire::TERMINAL, workspace, &[("terminal", terminal)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_messages_have_a_stable_shape() {
        let resize: Control =
            serde_json::from_str(r#"{"type":"resize","rows":24,"cols":80}"#).unwrap();
        assert_eq!(resize, Control::Resize { rows: 24, cols: 80 });
        assert_eq!(
            serde_json::to_string(&Control::Exit).unwrap(),
            r#"{"type":"exit"}"#
        );
        let workspace = WorkspaceRef::parse("ada/web").unwrap();
        assert_eq!(
            terminal_path(&workspace, "main"),
            "/ws/terminal/ada/web/main"
        );
    }
}
