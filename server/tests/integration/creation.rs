//! A workspace made as one job on the server: with an archive sent ahead, followed on its
//! event stream to the end; a step that fails keeps the workspace and can be resumed or
//! dismissed; a set-up command cancelled and the creation resumed; one cut short by a
//! restart reported and resumed (on the in-memory runtime); and none of it reachable by
//! another user.

use std::time::Duration;

use aicockpit::startup::Application;
use aicockpit::store::Store;
use app::auth::{Role, WorkspaceRef};
use app::model::{CreationStep, CreationView, StepState};
use serde_json::{json, Value};

use crate::helpers::*;

/// A `.tar.gz` holding `hello.txt`.
fn archive() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let text = b"hello from the archive\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "hello.txt", &text[..])
        .unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gzip, &tar).unwrap();
    gzip.finish().unwrap()
}

async fn send_ahead(client: &reqwest::Client, base: &str, body: Vec<u8>) -> reqwest::Response {
    client
        .put(format!("{base}{}", app::wire::CREATION_UPLOADS))
        .body(body)
        .send()
        .await
        .unwrap()
}

fn request(app: &TestApp, name: &app::model::WorkspaceName, seed: Value, wait: &str) -> Value {
    json!({
        "request": { "name": name.as_str(), "image": app.image, "cpus": 0.5, "memory_mib": 256, "seed": seed },
        "wait": wait,
    })
}

fn events_url(base: &str, id: &str) -> String {
    let any = WorkspaceRef::parse("x/y").unwrap();
    let path = app::wire::fill(app::wire::CREATION_EVENTS, &any, &[("creation", id)]);
    format!("{base}{path}")
}

fn step(view: &CreationView, step: CreationStep) -> StepState {
    view.step(step).unwrap().state
}

async fn view_of(client: &reqwest::Client, base: &str, id: &str) -> reqwest::Response {
    workspace_call(client, base, "creation", json!({ "id": id })).await
}

/// Waits for creation `id` to end; its last view.
async fn ended(app: &TestApp, id: &str) -> CreationView {
    eventually("the creation ends", Duration::from_secs(60), || async {
        let view: CreationView = view_of(&app.client, &app.base, id)
            .await
            .json()
            .await
            .ok()?;
        view.state.is_over().then_some(view)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn one_call_makes_a_workspace_with_an_archive_followed_to_its_end_and_only_by_its_user() {
    let app = spawn_app().await;
    let name = unique_name("made");
    let _cleanup = Cleanup(vec![name.clone()]);
    let sent = send_ahead(&app.client, &app.base, archive()).await;
    assert_eq!(sent.status(), 200);
    let upload = sent.json::<Value>().await.unwrap()["upload"].clone();
    let seed = json!({ "Archive": { "upload": upload, "name": "project.tar.gz" } });

    // Another user can neither start from that archive nor see the creation.
    let mallory = app.member("mallory").await;
    let theirs = mallory
        .post(format!("{}/api/workspaces/create", app.base))
        .json(&request(
            &app,
            &unique_name("theft"),
            seed.clone(),
            "Started",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 410, "{:?}", theirs.text().await);

    let started = app
        .call("create", request(&app, &name, seed, "Started"))
        .await;
    assert_eq!(started.status(), 200, "{:?}", started.text().await);
    let view: CreationView = started.json().await.unwrap();
    assert_eq!(view.workspace.to_string(), reference(&name).to_string());
    for (client, status) in [(&mallory, 404), (&app.client, 200)] {
        let follow = client
            .get(events_url(&app.base, &view.id))
            .send()
            .await
            .unwrap();
        assert_eq!(follow.status(), status);
    }
    assert_eq!(view_of(&mallory, &app.base, &view.id).await.status(), 404);

    let events = server_sent_events(&app.client, &events_url(&app.base, &view.id)).await;
    let views: Vec<CreationView> = events
        .iter()
        .filter(|(kind, _)| kind == "view")
        .map(|(_, data)| serde_json::from_value(data["View"].clone()).unwrap())
        .collect();
    let last = views.last().expect("views");
    assert_eq!(last.state, app::model::CreationState::Done, "{last:?}");
    assert_eq!(step(last, CreationStep::Seed), StepState::Done);
    assert_eq!(step(last, CreationStep::BuildImage), StepState::Skipped);
    assert_eq!(
        last.summary(),
        format!("Workspace {name} is running. The files of project.tar.gz are in it.")
    );
    let inside = std::process::Command::new("docker")
        .args(["exec", &container(&name), "cat", "/workspace/hello.txt"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&inside.stdout),
        "hello from the archive\n"
    );

    // Done: nothing left to resume, and the archive is not kept.
    let unfinished: Vec<Value> = app.call("creations", json!({})).await.json().await.unwrap();
    assert!(unfinished.is_empty(), "{unfinished:?}");
    let uploads = aicockpit::creation::Uploads::beside(&app.database());
    assert_eq!(std::fs::read_dir(uploads).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_step_keeps_the_workspace_to_resume_or_dismiss() {
    let app = spawn_app().await;
    let name = unique_name("halfway");
    let _cleanup = Cleanup(vec![name.clone()]);
    let zip = b"PK\x03\x04 not really a tar".to_vec();
    let upload = send_ahead(&app.client, &app.base, zip)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let seed = json!({ "Archive": { "upload": upload["upload"], "name": "notes.zip" } });

    let done = app.call("create", request(&app, &name, seed, "Done")).await;
    assert_eq!(done.status(), 200, "made, so the answer is the view");
    let view: CreationView = done.json().await.unwrap();
    assert_eq!(view.state, app::model::CreationState::Failed);
    assert_eq!(step(&view, CreationStep::Create), StepState::Done);
    assert_eq!(step(&view, CreationStep::Seed), StepState::Failed);
    assert!(view.summary().contains("ZIP archive"), "{}", view.summary());
    assert_eq!(app.status_of(&name).await, "Running");

    let unfinished: Vec<CreationView> =
        app.call("creations", json!({})).await.json().await.unwrap();
    assert_eq!(
        unfinished.iter().map(|v| &v.id).collect::<Vec<_>>(),
        [&view.id]
    );
    let id = json!({ "id": view.id });
    let resumed = app.call("resume-creation", id.clone()).await;
    assert_eq!(resumed.status(), 200);
    let again = ended(&app, &view.id).await;
    assert_eq!(
        step(&again, CreationStep::Seed),
        StepState::Failed,
        "the same archive"
    );
    assert_eq!(
        step(&again, CreationStep::Create),
        StepState::Done,
        "made once"
    );

    assert_eq!(app.call("dismiss-creation", id.clone()).await.status(), 200);
    assert_eq!(app.call("creation", id).await.status(), 404);
    assert_eq!(app.status_of(&name).await, "Running", "the workspace stays");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_set_up_command_is_cancelled_and_the_rest_resumed() {
    let app = spawn_app().await;
    let name = unique_name("slow");
    let _cleanup = Cleanup(vec![name.clone()]);
    let devcontainer =
        json!({ "name": "Slow set-up", "image": app.image, "postCreateCommand": "sleep 300" });
    let added = app
        .post_json(
            "/api/templates/add",
            json!({ "devcontainer": devcontainer.to_string() }),
        )
        .await;
    assert_eq!(added.status(), 200, "{:?}", added.text().await);
    let template = added.json::<Value>().await.unwrap()["id"].clone();
    let mut body = request(&app, &name, Value::Null, "Made");
    body["request"]["template"] = template;

    let made: CreationView = app.call("create", body).await.json().await.unwrap();
    assert!(made.workspace_made());
    eventually("the set-up runs", Duration::from_secs(30), || async {
        let view: CreationView = view_of(&app.client, &app.base, &made.id)
            .await
            .json()
            .await
            .ok()?;
        (step(&view, CreationStep::SetUp) == StepState::Running).then_some(())
    })
    .await;
    let sleeping = || async {
        exec(&name, &["sh", "-c", "ps -o args | grep -c '^sleep 300$'"])
            .await
            .trim()
            .to_owned()
    };
    eventually(
        "the set-up command runs",
        Duration::from_secs(10),
        || async { (sleeping().await == "1").then_some(()) },
    )
    .await;
    let id = json!({ "id": made.id });
    let cancelled: CreationView = app
        .call("cancel-creation", id.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled.state, app::model::CreationState::Cancelled);
    assert_eq!(step(&cancelled, CreationStep::SetUp), StepState::Waiting);
    assert!(cancelled.resumable());
    // The command itself is ended inside the workspace, not only no longer waited for.
    eventually(
        "the set-up command ends",
        Duration::from_secs(10),
        || async { (sleeping().await == "0").then_some(()) },
    )
    .await;
    assert_eq!(
        app.call("cancel-creation", id.clone()).await.status(),
        400,
        "not running"
    );

    // A set-up command runs once, whatever happened to it: resuming ends the creation.
    assert_eq!(app.call("resume-creation", id.clone()).await.status(), 200);
    let resumed = ended(&app, &made.id).await;
    assert_eq!(
        resumed.state,
        app::model::CreationState::Done,
        "{resumed:?}"
    );
    assert_eq!(step(&resumed, CreationStep::SetUp), StepState::Skipped);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_creation_cut_short_by_a_restart_is_reported_and_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("app.db");
    let store = Store::open(&database).await.unwrap();
    let user = store
        .users()
        .insert_user(&owner(), "unused", Role::Admin, 0)
        .await
        .unwrap();
    let name = unique_name("cut");
    let request: app::model::CreateWorkspaceRequest = serde_json::from_value(
        json!({ "name": name.as_str(), "image": MEMORY_IMAGE, "cpus": 0.5, "memory_mib": 256 }),
    )
    .unwrap();
    // As the last server left it: making the container when it stopped.
    let mut left = CreationView::new("c0ffee".into(), reference(&name), 1);
    left.step_mut(CreationStep::BuildImage).unwrap().state = StepState::Skipped;
    left.step_mut(CreationStep::Create).unwrap().state = StepState::Running;
    store
        .creations()
        .insert(user, &request, &left)
        .await
        .unwrap();
    drop(store);

    let config = aicockpit::config::ServeConfig::local(database, MEMORY_IMAGE);
    let server = Application::build(config, memory_backend()).await.unwrap();
    let token = server.auth.issue_token(&owner(), "t").await.unwrap();
    let base = format!("http://{}", server.addr);
    tokio::spawn(server.run(std::future::pending()));
    let client = bearer_client(&token);

    let call = |action: &'static str, body: Value| workspace_call(&client, &base, action, body);
    let unfinished: Vec<CreationView> = call("creations", json!({})).await.json().await.unwrap();
    assert_eq!(unfinished.len(), 1);
    let reported = &unfinished[0];
    assert_eq!(reported.state, app::model::CreationState::Interrupted);
    assert!(
        reported.summary().contains("cut short by a restart"),
        "{}",
        reported.summary()
    );

    assert_eq!(
        call("resume-creation", json!({ "id": "c0ffee" }))
            .await
            .status(),
        200
    );
    let done = eventually(
        "the resumed creation ends",
        Duration::from_secs(30),
        || async {
            let view: CreationView = call("creation", json!({ "id": "c0ffee" }))
                .await
                .json()
                .await
                .ok()?;
            view.state.is_over().then_some(view)
        },
    )
    .await;
    assert_eq!(done.state, app::model::CreationState::Done, "{done:?}");
    let listed = entry_of(&client, &base, &name).await.expect("made");
    assert_eq!(listed["status"], "Running");
}
