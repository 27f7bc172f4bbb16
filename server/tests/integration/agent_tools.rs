//! The agent's tools in a real workspace: write, read a range, edit loosely, search, list
//! and run, each through the services; a miss comes back as text the model can act on.

use std::sync::Arc;

use aicockpit::ai::tools::{ToolCall, Tools};
use aicockpit::auth::audit::AuditLog;
use aicockpit::commands::{CommandRunner, CommandSettings};
use aicockpit::files::{FileManager, FileSettings};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn tools_write_read_edit_search_list_and_run() {
    let (service, name, _cleanup) = running_workspace("tools").await;
    let files = Arc::new(FileManager::new(
        runtime(),
        service.manager.resolver(),
        AuditLog::new(service.store.audit()),
        FileSettings::default(),
        service.manager.egress(),
    ));
    let tools = Tools::new(
        files,
        CommandRunner::new(
            runtime(),
            service.manager.resolver(),
            CommandSettings::default(),
        ),
    );
    let workspace = reference(&name);
    let call = |json: &str| {
        ToolCall::parse(
            json.split_once(' ').unwrap().0,
            json.split_once(' ').unwrap().1,
        )
        .unwrap()
    };
    let run = |call: ToolCall| {
        let (tools, actor, workspace) = (tools.clone(), service.actor.clone(), workspace.clone());
        async move { tools.call(&actor, &workspace, call).await }
    };

    let wrote = run(call(
        r#"write_file {"path":"src/app.sh","text":"greet() {\n  echo hello\n}\n\ngreet\n"}"#,
    ))
    .await;
    assert!(wrote.ok && wrote.text.contains("5 lines"), "{wrote:?}");

    let read = run(call(
        r#"read_file {"path":"src/app.sh","start_line":2,"end_line":3}"#,
    ))
    .await;
    assert_eq!(
        read.text,
        "    2 |   echo hello\n    3 | }\n[lines 4–5 not shown; read them with start_line]"
    );

    // The model lost the indentation: still one match.
    let edited = run(call(
        r#"edit_file {"path":"src/app.sh","search":"echo hello","replace":"  echo hello, world"}"#,
    ))
    .await;
    assert!(edited.ok, "{edited:?}");
    let missed = run(call(
        r#"edit_file {"path":"src/app.sh","search":"echo goodbye","replace":"x"}"#,
    ))
    .await;
    assert!(
        !missed.ok && missed.text.contains("did you mean"),
        "{missed:?}"
    );

    let found = run(call(r#"search {"pattern":"hello, world"}"#)).await;
    assert!(found.text.contains("/workspace/src/app.sh:2:"), "{found:?}");
    // Symbolic links that lead out are not followed, named or met on the way.
    let linked = run(call(
        r#"run_command {"command":"ln -s /etc etc-link && ln -s /etc/passwd src/passwd"}"#,
    ))
    .await;
    assert!(linked.ok, "{linked:?}");
    let out = run(call(r#"search {"pattern":"root:","path":"etc-link"}"#)).await;
    assert!(!out.text.contains("root:x:0"), "{out:?}");
    assert!(out.text.contains("leads out of /workspace"), "{out:?}");
    let walked = run(call(r#"search {"pattern":"root:"}"#)).await;
    assert!(!walked.text.contains("root:x:0"), "{walked:?}");

    let listed = run(call(r#"list_dir {"path":""}"#)).await;
    assert!(listed.text.lines().any(|l| l == "src/"), "{listed:?}");

    let ran = run(call(r#"run_command {"command":"sh src/app.sh"}"#)).await;
    assert_eq!(ran.text, "exit status 0\nhello, world\n");
    let failed = run(call(r#"run_command {"command":"exit 4"}"#)).await;
    assert!(failed.text.starts_with("exit status 4"), "{failed:?}");

    let outside = run(call(r#"read_file {"path":"../etc/passwd"}"#)).await;
    assert!(!outside.ok, "{outside:?}");
}
