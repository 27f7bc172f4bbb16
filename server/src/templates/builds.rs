//! Template builds running on the server: one at a time per template, followed by any number
//! of pages (a page that opens late, or again, gets the output so far first). A build goes on
//! when its pages close; once over it stays on record for [`KEPT_FOR`], then goes when the
//! next build starts (repository builds are one per workspace, so the records would grow).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::BuildEvent;
use bytes::Bytes;
use tokio::sync::broadcast;

use crate::runtime::{BuildLine, ImageBuild, ImageStore, RuntimeError};
use crate::sync::Unpoisoned;

/// Lines kept for a page that starts following late.
const KEPT_LINES: usize = 2_000;
/// How long a build that is over stays on record, for a page that follows it late.
pub const KEPT_FOR: Duration = Duration::from_secs(600);

#[derive(Default)]
struct Record {
    lines: VecDeque<BuildEvent>,
    /// `Done` or `Failed`, once it ended, and when.
    end: Option<BuildEvent>,
    ended_at: Option<Instant>,
    /// The step that ran last ("Step 3/7 : RUN make"), for the failure.
    step: Option<String>,
}

pub struct Build {
    record: Mutex<Record>,
    events: broadcast::Sender<BuildEvent>,
    /// The workspace a repository's build is for: only who may use it follows the build.
    pub workspace: Option<String>,
}

impl Build {
    fn new(workspace: Option<String>) -> Self {
        Self {
            record: Mutex::default(),
            events: broadcast::channel(256).0,
            workspace,
        }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.locked()
    }

    fn push(&self, event: BuildEvent) {
        let mut record = self.record();
        match &event {
            BuildEvent::Line { text, .. } => {
                if text.starts_with("Step ") {
                    record.step = Some(text.clone());
                }
                if record.lines.len() == KEPT_LINES {
                    record.lines.pop_front();
                }
                record.lines.push_back(event.clone());
            }
            _ => {
                record.end = Some(event.clone());
                record.ended_at = Some(Instant::now());
            }
        }
        // Sent under the lock, so a page starting to follow sees each event once.
        let _ = self.events.send(event);
    }

    /// The image it made, once it did.
    pub fn image(&self) -> Option<String> {
        match &self.record().end {
            Some(BuildEvent::Done { image }) => Some(image.clone()),
            _ => None,
        }
    }

    pub fn is_over(&self) -> bool {
        self.record().end.is_some()
    }

    /// Whether it ended longer than `kept` ago.
    fn is_stale(&self, kept: Duration) -> bool {
        self.record().ended_at.is_some_and(|at| at.elapsed() > kept)
    }

    /// The events so far, and the ones to come.
    pub fn follow(&self) -> (Vec<BuildEvent>, broadcast::Receiver<BuildEvent>) {
        let record = self.record();
        let mut past: Vec<BuildEvent> = record.lines.iter().cloned().collect();
        past.extend(record.end.clone());
        (past, self.events.subscribe())
    }
}

#[derive(Clone)]
pub struct Builds {
    images: Arc<dyn ImageStore>,
    builds: Arc<Mutex<HashMap<String, Arc<Build>>>>,
}

impl Builds {
    pub fn new(images: Arc<dyn ImageStore>) -> Self {
        Self {
            images,
            builds: Arc::default(),
        }
    }

    fn builds(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Build>>> {
        self.builds.locked()
    }

    /// The template's build now or last, if any.
    pub fn of(&self, template: &str) -> Option<Arc<Build>> {
        self.builds().get(template).cloned()
    }

    /// Starts building the template (for the workspace `workspace`, a repository's),
    /// unless a build of it is running (then that one is it).
    pub fn start(
        &self,
        template: &str,
        context: Bytes,
        build: ImageBuild,
        workspace: Option<String>,
    ) -> Arc<Build> {
        let mut builds = self.builds();
        if let Some(running) = builds.get(template).filter(|b| !b.is_over()) {
            return running.clone();
        }
        builds.retain(|_, build| !build.is_stale(KEPT_FOR));
        let job = Arc::new(Build::new(workspace));
        builds.insert(template.to_owned(), job.clone());
        let (images, running) = (self.images.clone(), job.clone());
        let template = template.to_owned();
        tokio::spawn(async move {
            let report = |line: BuildLine| {
                running.push(BuildEvent::Line {
                    step: line.step,
                    text: line.text,
                })
            };
            let result = images.build_image(context, &build, &report).await;
            let end = match result {
                Ok(()) => BuildEvent::Done {
                    image: build.reference.clone(),
                },
                Err(error) => {
                    let message = match error {
                        RuntimeError::BuildFailed(message) => message,
                        other => other.to_string(),
                    };
                    tracing::warn!(%template, %message, "template build failed");
                    BuildEvent::Failed {
                        step: running.record().step.clone(),
                        message,
                    }
                }
            };
            running.push(end);
        });
        job
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_follower_gets_the_past_then_the_rest_and_the_failing_step() {
        let build = Build::new(None);
        let line = |text: &str| BuildEvent::Line {
            step: None,
            text: text.into(),
        };
        build.push(line("Step 1/2 : FROM x"));
        build.push(line("Step 2/2 : RUN exit 3"));
        let (past, mut rest) = build.follow();
        assert_eq!(past.len(), 2);
        build.push(line("boom"));
        assert_eq!(rest.try_recv().unwrap(), line("boom"));
        assert!(!build.is_over());
        let step = build.record().step.clone();
        build.push(BuildEvent::Failed {
            step,
            message: "exit 3".into(),
        });
        assert!(build.is_over());
        let (past, _) = build.follow();
        assert_eq!(
            past.last(),
            Some(&BuildEvent::Failed {
                step: Some("Step 2/2 : RUN exit 3".into()),
                message: "exit 3".into()
            })
        );
    }

    #[test]
    fn only_running_and_recent_builds_stay_on_record() {
        let (running, over) = (Build::new(None), Build::new(None));
        over.push(BuildEvent::Done { image: "x".into() });
        assert!(!running.is_stale(Duration::ZERO));
        assert!(!over.is_stale(KEPT_FOR));
        std::thread::sleep(Duration::from_millis(2));
        assert!(over.is_stale(Duration::from_millis(1)));
    }

    #[test]
    fn only_the_latest_lines_are_kept() {
        let build = Build::new(None);
        for i in 0..KEPT_LINES + 5 {
            build.push(BuildEvent::Line {
                step: None,
                text: i.to_string(),
            });
        }
        let (past, _) = build.follow();
        assert_eq!(past.len(), KEPT_LINES);
        assert_eq!(
            past[0],
            BuildEvent::Line {
                step: None,
                text: "5".into()
            }
        );
    }
}
