//! The runs going on now, by id: what the manager looks up to answer a page, an approval,
//! a Stop or an MCP call, and what a run takes itself off when it ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::auth::{Actor, Via, WorkspaceRef};

use super::execute::Executor;
use super::live::Live;
use crate::access::Hold;
use crate::sync::Unpoisoned;

/// A run going on.
struct Entry {
    workspace: WorkspaceRef,
    live: Arc<Live>,
    /// Set for an outside agent's run over MCP, whose calls go through it.
    mcp: Option<Arc<Executor>>,
    /// A run keeps its workspace from stopping for want of use.
    _in_use: Hold,
}

/// The runs going on now, by id.
#[derive(Clone, Default)]
pub struct Registry(Arc<Mutex<HashMap<String, Entry>>>);

impl Registry {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>) -> T) -> T {
        f(&mut self.0.locked())
    }

    pub(super) fn list(
        &self,
        id: &str,
        workspace: &WorkspaceRef,
        live: Arc<Live>,
        mcp: Option<Arc<Executor>>,
        in_use: Hold,
    ) {
        let entry = Entry {
            workspace: workspace.clone(),
            live,
            mcp,
            _in_use: in_use,
        };
        self.with(|runs| runs.insert(id.to_owned(), entry));
    }

    pub(super) fn remove(&self, id: &str) {
        self.with(|runs| runs.remove(id));
    }

    /// The run `id`, if it is going on in `workspace`.
    pub(super) fn get(&self, workspace: &WorkspaceRef, id: &str) -> Option<Arc<Live>> {
        self.with(|runs| {
            runs.get(id)
                .filter(|e| &e.workspace == workspace)
                .map(|e| e.live.clone())
        })
    }

    /// Whether any run works in `workspace`; with `loops_only`, a run of the loop.
    pub(super) fn in_workspace(&self, workspace: &WorkspaceRef, loops_only: bool) -> bool {
        self.with(|runs| {
            runs.values()
                .any(|e| &e.workspace == workspace && !(loops_only && e.mcp.is_some()))
        })
    }

    /// Stops every run going on, for `reason`.
    pub(super) fn stop_all(&self, reason: &str) {
        self.with(|runs| runs.values().for_each(|e| e.live.stop_because(reason)));
    }

    /// The loop runs a user has going.
    pub(super) fn of_user(&self, user_id: i64) -> usize {
        self.with(|runs| {
            runs.values()
                .filter(|e| e.mcp.is_none() && e.live.user_id == user_id)
                .count()
        })
    }

    /// The MCP run of a user's credential in a workspace, if one is going on and not
    /// stopped: each token has a run of its own, so the token a waiting call comes from is
    /// the run's, which never approves it.
    pub(super) fn mcp_of(&self, workspace: &WorkspaceRef, actor: &Actor) -> Option<Arc<Executor>> {
        let token = match actor.via {
            Via::Token(id) => Some(id),
            Via::Session | Via::SshKey => None,
        };
        self.with(|runs| {
            runs.values()
                .filter(|e| &e.workspace == workspace && e.live.user_id == actor.id)
                .filter(|e| e.live.token == token && !e.live.stop.is_cancelled())
                .find_map(|e| e.mcp.clone())
        })
    }
}
