//! The command port beside the file port: one command run in a workspace for a tool (the
//! agent, MCP), as the workspace user in /workspace, with a deadline, an output cap and its
//! exit status. Its processes carry a tag, so a deadline, or a caller that stops waiting
//! (the user pressed Stop), ends them and whatever they started, not just the connection.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use futures::StreamExt;

use crate::access::policy::Action;
use crate::access::{Resolver, MOUNT_PATH, WORKSPACE_USER};
use crate::runtime::{ContainerRuntime, ExecChunk, ExecProcess, ExecSpec, EXIT_STATUS_WAIT};
use crate::terminal::hangup;

/// Someone following a command's output as it comes.
pub type Watch<'a> = &'a (dyn Fn(&[u8]) + Sync);

#[derive(Debug, Clone)]
pub struct CommandSettings {
    /// Used when the caller names none, and the most a caller may ask for.
    pub deadline: Duration,
    /// Output kept, in characters and lines; the middle of longer output is cut.
    pub max_chars: usize,
    pub max_lines: usize,
}

impl Default for CommandSettings {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(300),
            max_chars: 16_000,
            max_lines: 400,
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandOutcome {
    /// `None` when it was stopped at the deadline (or the status could not be read).
    pub exit_code: Option<i64>,
    /// Standard output and error as they came, clipped in the middle when too long.
    pub output: String,
    pub clipped: bool,
    pub timed_out: bool,
    pub took: Duration,
}

#[derive(Clone)]
pub struct CommandRunner {
    runtime: Arc<dyn ContainerRuntime>,
    resolver: Resolver,
    settings: CommandSettings,
}

/// Ends the command's processes unless it finished: on the deadline, and when the caller
/// stops waiting and drops the run.
struct Running {
    runtime: Arc<dyn ContainerRuntime>,
    container: String,
    tag: String,
    finished: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.finished {
            hangup::hang_up(
                self.runtime.clone(),
                self.container.clone(),
                &self.tag,
                WORKSPACE_USER,
            );
        }
    }
}

impl CommandRunner {
    pub fn new(
        runtime: Arc<dyn ContainerRuntime>,
        resolver: Resolver,
        settings: CommandSettings,
    ) -> Self {
        Self {
            runtime,
            resolver,
            settings,
        }
    }

    /// Runs `command` with `sh -c` in the workspace, which the actor must be allowed to use.
    pub async fn run(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        command: &str,
        deadline: Option<Duration>,
    ) -> Result<CommandOutcome, AppError> {
        self.run_watched(actor, workspace, command, deadline, None)
            .await
    }

    /// [`run`](Self::run), handing each piece of output to `watch` as it comes, for
    /// someone to follow the command live.
    pub async fn run_watched(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        command: &str,
        deadline: Option<Duration>,
        watch: Option<Watch<'_>>,
    ) -> Result<CommandOutcome, AppError> {
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        let container = resolved.container()?.to_owned();
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let spec = ExecSpec {
            command: vec!["/bin/sh".into(), "-c".into(), command.to_owned()],
            user: WORKSPACE_USER.to_owned(),
            working_dir: MOUNT_PATH.to_owned(),
            env: vec![
                hangup::tag_entry(&tag),
                "TERM=dumb".into(),
                "LANG=C.UTF-8".into(),
            ],
        };
        let started = Instant::now();
        let ExecProcess { mut output, exit } = self
            .runtime
            .exec(&container, &spec, None)
            .await
            .map_err(crate::error::exec_failed(workspace))?;
        let mut running = Running {
            runtime: self.runtime.clone(),
            container,
            tag,
            finished: false,
        };
        let deadline = deadline
            .unwrap_or(self.settings.deadline)
            .min(self.settings.deadline);
        let mut kept = Clipped::new(self.settings.max_chars);
        let read_all = async {
            while let Some(chunk) = output.next().await {
                match chunk {
                    Ok(ExecChunk::Stdout(bytes) | ExecChunk::Stderr(bytes)) => {
                        if let Some(watch) = watch {
                            watch(&bytes);
                        }
                        kept.push(&bytes);
                    }
                    Err(e) => return Err(AppError::from(e)),
                }
            }
            Ok(())
        };
        let timed_out = match tokio::time::timeout(deadline, read_all).await {
            Ok(read) => {
                read?;
                false
            }
            Err(_) => true,
        };
        let exit_code = if timed_out {
            None // `running` is dropped unfinished below: the processes are ended.
        } else {
            running.finished = true;
            tokio::time::timeout(EXIT_STATUS_WAIT, exit)
                .await
                .ok()
                .and_then(Result::ok)
        };
        drop(running);
        let (output, clipped) = kept.finish(self.settings.max_lines);
        Ok(CommandOutcome {
            exit_code,
            output,
            clipped,
            timed_out,
            took: started.elapsed(),
        })
    }
}

/// Output kept within a budget: its start and its end, the middle counted, not kept.
struct Clipped {
    budget: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: usize,
}

impl Clipped {
    fn new(chars: usize) -> Self {
        Self {
            budget: chars.max(2),
            head: Vec::new(),
            tail: VecDeque::new(),
            dropped: 0,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        let half = self.budget / 2;
        let room = half.saturating_sub(self.head.len());
        let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(to_head);
        self.tail.extend(rest);
        while self.tail.len() > half {
            self.tail.pop_front();
            self.dropped += 1;
        }
    }

    /// The text, clipped to `max_lines` too, and whether anything was left out.
    fn finish(self, max_lines: usize) -> (String, bool) {
        let head = String::from_utf8_lossy(&self.head).into_owned();
        let tail = String::from_utf8_lossy(&Vec::from(self.tail)).into_owned();
        let mut text = if self.dropped > 0 {
            format!(
                "{head}\n[… {} bytes of output clipped …]\n{tail}",
                self.dropped
            )
        } else {
            format!("{head}{tail}")
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut clipped = self.dropped > 0;
        if lines.len() > max_lines {
            let keep = max_lines / 2;
            text = format!(
                "{}\n[… {} lines clipped …]\n{}",
                lines[..keep].join("\n"),
                lines.len() - 2 * keep,
                lines[lines.len() - keep..].join("\n")
            );
            clipped = true;
        }
        (text, clipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_kept_whole() {
        let mut output = Clipped::new(100);
        output.push(b"hello ");
        output.push(b"world\n");
        assert_eq!(output.finish(10), ("hello world\n".into(), false));
    }

    #[test]
    fn long_output_keeps_its_start_and_end_and_says_so() {
        let mut output = Clipped::new(20);
        for i in 0..100 {
            output.push(format!("{i:03}").as_bytes());
        }
        let (text, clipped) = output.finish(100);
        assert!(clipped);
        assert!(text.starts_with("0000010020\n"), "{text}");
        assert!(text.ends_with("6097098099"), "{text}");
        assert!(text.contains("bytes of output clipped"), "{text}");
    }

    #[test]
    fn too_many_lines_are_cut_in_the_middle() {
        let mut output = Clipped::new(10_000);
        for i in 0..50 {
            output.push(format!("line {i}\n").as_bytes());
        }
        let (text, clipped) = output.finish(10);
        assert!(clipped);
        assert!(text.starts_with("line 0\n"));
        assert!(text.contains("[… 40 lines clipped …]"));
        assert!(text.ends_with("line 49"));
    }
}
