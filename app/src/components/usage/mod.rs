//! Live resource charts. A page opens one [`UsageBoard`], which follows the server's usage
//! stream (`wire::USAGE`) and keeps one signal per workspace, so a new sample redraws that
//! workspace's charts only; the dashboard's table can re-render without losing them.

mod charts;
mod sparkline;

use std::collections::{HashMap, HashSet, VecDeque};

use leptos::prelude::*;

use crate::model::{ServerCapacity, UsageSample, UsageUpdate, HISTORY};

pub use charts::{ServerTotals, UsageCell, UsageStrip};

/// Recent samples of one workspace, oldest first.
pub type Series = VecDeque<UsageSample>;

#[derive(Clone, Copy)]
pub struct UsageBoard {
    series: StoredValue<HashMap<String, ArcRwSignal<Series>>>,
    /// Sums over every followed workspace, one point a second (admins' view).
    totals: RwSignal<Series>,
    /// What the server has; sent to admins only.
    capacity: RwSignal<Option<ServerCapacity>>,
    /// Workspaces the server said do not run.
    stopped: RwSignal<HashSet<String>>,
}

impl UsageBoard {
    /// Follows every running workspace the user may see, or only `workspace` (`owner/name`).
    pub fn follow(workspace: Option<String>) -> Self {
        let board = Self {
            series: StoredValue::new(HashMap::new()),
            totals: RwSignal::new(Series::new()),
            capacity: RwSignal::new(None),
            stopped: RwSignal::new(HashSet::new()),
        };
        Effect::new(move |_| {
            #[cfg(feature = "hydrate")]
            browser::subscribe(board, workspace.clone());
            #[cfg(not(feature = "hydrate"))]
            let _ = &workspace;
        });
        board
    }

    /// Whether the server said `workspace` does not run.
    pub fn stopped(&self, workspace: &str) -> bool {
        self.stopped.with(|stopped| stopped.contains(workspace))
    }

    /// The samples of `workspace` (`owner/name`), empty until the first arrive.
    pub fn series(&self, workspace: &str) -> ArcRwSignal<Series> {
        if let Some(series) = self.series.with_value(|all| all.get(workspace).cloned()) {
            return series;
        }
        let series = ArcRwSignal::new(Series::new());
        self.series
            .update_value(|all| _ = all.insert(workspace.to_owned(), series.clone()));
        series
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn receive(&self, update: UsageUpdate) {
        let runs = !update.samples.is_empty();
        let said_stopped = self
            .stopped
            .with_untracked(|s| s.contains(&update.workspace));
        if runs == said_stopped {
            self.stopped.update(|stopped| match runs {
                true => _ = stopped.remove(&update.workspace),
                false => _ = stopped.insert(update.workspace.clone()),
            });
        }
        let series = self.series(&update.workspace);
        series.update(|series| {
            // A history replaces what was there: the stream (re)started following it.
            if update.samples.len() != 1 {
                series.clear();
            }
            series.extend(update.samples);
            while series.len() > HISTORY {
                series.pop_front();
            }
        });
        self.add_to_totals();
    }

    /// One totals point a second at most: the latest sample of each workspace still
    /// reporting (a stopped one's last sample is a few seconds old).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn add_to_totals(&self) {
        let latest: Vec<UsageSample> = self.series.with_value(|all| {
            all.values()
                .filter_map(|s| s.with_untracked(|s| s.back().copied()))
                .collect()
        });
        let Some(now) = latest.iter().map(|s| s.at_ms).max() else {
            // Nothing runs any more.
            self.totals.update(Series::clear);
            return;
        };
        let last_point = self.totals.with_untracked(|t| t.back().map(|s| s.at_ms));
        if last_point.is_some_and(|at| now - at < 1000) {
            return;
        }
        let mut total = UsageSample::default();
        for sample in latest.iter().filter(|s| now - s.at_ms < 3000) {
            total.add(sample);
        }
        self.totals.update(|totals| {
            totals.push_back(total);
            if totals.len() > HISTORY {
                totals.pop_front();
            }
        });
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    use super::UsageBoard;
    use crate::components::navigation::encode;
    use crate::model::{ServerCapacity, UsageUpdate};
    use crate::wire::USAGE;

    type Handler = Closure<dyn FnMut(MessageEvent)>;

    pub fn subscribe(board: UsageBoard, workspace: Option<String>) {
        let url = match &workspace {
            Some(workspace) => format!("{USAGE}?workspace={}", encode(workspace)),
            None => USAGE.to_owned(),
        };
        let Ok(source) = EventSource::new(&url) else {
            return;
        };
        let data = |event: &MessageEvent| event.data().as_string().unwrap_or_default();
        let on_usage = Handler::new(move |event: MessageEvent| {
            if let Ok(update) = serde_json::from_str::<UsageUpdate>(&data(&event)) {
                board.receive(update);
            }
        });
        let on_capacity = Handler::new(move |event: MessageEvent| {
            if let Ok(capacity) = serde_json::from_str::<ServerCapacity>(&data(&event)) {
                board.capacity.set(Some(capacity));
            }
        });
        let listen = |name: &str, handler: &Handler| {
            let _ = source.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        };
        listen("usage", &on_usage);
        listen("capacity", &on_capacity);
        let open = SendWrapper::new((source, on_usage, on_capacity));
        on_cleanup(move || open.0.close());
    }
}
