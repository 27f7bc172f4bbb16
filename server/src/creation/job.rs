//! One creation while it runs: its view (watched: every change reaches whoever follows,
//! and whoever waits for a point in it), the last lines of output, and the token that stops
//! it.

use std::collections::VecDeque;
use std::sync::Mutex;

use app::model::{CreationEvent, CreationState, CreationView};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use crate::sync::Unpoisoned;

/// Lines kept for a page that starts following late.
const KEPT_LINES: usize = 500;

pub struct Job {
    pub user_id: i64,
    view: watch::Sender<CreationView>,
    lines: Mutex<VecDeque<String>>,
    output: broadcast::Sender<String>,
    /// Cancelled by its user, or by the server stopping (then `interrupted` is set first).
    pub stop: CancellationToken,
    interrupted: std::sync::atomic::AtomicBool,
}

impl Job {
    pub fn new(user_id: i64, view: CreationView) -> Self {
        Self {
            user_id,
            view: watch::channel(view).0,
            lines: Mutex::default(),
            output: broadcast::channel(256).0,
            stop: CancellationToken::new(),
            interrupted: Default::default(),
        }
    }

    pub fn view(&self) -> CreationView {
        self.view.borrow().clone()
    }

    /// Changes the view, and tells whoever follows; the view as changed.
    pub fn change(&self, change: impl FnOnce(&mut CreationView)) -> CreationView {
        self.view.send_modify(change);
        self.view()
    }

    pub fn line(&self, text: String) {
        let mut lines = self.lines.locked();
        if lines.len() == KEPT_LINES {
            lines.pop_front();
        }
        lines.push_back(text.clone());
        // Sent under the lock, so a page starting to follow sees each line once.
        let _ = self.output.send(text);
    }

    /// The view and the lines so far, then every change and line to come.
    pub fn follow(
        &self,
    ) -> (
        Vec<CreationEvent>,
        watch::Receiver<CreationView>,
        broadcast::Receiver<String>,
    ) {
        let lines = self.lines.locked();
        let views = self.view.subscribe();
        let mut past = vec![CreationEvent::View(views.borrow().clone())];
        past.extend(lines.iter().cloned().map(CreationEvent::Line));
        (past, views, self.output.subscribe())
    }

    /// Waits until `reached` holds for the view, or the job is over; the view then.
    pub async fn until(&self, reached: impl Fn(&CreationView) -> bool) -> CreationView {
        let mut views = self.view.subscribe();
        let view = views
            .wait_for(|view| reached(view) || view.state.is_over())
            .await
            .map(|view| view.clone());
        view.unwrap_or_else(|_| self.view())
    }

    /// Stops it because the server is stopping: it is then said to be interrupted.
    pub fn interrupt(&self) {
        self.interrupted
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.stop.cancel();
    }

    /// How it ends once stopped: interrupted by the server, or cancelled by its user.
    pub fn stopped(&self) -> CreationState {
        match self.interrupted.load(std::sync::atomic::Ordering::SeqCst) {
            true => CreationState::Interrupted,
            false => CreationState::Cancelled,
        }
    }
}
