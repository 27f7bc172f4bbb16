//! Lifecycle operations started from the workspace table (start, stop, delete), with their
//! pending state, errors and the open delete confirmation. This state lives above the table,
//! keyed by `owner/name`, because the table re-renders whenever Docker reports a change —
//! often while an operation is still in flight.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::api::workspaces::{delete_workspace, start_workspace, stop_workspace};
use crate::auth::WorkspaceRef;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Start,
    Stop,
    Delete { keep_volume: bool },
}

impl Op {
    pub fn pending_label(self) -> &'static str {
        match self {
            Op::Start => "Starting…",
            Op::Stop => "Stopping…",
            Op::Delete { .. } => "Deleting…",
        }
    }

    async fn run(self, workspace: WorkspaceRef) -> Result<(), AppError> {
        match self {
            Op::Start => start_workspace(workspace).await,
            Op::Stop => stop_workspace(workspace).await,
            Op::Delete { keep_volume } => delete_workspace(workspace, keep_volume).await,
        }
    }
}

#[derive(Clone, Copy)]
pub struct RowState {
    pub pending: Signal<Option<Op>>,
    pub error: Signal<Option<String>>,
    pub confirming: Signal<bool>,
}

#[derive(Clone, Copy)]
pub struct WorkspaceOps {
    pending: RwSignal<HashMap<String, Op>>,
    errors: RwSignal<HashMap<String, String>>,
    /// The workspace whose delete confirmation is open, if any.
    pub confirming: RwSignal<Option<String>>,
    /// Whether the open confirmation also deletes the files.
    pub delete_files: RwSignal<bool>,
    /// The workspace whose sharing panel is open, if any.
    pub sharing: RwSignal<Option<String>>,
    /// The workspace whose limits panel is open.
    pub limits: RwSignal<Option<String>>,
    on_change: Callback<()>,
}

impl WorkspaceOps {
    pub fn new(on_change: Callback<()>) -> Self {
        Self {
            pending: RwSignal::new(HashMap::new()),
            errors: RwSignal::new(HashMap::new()),
            confirming: RwSignal::new(None),
            delete_files: RwSignal::new(false),
            sharing: RwSignal::new(None),
            limits: RwSignal::new(None),
            on_change,
        }
    }

    /// Signals over one workspace's entries, for its row in the table.
    pub fn row(self, name: &str) -> RowState {
        let (pending, error, confirming) = (name.to_owned(), name.to_owned(), name.to_owned());
        RowState {
            pending: Signal::derive(move || self.pending.with(|p| p.get(&pending).copied())),
            error: Signal::derive(move || self.errors.with(|e| e.get(&error).cloned())),
            confirming: Signal::derive(move || {
                self.confirming
                    .with(|open| open.as_deref() == Some(confirming.as_str()))
            }),
        }
    }

    pub fn run(self, workspace: WorkspaceRef, op: Op) {
        let key = workspace.to_string();
        self.pending.update(|p| {
            p.insert(key.clone(), op);
        });
        self.errors.update(|e| {
            e.remove(&key);
        });
        if matches!(op, Op::Delete { .. }) {
            self.confirming.set(None);
        }
        leptos::task::spawn_local(async move {
            let result = op.run(workspace).await;
            self.pending.update(|p| {
                p.remove(&key);
            });
            match result {
                Ok(()) => self.on_change.run(()),
                Err(e) => self.errors.update(|errors| {
                    errors.insert(key, e.to_string());
                }),
            }
        });
    }

    /// Closes the limits panel and reloads the list, after the limits changed.
    pub fn limits_saved(self) {
        self.limits.set(None);
        self.on_change.run(());
    }

    pub fn toggle_confirmation(self, name: &str) {
        self.delete_files.set(false);
        self.confirming
            .update(|open| *open = (open.as_deref() != Some(name)).then(|| name.to_owned()));
    }
}

/// Opens the panel of `key`, or closes it when it is the open one.
pub fn toggle_panel(open: RwSignal<Option<String>>, key: &str) {
    open.update(|open| *open = (open.as_deref() != Some(key)).then(|| key.to_owned()));
}
