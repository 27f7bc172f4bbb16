//! The in-browser IDE's parts: file tree, editors and terminals, sharing [`state::Ide`].

pub mod editors;
pub mod file_tree;
mod icons;
mod js;
pub mod state;
mod terminal_connection;
pub mod terminals;
mod upload;

pub use js::{loaded as scripts_loaded, SCRIPT, STYLESHEET};
