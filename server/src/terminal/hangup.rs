//! Ending a terminal (or a tool's command) for good. Dropping the exec connection leaves its
//! processes running in the container (a terminal's shell is even meant to outlive it, in
//! the holder), so every session's processes carry a tag in their environment and ending
//! the session signals every process that has it: the holder, the shell and whatever it
//! started (an editor, a build), as the workspace user, HUP first and KILL for stragglers.

use std::sync::Arc;

use futures::StreamExt;

use crate::access::MOUNT_PATH;
use crate::runtime::{ContainerRuntime, ExecSpec};

/// The environment variable that tags a session's processes.
pub const TAG_VARIABLE: &str = "AICOCKPIT_TERMINAL";

// KILL goes only to the processes that got HUP: a new session with the same tag (the
// terminal opened again at once) is not ended with the old one.
const SCRIPT: &str = r#"
hung=""
for dir in /proc/[0-9]*; do
  if tr '\0' '\n' < "$dir/environ" 2>/dev/null | grep -qx "$1"; then
    kill -HUP "${dir#/proc/}" 2>/dev/null && hung="$hung ${dir#/proc/}"
  fi
done
[ -n "$hung" ] || exit 0
sleep 2
kill -KILL $hung 2>/dev/null
exit 0
"#;

/// `AICOCKPIT_TERMINAL=<tag>`, for the session's environment.
pub fn tag_entry(tag: &str) -> String {
    format!("{TAG_VARIABLE}={tag}")
}

/// Signals the tagged processes in the background; a container already gone is fine.
pub fn hang_up(runtime: Arc<dyn ContainerRuntime>, container: String, tag: &str, user: &str) {
    let spec = ExecSpec {
        command: ["/bin/sh", "-c", SCRIPT, "aicockpit-hangup", &tag_entry(tag)]
            .map(str::to_owned)
            .into(),
        user: user.to_owned(),
        working_dir: MOUNT_PATH.to_owned(),
        env: Vec::new(),
    };
    tokio::spawn(async move {
        match runtime.exec(&container, &spec, None).await {
            Ok(mut process) => while process.output.next().await.is_some() {},
            Err(e) => tracing::debug!(error = %e, "could not end a terminal's processes"),
        }
    });
}
