//! The command port in a real workspace: exit status and both output streams, a deadline
//! that ends the command and what it started, output clipped with a marker, and a caller
//! that stops waiting ending the command too.

use std::time::Duration;

use aicockpit::commands::{CommandRunner, CommandSettings};

use crate::helpers::*;

fn runner(service: &TestService, settings: CommandSettings) -> CommandRunner {
    CommandRunner::new(runtime(), service.manager.resolver(), settings)
}

/// Whether a process whose command line contains `marker` runs in the workspace.
async fn runs(name: &app::model::WorkspaceName, marker: &str) -> bool {
    let found = exec(
        name,
        &[
            "sh",
            "-c",
            &format!("ps -o args | grep -c '[{}]{}'", &marker[..1], &marker[1..]),
        ],
    )
    .await;
    found.trim() != "0"
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_gives_its_status_and_all_its_output() {
    let (service, name, _cleanup) = running_workspace("cmd").await;
    let commands = runner(&service, CommandSettings::default());
    let done = commands
        .run(
            &service.actor,
            &reference(&name),
            "echo out; echo err >&2; pwd; exit 3",
            None,
        )
        .await
        .unwrap();
    assert_eq!(done.exit_code, Some(3));
    assert!(!done.timed_out && !done.clipped);
    assert!(
        done.output.contains("out") && done.output.contains("err"),
        "{}",
        done.output
    );
    assert!(done.output.contains("/workspace"), "{}", done.output);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deadline_ends_the_command_and_what_it_started() {
    let (service, name, _cleanup) = running_workspace("cmd-deadline").await;
    let commands = runner(&service, CommandSettings::default());
    let done = commands
        .run(
            &service.actor,
            &reference(&name),
            "echo started; sleep 417 & sleep 418",
            Some(Duration::from_millis(800)),
        )
        .await
        .unwrap();
    assert!(done.timed_out);
    assert_eq!(done.exit_code, None);
    assert!(done.output.contains("started"));
    assert!(done.took < Duration::from_secs(5), "{:?}", done.took);
    // Ended with HUP within moments, the background one too.
    let mut gone = false;
    for _ in 0..50 {
        if !runs(&name, "sleep 41").await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the command's processes outlived the deadline");
}

#[tokio::test(flavor = "multi_thread")]
async fn long_output_is_clipped_with_a_marker() {
    let (service, name, _cleanup) = running_workspace("cmd-clip").await;
    let settings = CommandSettings {
        max_chars: 2_000,
        max_lines: 50,
        ..CommandSettings::default()
    };
    let done = runner(&service, settings)
        .run(&service.actor, &reference(&name), "seq 1 100000", None)
        .await
        .unwrap();
    assert_eq!(done.exit_code, Some(0));
    assert!(done.clipped);
    assert!(done.output.starts_with("1\n2\n"));
    assert!(
        done.output.ends_with("100000"),
        "{}",
        &done.output[done.output.len() - 40..]
    );
    assert!(done.output.contains("clipped"));
    assert!(done.output.lines().count() <= 52);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_that_stops_waiting_ends_the_command() {
    let (service, name, _cleanup) = running_workspace("cmd-stop").await;
    let commands = runner(&service, CommandSettings::default());
    let (actor, workspace) = (service.actor.clone(), reference(&name));
    let running =
        tokio::spawn(async move { commands.run(&actor, &workspace, "sleep 419", None).await });
    let mut started = false;
    for _ in 0..50 {
        if runs(&name, "sleep 419").await {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started);
    running.abort();
    let mut gone = false;
    for _ in 0..50 {
        if !runs(&name, "sleep 419").await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the command outlived its caller");
}
