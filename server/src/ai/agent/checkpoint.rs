//! A run's checkpoint: /workspace as it was before the run, kept as a tar file inside the
//! workspace container but outside /workspace (out of the tree and the diff), made and used
//! through the command port as the workspace user. It survives stopping and starting the
//! workspace; re-creating the container loses it, and undo then says so. The workspace user
//! (and so the agent) could reach it: commands naming it are rated high risk. Plain POSIX
//! tools only, so BusyBox images work too.

use app::auth::{Actor, WorkspaceRef};

use crate::commands::CommandRunner;

pub const FOLDER: &str = "/tmp/.aicockpit-checkpoints";
/// Checkpoints kept per workspace; older runs can no longer be undone.
pub const KEPT: usize = 5;

/// A run id is a simple UUID; anything else is refused before it reaches a shell.
fn file_of(run: &str) -> Result<String, String> {
    if run.is_empty() || !run.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("“{run}” is not a run id"));
    }
    Ok(format!("{FOLDER}/{run}"))
}

async fn run_script(
    commands: &CommandRunner,
    actor: &Actor,
    workspace: &WorkspaceRef,
    script: &str,
) -> Result<String, String> {
    let done = commands
        .run(actor, workspace, script, None)
        .await
        .map_err(|e| e.to_string())?;
    match done.exit_code {
        Some(0) => Ok(done.output),
        _ if done.timed_out => Err("it took too long".into()),
        _ => Err(done.output.trim().to_owned()),
    }
}

/// Saves /workspace as it is now, and removes the checkpoints of runs not in `keep` (the
/// newest runs, by the store's order: file times are too coarse to tell runs apart).
pub async fn save(
    commands: &CommandRunner,
    actor: &Actor,
    workspace: &WorkspaceRef,
    run: &str,
    keep: &[String],
) -> Result<(), String> {
    let file = file_of(run)?;
    for id in keep {
        file_of(id)?;
    }
    let keep = keep.join(" ");
    // Complete or absent: written under another name, moved into place once whole.
    let script = format!(
        "set -e; umask 077; mkdir -p {FOLDER}; tar -cf {file}.part -C /workspace .; \
         mv {file}.part {file}.tar; cd {FOLDER}; \
         for f in *.tar; do case \" {run} {keep} \" in *\" ${{f%.tar}} \"*) ;; *) rm -f -- \"$f\";; esac; done"
    );
    run_script(commands, actor, workspace, &script)
        .await
        .map(drop)
        .map_err(|e| format!("could not save the files before the run: {e}"))
}

/// Everything changed in /workspace since the checkpoint, as a unified diff (`a/` before,
/// `b/` now); empty when nothing changed.
pub async fn changes(
    commands: &CommandRunner,
    actor: &Actor,
    workspace: &WorkspaceRef,
    run: &str,
) -> Result<String, String> {
    let file = file_of(run)?;
    // diff says 1 when files differ; only 2 and above is trouble.
    let script = format!(
        "set -e; cd {FOLDER}; rm -rf {run}.a; mkdir {run}.a; tar -xf {file}.tar -C {run}.a; \
         set +e; diff -ruN {run}.a /workspace; status=$?; rm -rf {run}.a; [ $status -le 1 ]"
    );
    let output = run_script(commands, actor, workspace, &script)
        .await
        .map_err(|e| format!("could not compare the files with the checkpoint: {e}"))?;
    Ok(relabel(&output, run))
}

/// Why a run could not be undone.
#[derive(Debug, PartialEq)]
pub enum RestoreError {
    /// No complete checkpoint of the run is there (any more).
    Gone,
    Failed(String),
}

/// The exit status the restore script gives when there is no checkpoint.
const GONE: i64 = 3;

/// Puts /workspace back as the checkpoint has it: what the run made goes, what it deleted
/// or changed comes back.
pub async fn restore(
    commands: &CommandRunner,
    actor: &Actor,
    workspace: &WorkspaceRef,
    run: &str,
) -> Result<(), RestoreError> {
    let file = file_of(run).map_err(RestoreError::Failed)?;
    // Whatever cannot be removed stays, but everything in the checkpoint comes back.
    let script = format!(
        "[ -f {file}.tar ] || exit {GONE}; \
         rm -rf /workspace/* /workspace/.[!.]* /workspace/..?*; tar -xf {file}.tar -C /workspace"
    );
    let done = commands
        .run(actor, workspace, &script, None)
        .await
        .map_err(|e| RestoreError::Failed(e.to_string()))?;
    match done.exit_code {
        Some(0) => Ok(()),
        Some(GONE) => Err(RestoreError::Gone),
        _ => Err(RestoreError::Failed(format!(
            "could not restore the files: {}",
            done.output.trim()
        ))),
    }
}

/// `RUN.a/x` and `/workspace/x` read as `a/x` and `b/x`, as in git.
fn relabel(diff: &str, run: &str) -> String {
    let before = format!("{run}.a/");
    diff.lines()
        .map(|line| {
            let line = line.replacen(&before, "a/", 2);
            if line.starts_with("+++ ") || line.starts_with("diff ") {
                line.replacen("/workspace/", "b/", 1)
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_run_ids_reach_the_shell() {
        assert!(file_of("3f2a9c").is_ok());
        assert!(file_of("x; rm -rf /").is_err());
        assert!(file_of("../etc").is_err());
        assert!(file_of("").is_err());
    }

    #[test]
    fn diffs_read_as_before_and_after() {
        let diff = "diff -ruN r1.a/a.txt /workspace/a.txt\n--- r1.a/a.txt\t2026\n+++ /workspace/a.txt\t2026\n@@ -1 +1 @@\n-old\n+new /workspace/x";
        assert_eq!(
            relabel(diff, "r1"),
            "diff -ruN a/a.txt b/a.txt\n--- a/a.txt\t2026\n+++ b/a.txt\t2026\n@@ -1 +1 @@\n-old\n+new /workspace/x"
        );
    }
}
