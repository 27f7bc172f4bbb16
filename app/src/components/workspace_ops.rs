//! Lifecycle operations started from the workspace table (start, stop, delete), with their
//! pending state, errors and the open delete confirmation. This state lives above the table,
//! keyed by `owner/name`, because the table re-renders whenever Docker reports a change —
//! often while an operation is still in flight, or while someone types in a row's panel
//! (what they typed is a [`Drafts`] entry, kept until the panel closes).

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
    /// The workspace whose connect panel is open.
    pub connecting: RwSignal<Option<String>>,
    /// What is typed in the open panels.
    pub drafts: Drafts,
    on_change: Callback<()>,
}

/// Text typed into a row's panel, by workspace and field, outliving the row's re-renders.
#[derive(Clone, Copy)]
pub struct Drafts(StoredValue<HashMap<(String, &'static str), ArcRwSignal<String>>>);

impl Drafts {
    /// The draft of `field` for `workspace`, starting as `initial` when there is none.
    pub fn field(self, workspace: &str, field: &'static str, initial: String) -> RwSignal<String> {
        let key = (workspace.to_owned(), field);
        if let Some(draft) = self.0.with_value(|all| all.get(&key).cloned()) {
            return draft.into();
        }
        let draft = ArcRwSignal::new(initial);
        self.0
            .update_value(|all| _ = all.insert(key, draft.clone()));
        draft.into()
    }

    /// Drops what was typed for `workspace` (its panel closed or was applied).
    pub fn forget(self, workspace: &str) {
        self.0
            .update_value(|all| all.retain(|(key, _), _| key != workspace));
    }
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
            connecting: RwSignal::new(None),
            drafts: Drafts(StoredValue::new(HashMap::new())),
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
        if let Some(key) = self.limits.get_untracked() {
            self.drafts.forget(&key);
        }
        self.limits.set(None);
        self.on_change.run(());
    }

    /// Opens the panel of `key`, or closes it (forgetting what was typed there) when it is
    /// the open one.
    pub fn toggle_panel(self, open: RwSignal<Option<String>>, key: &str) {
        let closing = open.with_untracked(|open| open.as_deref() == Some(key));
        if closing {
            self.drafts.forget(key);
        }
        open.set((!closing).then(|| key.to_owned()));
    }

    pub fn toggle_confirmation(self, name: &str) {
        self.delete_files.set(false);
        self.confirming
            .update(|open| *open = (open.as_deref() != Some(name)).then(|| name.to_owned()));
    }
}
