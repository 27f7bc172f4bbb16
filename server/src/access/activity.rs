//! When each workspace was last used, and what uses it now, for idle stop. Every route that
//! resolves a workspace for someone counts as use; open terminals and running agents hold it
//! in use while they last. Kept in memory: after a server start every workspace counts as
//! just used, so a restart never stops one at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sync::Unpoisoned;

#[derive(Default)]
struct Uses {
    last: HashMap<String, Instant>,
    /// Open terminals and running agents, per workspace.
    holds: HashMap<String, usize>,
}

#[derive(Clone)]
pub struct Activity {
    uses: Arc<Mutex<Uses>>,
    /// The last use of a workspace with none recorded.
    since: Instant,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            uses: Arc::default(),
            since: Instant::now(),
        }
    }
}

/// A workspace held in use; dropping it lets it go (and counts as a use).
pub struct Hold {
    activity: Activity,
    workspace: String,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut uses = self.activity.lock();
        if let Some(count) = uses.holds.get_mut(&self.workspace) {
            *count -= 1;
            if *count == 0 {
                uses.holds.remove(&self.workspace);
            }
        }
        uses.last
            .insert(std::mem::take(&mut self.workspace), Instant::now());
    }
}

impl Activity {
    fn lock(&self) -> std::sync::MutexGuard<'_, Uses> {
        self.uses.locked()
    }

    /// The workspace `id` was used just now.
    pub fn touch(&self, id: &str) {
        self.lock().last.insert(id.to_owned(), Instant::now());
    }

    /// Forgets the workspace `id`, which is gone (ids are never reused).
    pub fn forget(&self, id: &str) {
        self.lock().last.remove(id);
    }

    /// Holds the workspace `id` in use until the returned guard drops.
    pub fn hold(&self, id: &str) -> Hold {
        *self.lock().holds.entry(id.to_owned()).or_default() += 1;
        Hold {
            activity: self.clone(),
            workspace: id.to_owned(),
        }
    }

    /// How long the workspace `id` has gone unused; `None` while something holds it.
    pub fn unused_for(&self, id: &str) -> Option<Duration> {
        let uses = self.lock();
        if uses.holds.contains_key(id) {
            return None;
        }
        Some(uses.last.get(id).copied().unwrap_or(self.since).elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_keeps_a_workspace_in_use_and_counts_as_use_when_it_ends() {
        let activity = Activity::default();
        std::thread::sleep(Duration::from_millis(20));
        assert!(activity.unused_for("w").unwrap() >= Duration::from_millis(20));
        let (first, second) = (activity.hold("w"), activity.hold("w"));
        assert_eq!(activity.unused_for("w"), None);
        drop(first);
        assert_eq!(activity.unused_for("w"), None, "one terminal is still open");
        drop(second);
        assert!(activity.unused_for("w").unwrap() < Duration::from_millis(20));
        assert!(activity.unused_for("other").unwrap() >= Duration::from_millis(20));
    }

    #[test]
    fn a_deleted_workspace_is_forgotten() {
        let activity = Activity::default();
        activity.touch("w");
        activity.forget("w");
        assert!(activity.lock().last.is_empty());
    }

    #[test]
    fn a_touch_starts_the_idle_time_again() {
        let activity = Activity::default();
        std::thread::sleep(Duration::from_millis(20));
        activity.touch("w");
        assert!(activity.unused_for("w").unwrap() < Duration::from_millis(20));
    }
}
