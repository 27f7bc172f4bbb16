//! Components, one family per file.

pub mod agent;
pub mod archive;
pub mod connect_panel;
pub mod create_form;
pub mod creation_progress;
pub mod header;
pub mod ide;
pub mod limits_panel;
pub mod live_updates;
pub mod navigation;
pub mod share_panel;
pub mod ssh_keys;
pub mod template_choice;
pub mod usage;
pub mod workspace_ops;
pub mod workspace_seed;
pub mod workspace_table;
