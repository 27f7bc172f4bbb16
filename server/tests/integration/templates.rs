//! Templates against a real engine: an admin's template builds through the Docker API with
//! its progress streamed, a failing step is reported with its output, unknown keys are
//! reported, and a workspace made from a template gets its image, environment, set-up
//! command, start command and ports.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;

/// The build's events as `(event, data)` until it ends, followed as the test admin.
async fn follow_build(app: &TestApp, template: &str) -> Vec<(String, Value)> {
    build_events(&app.client, &app.base, template).await
}

/// Waits (5 s at most) for a file a command in the background writes.
async fn appears(name: &app::model::WorkspaceName, path: &str) {
    let mut read = String::new();
    for _ in 0..50 {
        read = exec(name, &["cat", path]).await;
        if !read.is_empty() && !read.contains("No such file") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} did not appear: {read}");
}

async fn add(app: &TestApp, devcontainer: &str, dockerfile: &str) -> Value {
    let response = app
        .post_json(
            "/api/templates/add",
            json!({ "devcontainer": devcontainer, "dockerfile": dockerfile }),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn build(app: &TestApp, template: &str) {
    let started = app
        .post_json("/api/templates/build", json!({ "template": template }))
        .await;
    assert_eq!(started.status(), 200, "{:?}", started.text().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_step_is_reported_with_its_output() {
    let app = spawn_app().await;
    let id = format!("broken-{}", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    add(
        &app,
        &format!(r#"{{ "name": "{id}", "build": {{ "dockerfile": "Dockerfile" }} }}"#),
        &format!("FROM {}\nRUN echo about to fail && exit 3\n", app.image),
    )
    .await;
    build(&app, &id).await;
    let events = follow_build(&app, &id).await;
    let lines: Vec<&str> = events
        .iter()
        .filter(|(e, _)| e == "line")
        .map(|(_, d)| d["Line"]["text"].as_str().unwrap())
        .collect();
    assert!(lines.contains(&"about to fail"), "{lines:?}");
    let steps: Vec<&Value> = events.iter().map(|(_, d)| &d["Line"]["step"]).collect();
    assert!(steps.contains(&&json!([2, 2])), "{steps:?}");
    let (last, failed) = events.last().unwrap();
    assert_eq!(last, "failed");
    assert_eq!(
        failed["Failed"]["step"],
        "Step 2/2 : RUN echo about to fail && exit 3"
    );
    assert!(
        failed["Failed"]["message"]
            .as_str()
            .unwrap()
            .contains("non-zero code: 3"),
        "{failed}"
    );
    // A workspace from it builds it again, and is refused with the same failure.
    let name = unique_name("broken");
    let _cleanup = Cleanup(vec![name.clone()]);
    let mut request = app.create_request(&name);
    request["request"]["template"] = json!(id);
    let refused = app.call("create", request).await;
    assert_eq!(refused.status(), 422);
    let said = refused.text().await.unwrap();
    assert!(
        said.contains("did not build") && said.contains("non-zero code: 3"),
        "{said}"
    );
    assert!(
        entry_of(&app.client, &app.base, &name).await.is_none(),
        "nothing was made"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_made_from_a_template_gets_its_image_environment_commands_and_ports() {
    let app = spawn_app().await;
    let id = format!("good-{}", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let devcontainer = format!(
        r#"{{
            // Comments and trailing commas, as devcontainer.json allows.
            "name": "{id}",
            "build": {{ "dockerfile": "Dockerfile", "args": {{ "MARK": "from-args" }} }},
            "containerEnv": {{ "GREETING": "hello from the template" }},
            "postCreateCommand": "echo created > made.txt",
            "postStartCommand": "date > /tmp/started",
            "forwardPorts": [8000],
            "customizations": {{ "aicockpit": {{ "idleStop": 45 }} }},
            "features": {{ "ghcr.io/devcontainers/features/node:1": {{}} }},
        }}"#
    );
    let dockerfile = format!(
        "ARG AICOCKPIT_DEV_IMAGE\nFROM {}\nARG MARK\nRUN echo $MARK > /tmp/mark\n",
        app.image
    );
    let info = add(&app, &devcontainer, &dockerfile).await;
    assert_eq!(info["ready"], false);
    assert!(info["ignored"][0].as_str().unwrap().contains("`features`"));

    build(&app, &id).await;
    let events = follow_build(&app, &id).await;
    assert_eq!(events.last().unwrap().0, "done", "{events:?}");
    let image = events.last().unwrap().1["Done"]["image"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(image.starts_with(&format!("aicockpit/template-{id}:")));
    // Built once: asking again answers at once.
    build(&app, &id).await;
    let templates: Vec<Value> = app
        .post_json("/api/templates/list", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let listed = templates.iter().find(|t| t["id"] == id.as_str()).unwrap();
    assert_eq!(listed["ready"], true);
    for built_in in ["python", "node", "rust", "go", "java"] {
        assert!(templates.iter().any(|t| t["id"] == built_in), "{built_in}");
    }

    // The image in the request is not what decides: the template's is.
    let name = unique_name("templ");
    let _cleanup = Cleanup(vec![name.clone()]);
    let mut request = app.create_request(&name);
    request["request"]["template"] = json!(id);
    request["request"]["image"] = json!("debian:not-this-one");
    request["wait"] = json!("Done");
    let created = app.call("create", request).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    let creation: Value = created.json().await.unwrap();
    assert_eq!(creation["state"], "Done", "{creation}");
    let entry = app.entry(&name).await;
    assert_eq!(entry["image"], image.as_str());
    assert_eq!(entry["idle_minutes"], 45);
    assert_eq!(
        exec(&name, &["sh", "-c", "echo $GREETING; cat /tmp/mark"]).await,
        "hello from the template\nfrom-args\n"
    );

    // The creation ran its set-up once, then the start command; the template's port is
    // listed.
    let workspace = reference(&name).to_string();
    assert_eq!(
        creation["steps"][4],
        json!({ "step": "SetUp", "state": "Done", "detail": "Its set-up command ran." })
    );
    assert_eq!(
        exec(&name, &["cat", "/workspace/made.txt"]).await,
        "created\n"
    );
    let again: Value = app
        .post_json("/api/templates/set-up", json!({ "workspace": workspace }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["command"], Value::Null);
    appears(&name, "/tmp/started").await;
    let ports: Vec<Value> = app
        .post_json("/api/previews/ports", json!({ "workspace": workspace }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ports,
        [json!({ "port": 8000, "listening": false, "reachable": false, "forwarded": true })]
    );

    // Stopped and started again: the start command runs again.
    exec(&name, &["rm", "/tmp/started"]).await;
    assert_eq!(app.call("stop", app.target(&name)).await.status(), 200);
    assert_eq!(app.call("start", app.target(&name)).await.status(), 200);
    appears(&name, "/tmp/started").await;

    // Members may use templates but not add or remove them.
    let member = app.member("mia").await;
    let refused = member
        .post(format!("{}/api/templates/remove", app.base))
        .json(&json!({ "template": id }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let removed = app
        .post_json("/api/templates/remove", json!({ "template": id }))
        .await;
    assert_eq!(removed.status(), 200);
    let built_in = app
        .post_json("/api/templates/remove", json!({ "template": "python" }))
        .await;
    assert_eq!(built_in.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn sudo_is_opt_in_per_template_and_admins_can_forbid_it() {
    let dev = dev_image().await;
    let app = spawn_app().await;
    let id = format!("root-{}", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let info = add(
        &app,
        &format!(
            r#"{{ "name": "{id}", "image": "{dev}", "customizations": {{ "aicockpit": {{ "sudo": true }} }} }}"#
        ),
        "",
    )
    .await;
    assert_eq!(info["sudo"], true);
    assert_eq!(info["ready"], true);

    // Made from it: root by sudo, without a password.
    let (rooted, plain) = (unique_name("sudo"), unique_name("nosudo"));
    let _cleanup = Cleanup(vec![rooted.clone(), plain.clone()]);
    let mut request = app.create_request(&rooted);
    request["request"]["template"] = json!(id);
    let created = app.call("create", request).await;
    assert_eq!(created.status(), 200, "{:?}", created.text().await);
    assert_eq!(exec(&rooted, &["id", "-u"]).await, "1000\n");
    assert_eq!(exec(&rooted, &["sudo", "-n", "id", "-u"]).await, "0\n");

    // The same image without the template: no new privileges, so sudo cannot work.
    let mut request = app.create_request(&plain);
    request["request"]["image"] = json!(dev);
    assert_eq!(app.call("create", request).await.status(), 200);
    let refused = exec(&plain, &["sudo", "-n", "id", "-u"]).await;
    assert!(refused.contains("no new privileges"), "{refused}");

    // A server whose admins forbid it refuses to make one.
    let strict = spawn_app_configured(|config| config.templates.sudo = false).await;
    add(
        &strict,
        &format!(
            r#"{{ "name": "{id}", "image": "{dev}", "customizations": {{ "aicockpit": {{ "sudo": true }} }} }}"#
        ),
        "",
    )
    .await;
    let name = unique_name("forbid");
    let _also = Cleanup(vec![name.clone()]);
    let mut request = strict.create_request(&name);
    request["request"]["template"] = json!(id);
    let refused = strict.call("create", request).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("--forbid-sudo"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repositorys_own_devcontainer_json_remakes_its_workspace_with_its_files_kept() {
    let (app, name, _cleanup) = app_with_workspace("repo-dc").await;
    let workspace = reference(&name).to_string();
    let call = |action: &'static str| {
        let app = &app;
        let body = json!({ "workspace": workspace });
        async move {
            app.post_json(&format!("/api/templates/{action}"), body)
                .await
        }
    };
    // No devcontainer.json: nothing to do.
    let none = call("repository").await;
    assert_eq!(none.status(), 200, "{:?}", none.text().await);
    assert_eq!(none.json::<Value>().await.unwrap(), Value::Null);

    // A repository's files, as a clone leaves them.
    let devcontainer = r#"{
        "name": "The project",
        "build": { "dockerfile": "Dockerfile", "context": ".." },
        "containerEnv": { "PROJECT": "yes" },
        "postCreateCommand": "cat /baked.txt > baked-here.txt",
        "mounts": ["source=x,target=/x,type=bind"]
    }"#;
    let script = format!(
        "mkdir -p .devcontainer && cat > .devcontainer/devcontainer.json <<'JSON'\n{devcontainer}\nJSON\n\
         printf 'FROM {}\\nCOPY notes.txt /baked.txt\\n' > .devcontainer/Dockerfile && echo from-the-repo > notes.txt",
        app.image
    );
    exec(&name, &["sh", "-c", &script]).await;
    let found: Value = call("repository").await.json().await.unwrap();
    assert_eq!(found["origin"], "Repository");
    assert_eq!(found["ready"], false);
    assert!(found["ignored"][0].as_str().unwrap().contains("`mounts`"));

    // Built from the workspace's files, then the workspace is made again from it.
    assert_eq!(
        call("apply-repository").await.status(),
        422,
        "not built yet"
    );
    assert_eq!(call("build-repository").await.status(), 200);
    let events = follow_build(&app, found["id"].as_str().unwrap()).await;
    assert_eq!(events.last().unwrap().0, "done", "{events:?}");
    let before = app.entry(&name).await;
    let applied = call("apply-repository").await;
    assert_eq!(applied.status(), 200, "{:?}", applied.text().await);
    let after = app.entry(&name).await;
    assert_ne!(before["image"], after["image"]);
    assert_eq!(after["status"], "Running");
    assert_eq!(
        exec(
            &name,
            &["sh", "-c", "echo $PROJECT; cat /baked.txt notes.txt"]
        )
        .await,
        "yes\nfrom-the-repo\nfrom-the-repo\n"
    );
    let outcome: Value = call("set-up").await.json().await.unwrap();
    assert_eq!(outcome["exit_code"], 0, "{outcome}");
    assert_eq!(
        exec(&name, &["cat", "/workspace/baked-here.txt"]).await,
        "from-the-repo\n"
    );

    // A stranger learns nothing of it.
    let stranger = app.member("sam").await;
    let refused = stranger
        .post(format!("{}/api/templates/repository", app.base))
        .json(&json!({ "workspace": workspace }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: builds the built-in templates from Debian's mirror; the test script runs it"]
async fn every_built_in_template_builds_on_the_dev_image_with_its_tools() {
    dev_image().await;
    let app = spawn_app().await;
    for (template, check) in [
        ("python", "python3 -m pytest --version"),
        ("node", "node --version && npm --version"),
        ("rust", "cargo --version && rustc --version"),
        ("go", "go version"),
        ("java", "java -version && mvn -v"),
    ] {
        build(&app, template).await;
        let events = follow_build(&app, template).await;
        let (last, end) = events.last().unwrap();
        assert_eq!(last, "done", "{template}: {end}");
        let image = end["Done"]["image"].as_str().unwrap();
        let run = std::process::Command::new("docker")
            .args([
                "run",
                "--rm",
                "--user",
                "1000:1000",
                image,
                "sh",
                "-c",
                check,
            ])
            .output()
            .unwrap();
        assert!(run.status.success(), "{template}: {run:?}");
    }
}
