//! Tenants apart: an admin and two members on one server, each trying to reach what is not
//! theirs below the routes — another workspace, the host, another user's images, builds or
//! approvals — and refused; and what each network level lets a workspace reach, tried from
//! inside it against test servers of this suite's own.

mod builds;
mod images;
mod network;
mod previews;
mod tokens;

use app::auth::{Role, UserName};
use app::model::WorkspaceName;
use serde_json::{json, Value};

use crate::helpers::*;

/// A member of the test server: their name, a client acting with their API token, the token.
#[derive(Clone)]
pub struct Member {
    pub name: String,
    pub client: reqwest::Client,
    pub token: String,
}

/// A server with its admin (`tester`) and two members, alice and bob; their workspaces
/// are removed when it drops.
pub struct Tenants {
    pub app: TestApp,
    pub alice: Member,
    pub bob: Member,
    made: Vec<(String, String)>,
}

impl Drop for Tenants {
    fn drop(&mut self) {
        for (container, volume) in &self.made {
            remove_container(container, volume);
        }
    }
}

/// A workspace one of them made.
pub struct Made {
    pub reference: String,
    pub container: String,
}

impl Tenants {
    pub async fn new(configure: impl FnOnce(&mut aicockpit::config::ServeConfig)) -> Self {
        let app = spawn_app_configured(configure).await;
        let alice = member(&app, "alice").await;
        let bob = member(&app, "bob").await;
        Self {
            app,
            alice,
            bob,
            made: Vec::new(),
        }
    }

    /// `who` creates a workspace on the test image, with `extra` in the request (a
    /// `network` level, say); the answer must be a success.
    pub async fn workspace(&mut self, who: &Member, label: &str, extra: Value) -> Made {
        let name = unique_name(label);
        let owner = UserName::parse(&who.name).unwrap();
        let container = aicockpit::workspaces::container_name(&owner, &name);
        let volume = aicockpit::workspaces::volume_name(&owner, &name);
        self.made.push((container.clone(), volume));
        let mut request = json!({ "name": name.as_str(), "image": self.app.image, "cpus": 0.5, "memory_mib": 256 });
        if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
            request.extend(extra.clone());
        }
        let created = self.create(who, json!({ "request": request })).await;
        assert_eq!(created.status(), 200, "{:?}", created.text().await);
        Made {
            reference: format!("{}/{}", who.name, name),
            container,
        }
    }

    /// Removes, when done, a workspace `who` made some other way (`created` as the create
    /// answered).
    pub fn forget_made(&mut self, who: &Member, created: &Value) {
        let owner = UserName::parse(&who.name).unwrap();
        let made = created["workspace"].as_str().unwrap();
        let name = WorkspaceName::parse(made.split_once('/').unwrap().1).unwrap();
        self.made.push((
            aicockpit::workspaces::container_name(&owner, &name),
            aicockpit::workspaces::volume_name(&owner, &name),
        ));
    }

    /// `POST /api/workspaces/create` as `who`.
    pub async fn create(&self, who: &Member, body: Value) -> reqwest::Response {
        self.call(who, "/api/workspaces/create", body).await
    }

    /// `owner` shares `made` with `user` as `role` (`"Editor"`, `"Viewer"`, or `null` to end
    /// it); the answer must be a success.
    pub async fn share(&self, owner: &Member, made: &Made, user: &str, role: Value) {
        let body = json!({ "workspace": made.reference, "user": user, "role": role });
        let shared = self.call(owner, "/api/workspaces/share", body).await;
        assert_eq!(shared.status(), 200, "{:?}", shared.text().await);
    }

    /// `POST <path>` with JSON as `who`.
    pub async fn call(&self, who: &Member, path: &str, body: Value) -> reqwest::Response {
        who.client
            .post(format!("{}{path}", self.app.base))
            .json(&body)
            .send()
            .await
            .expect("the server answers")
    }
}

async fn member(app: &TestApp, name: &str) -> Member {
    app.auth
        .add_user(name, PASSWORD, Role::Member)
        .await
        .unwrap();
    let user = UserName::parse(name).unwrap();
    let token = app.auth.issue_token(&user, "t").await.unwrap();
    Member {
        name: name.to_owned(),
        client: bearer_client(&token),
        token,
    }
}

/// Runs `script` with `sh -c` in `container` as its user; stdout and stderr together.
pub async fn run_in(container: &str, script: &str) -> String {
    exec_in(container, &["sh", "-c", script]).await
}
