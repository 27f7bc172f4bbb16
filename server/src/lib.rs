//! AiCockpit's server: the backend (Docker runtime, storage, workspace service, images)
//! and the HTTP application. `main.rs` only parses the command line and calls in here.

// Leptos view types nest deeply; release builds (no type erasure) need the headroom.
#![recursion_limit = "256"]

pub mod access;
pub mod ai;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod creation;
pub mod egress;
pub mod error;
pub mod files;
pub mod http;
pub mod images;
pub mod memory;
pub mod metrics;
pub mod preview;
pub mod runtime;
pub mod ssh;
pub mod startup;
pub mod store;
pub mod sync;
pub mod templates;
pub mod terminal;
pub mod usage;
pub mod workspaces;
