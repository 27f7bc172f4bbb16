//! The in-browser IDE's parts: file tree, editors, terminals, the AI and agent panels, sharing
//! [`state::Ide`].

pub mod agent_panel;
mod agent_terminal;
pub mod chat;
mod chat_attach;
mod chat_stream;
mod code_actions;
mod command_assist;
pub mod editors;
pub mod file_tree;
mod icons;
mod js;
mod mcp_connect;
pub mod network_panel;
pub mod ports_panel;
pub mod state;
mod terminal_connection;
pub mod terminals;
mod upload;

pub use js::{loaded as scripts_loaded, SCRIPT, STYLESHEET};
