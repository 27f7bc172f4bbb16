//! The Kubernetes runtime against a scripted API server (`tower-test`'s mock service):
//! the request each operation sends, and what it makes of the replies.

use std::time::Duration;

use axum::http::{Request, Response};
use kube::client::Body;
use kube::Client;
use serde_json::{json, Value};

use super::spec::{self, tests::spec as workspace_spec};
use super::{KubernetesRuntime, KubernetesSettings, Storage};
use crate::runtime::{ContainerRuntime, ContainerState, Engine, LifecycleKind, RuntimeError};

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

const NS: &str = "/api/v1/namespaces/ws";
const CLAIM: &str = "aicockpit-ada.web-files";
const POD: &str = "aicockpit-ada.web";

fn settings() -> KubernetesSettings {
    KubernetesSettings {
        namespace: "ws".into(),
        storage: Storage {
            class: None,
            size: "10Gi".into(),
        },
        timeout: Duration::from_secs(5),
        start_timeout: Duration::from_secs(5),
    }
}

fn mocked() -> (KubernetesRuntime, ScriptedApi) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "ws");
    let runtime = KubernetesRuntime::with_client(client, "https://cluster.test".into(), settings());
    (runtime, ScriptedApi(handle))
}

/// The API server's side of the mock: each request checked and answered in turn.
struct ScriptedApi(Handle);

impl ScriptedApi {
    /// Takes the next request, checks its method and path (query left out) and answers
    /// it with `status` and `body`; returns the request's query and JSON body.
    async fn answer(
        &mut self,
        method: &str,
        path: &str,
        status: u16,
        body: Value,
    ) -> (String, Value) {
        let (request, reply) = tokio::time::timeout(Duration::from_secs(5), self.0.next_request())
            .await
            .unwrap_or_else(|_| panic!("no request came; expected {method} {path}"))
            .expect("the client is still there");
        assert_eq!(request.method().as_str(), method, "{}", request.uri());
        assert_eq!(request.uri().path(), path);
        let query = request.uri().query().unwrap_or_default().to_owned();
        let sent = request.into_body().collect_bytes().await.unwrap();
        let sent = serde_json::from_slice(&sent).unwrap_or(Value::Null);
        let response = Response::builder()
            .status(status)
            .body(Body::from(serde_json::to_vec(&body).unwrap()))
            .unwrap();
        reply.send_response(response);
        (query, sent)
    }

    /// Answers a read of the workspace's claim, with its container record or without.
    async fn claim(&mut self, with_record: bool) {
        self.answer("GET", &claim_path(), 200, claim(with_record))
            .await;
    }

    /// Answers a read of the workspace's Pod with `pod`.
    async fn pod(&mut self, pod: Value) {
        self.answer("GET", &pod_path(), 200, pod).await;
    }

    /// Answers the creation of a claim; what was sent.
    async fn claim_created(&mut self) -> Value {
        self.answer("POST", &claims_path(), 201, claim(true))
            .await
            .1
    }

    /// Answers the creation of a Pod; what was sent.
    async fn pod_created(&mut self) -> Value {
        self.answer("POST", &pods_path(), 201, pod("Pending", json!({})))
            .await
            .1
    }

    /// Answers a read of `path` with 404.
    async fn missing(&mut self, path: &str) {
        self.answer("GET", path, 404, not_found()).await;
    }

    /// Answers the workspace's NetworkPolicy being applied; what was sent.
    async fn policy_applied(&mut self) -> Value {
        let (query, sent) = self.answer("PATCH", &policy_path(), 200, json!({})).await;
        assert!(query.contains("fieldManager=aicockpit"), "{query}");
        sent
    }
}

fn policy_path() -> String {
    format!("/apis/networking.k8s.io/v1/namespaces/ws/networkpolicies/{POD}")
}

fn claims_path() -> String {
    format!("{NS}/persistentvolumeclaims")
}

fn pods_path() -> String {
    format!("{NS}/pods")
}

fn claim_path() -> String {
    format!("{NS}/persistentvolumeclaims/{CLAIM}")
}

fn pod_path() -> String {
    format!("{NS}/pods/{POD}")
}

fn not_found() -> Value {
    json!({ "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found" })
}

fn claim(with_record: bool) -> Value {
    let mut claim = serde_json::to_value(spec::claim(
        &workspace_spec(),
        &Storage {
            class: None,
            size: "10Gi".into(),
        },
    ))
    .unwrap();
    if !with_record {
        claim["metadata"]["annotations"] = json!({});
    }
    claim
}

fn pod(phase: &str, container_state: Value) -> Value {
    let mut pod = serde_json::to_value(spec::pod(&workspace_spec())).unwrap();
    pod["status"] = json!({
        "phase": phase,
        "podIP": "10.1.2.3",
        "containerStatuses": [{ "name": spec::CONTAINER, "image": "i", "imageID": "", "ready": true, "restartCount": 0, "state": container_state }]
    });
    pod
}

fn running() -> Value {
    json!({ "running": { "startedAt": "2026-12-05T10:00:00Z" } })
}

#[tokio::test]
async fn create_makes_a_claim_that_records_the_container() {
    let (runtime, mut api) = mocked();
    let created = tokio::spawn(async move { runtime.create_container(&workspace_spec()).await });
    api.missing(&pod_path()).await;
    api.missing(&claim_path()).await;
    let sent = api.claim_created().await;
    assert_eq!(sent["metadata"]["name"], CLAIM);
    assert_eq!(sent["spec"]["resources"]["requests"]["storage"], "10Gi");
    let record: crate::runtime::ContainerSpec = serde_json::from_str(
        sent["metadata"]["annotations"][spec::RECORD]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record, workspace_spec());
    assert_eq!(
        created.await.unwrap(),
        Ok(CLAIM.to_owned()),
        "the claim is the id"
    );
}

#[tokio::test]
async fn a_claim_that_holds_a_container_is_a_taken_name() {
    let (runtime, mut api) = mocked();
    let created = tokio::spawn(async move { runtime.create_container(&workspace_spec()).await });
    api.missing(&pod_path()).await;
    api.claim(true).await;
    assert!(matches!(
        created.await.unwrap(),
        Err(RuntimeError::NameTaken(_))
    ));
}

#[tokio::test]
async fn a_kept_claim_gets_a_container_again() {
    let (runtime, mut api) = mocked();
    let created = tokio::spawn(async move { runtime.create_container(&workspace_spec()).await });
    api.missing(&pod_path()).await;
    api.claim(false).await;
    let (_, patch) = api.answer("PATCH", &claim_path(), 200, claim(true)).await;
    assert!(patch["metadata"]["annotations"][spec::RECORD].is_string());
    assert_eq!(created.await.unwrap(), Ok(CLAIM.to_owned()));
}

#[tokio::test]
async fn a_claim_still_being_deleted_is_waited_for_and_made_anew() {
    let (runtime, mut api) = mocked();
    let created = tokio::spawn(async move { runtime.create_container(&workspace_spec()).await });
    api.missing(&pod_path()).await;
    let mut terminating = claim(false);
    terminating["metadata"]["deletionTimestamp"] = json!("2026-12-05T10:00:00Z");
    api.answer("GET", &claim_path(), 200, terminating).await;
    api.missing(&claim_path()).await;
    let sent = api.claim_created().await;
    assert_eq!(sent["metadata"]["name"], CLAIM);
    assert_eq!(created.await.unwrap(), Ok(CLAIM.to_owned()));
}

#[tokio::test]
async fn an_evicted_pod_is_replaced_at_start() {
    let (runtime, mut api) = mocked();
    let started = tokio::spawn(async move { runtime.start_container(CLAIM).await });
    api.claim(true).await;
    api.pod(pod("Failed", json!({}))).await;
    let (_, sent) = api
        .answer("DELETE", &pod_path(), 200, pod("Failed", json!({})))
        .await;
    assert_eq!(
        sent["gracePeriodSeconds"], 1,
        "never 0: the kubelet must stop it"
    );
    api.missing(&pod_path()).await;
    api.policy_applied().await;
    api.pod_created().await;
    api.pod(pod("Running", running())).await;
    assert_eq!(started.await.unwrap(), Ok(()));
}

#[tokio::test]
async fn a_start_racing_another_waits_for_the_same_pod() {
    let (runtime, mut api) = mocked();
    let started = tokio::spawn(async move { runtime.start_container(CLAIM).await });
    api.claim(true).await;
    api.missing(&pod_path()).await;
    api.policy_applied().await;
    let exists = json!({ "kind": "Status", "status": "Failure", "reason": "AlreadyExists", "code": 409, "message": "pods \"aicockpit-ada.web\" already exists" });
    api.answer("POST", &pods_path(), 409, exists).await;
    api.pod(pod("Running", running())).await;
    assert_eq!(started.await.unwrap(), Ok(()));
}

#[tokio::test]
async fn opening_the_network_updates_the_record_and_the_policy_at_once() {
    let (runtime, mut api) = mocked();
    let open = crate::runtime::ContainerSpec {
        network: crate::runtime::NetworkMode::Open,
        ..workspace_spec()
    };
    let updated = tokio::spawn(async move { runtime.update_container(CLAIM, &open).await });
    api.claim(true).await;
    let (_, patch) = api.answer("PATCH", &claim_path(), 200, claim(true)).await;
    let record: crate::runtime::ContainerSpec = serde_json::from_str(
        patch["metadata"]["annotations"][spec::RECORD]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record.network, crate::runtime::NetworkMode::Open);
    let policy = api.policy_applied().await;
    assert_eq!(
        policy["spec"]["egress"][0]["to"][0]["ipBlock"]["cidr"],
        "0.0.0.0/0"
    );
    assert_eq!(updated.await.unwrap(), Ok(()));
}

#[tokio::test]
async fn deleting_the_files_waits_until_the_claim_is_gone() {
    let (runtime, mut api) = mocked();
    let removed = tokio::spawn(async move { runtime.remove_volume(CLAIM).await });
    api.claim(false).await;
    api.answer("DELETE", &claim_path(), 200, claim(false)).await;
    api.claim(false).await;
    api.missing(&claim_path()).await;
    assert_eq!(removed.await.unwrap(), Ok(()));
}

#[tokio::test]
async fn start_makes_the_hardened_pod_and_waits_until_it_runs() {
    let (runtime, mut api) = mocked();
    let started = tokio::spawn(async move { runtime.start_container(CLAIM).await });
    api.claim(true).await;
    api.missing(&pod_path()).await;
    let policy = api.policy_applied().await;
    assert_eq!(
        policy["kind"], "NetworkPolicy",
        "fenced before the Pod exists"
    );
    assert_eq!(policy["spec"]["egress"], json!([]));
    assert_eq!(policy["spec"]["ingress"], json!([]));
    let sent = api.pod_created().await;
    assert_eq!(sent["spec"]["securityContext"]["runAsNonRoot"], true);
    assert_eq!(sent["spec"]["automountServiceAccountToken"], false);
    assert_eq!(
        sent["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    let creating = json!({ "waiting": { "reason": "ContainerCreating" } });
    api.pod(pod("Pending", creating)).await;
    api.pod(pod("Running", running())).await;
    assert_eq!(started.await.unwrap(), Ok(()));
}

#[tokio::test]
async fn an_image_the_cluster_cannot_pull_says_where_images_come_from() {
    let (runtime, mut api) = mocked();
    let started = tokio::spawn(async move { runtime.start_container(CLAIM).await });
    api.claim(true).await;
    api.pod(pod("Pending", json!({}))).await;
    let backoff =
        json!({ "waiting": { "reason": "ImagePullBackOff", "message": "pull access denied" } });
    api.pod(pod("Pending", backoff)).await;
    match started.await.unwrap() {
        Err(RuntimeError::Refused {
            engine: Engine::Kubernetes,
            message,
        }) => {
            assert!(
                message.contains("pull access denied") && message.contains("registry"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn stop_deletes_the_pod_with_its_grace_and_waits_until_it_is_gone() {
    let (runtime, mut api) = mocked();
    let stopped =
        tokio::spawn(async move { runtime.stop_container(CLAIM, Duration::from_secs(7)).await });
    api.claim(true).await;
    let (_, sent) = api
        .answer("DELETE", &pod_path(), 200, pod("Running", running()))
        .await;
    assert_eq!(sent["gracePeriodSeconds"], 7);
    api.pod(pod("Running", running())).await;
    api.missing(&pod_path()).await;
    assert_eq!(stopped.await.unwrap(), Ok(()));
}

#[tokio::test]
async fn stopping_a_stopped_workspace_is_no_error() {
    let (runtime, mut api) = mocked();
    let stopped =
        tokio::spawn(async move { runtime.stop_container(CLAIM, Duration::from_secs(1)).await });
    api.claim(true).await;
    api.answer("DELETE", &pod_path(), 404, not_found()).await;
    api.missing(&pod_path()).await;
    assert_eq!(stopped.await.unwrap(), Ok(()));
}

#[tokio::test]
async fn remove_deletes_the_pod_and_the_record_but_keeps_the_claim() {
    let (runtime, mut api) = mocked();
    let removed = tokio::spawn(async move { runtime.remove_container(CLAIM).await });
    api.claim(true).await;
    let (_, sent) = api
        .answer("DELETE", &pod_path(), 200, pod("Running", running()))
        .await;
    assert_eq!(sent["gracePeriodSeconds"], 1, "at once, but never forced");
    api.missing(&pod_path()).await;
    api.answer("DELETE", &policy_path(), 404, not_found()).await;
    let (_, patch) = api.answer("PATCH", &claim_path(), 200, claim(false)).await;
    assert_eq!(patch["metadata"]["annotations"][spec::RECORD], Value::Null);
    assert_eq!(removed.await.unwrap(), Ok(()));
}

#[tokio::test]
async fn a_claim_still_holding_a_container_is_not_deleted() {
    let (runtime, mut api) = mocked();
    let removed = tokio::spawn(async move { runtime.remove_volume(CLAIM).await });
    api.claim(true).await;
    assert!(matches!(
        removed.await.unwrap(),
        Err(RuntimeError::InUse(_))
    ));
}

#[tokio::test]
async fn the_listing_joins_claims_and_pods() {
    let (runtime, mut api) = mocked();
    let listed = tokio::spawn(async move { runtime.list_managed().await });
    let mut kept = claim(false);
    kept["metadata"]["name"] = json!("kept-files");
    let claims = json!({ "apiVersion": "v1", "kind": "PersistentVolumeClaimList", "metadata": {}, "items": [claim(true), kept] });
    let (query, _) = api.answer("GET", &claims_path(), 200, claims).await;
    assert!(
        query.contains("labelSelector=io.aicockpit.managed%3Dtrue"),
        "{query}"
    );
    let pods = json!({ "apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [pod("Running", running())] });
    api.answer("GET", &pods_path(), 200, pods).await;
    let listed = listed.await.unwrap().unwrap();
    assert_eq!(listed.len(), 1, "a kept claim is no container");
    assert_eq!(listed[0].id, CLAIM);
    assert_eq!(listed[0].state, ContainerState::Running);
    assert_eq!(listed[0].image, workspace_spec().image);
}

#[tokio::test]
async fn refusals_and_outages_are_told_apart() {
    let (runtime, mut api) = mocked();
    let forbidden = tokio::spawn(async move { runtime.inspect(CLAIM).await });
    let status = json!({ "kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
        "message": "persistentvolumeclaims \"x\" is forbidden: User \"system:serviceaccount:ws:aicockpit\" cannot get resource \"persistentvolumeclaims\" in API group \"\" in the namespace \"ws\"" });
    api.answer("GET", &claim_path(), 403, status).await;
    match forbidden.await.unwrap() {
        Err(RuntimeError::Refused { message, .. }) => {
            assert!(message.contains("rbac.yaml"), "{message}")
        }
        other => panic!("{other:?}"),
    }

    // Admission's refusal is the cluster's policy, not AiCockpit's Role.
    let (runtime, mut api) = mocked();
    let started = tokio::spawn(async move { runtime.start_container(CLAIM).await });
    api.claim(true).await;
    api.missing(&pod_path()).await;
    api.policy_applied().await;
    let policy = json!({ "kind": "Status", "status": "Failure", "reason": "Forbidden", "code": 403,
        "message": "pods \"aicockpit-ada.web\" is forbidden: violates PodSecurity \"baseline:latest\": non-default capabilities (container \"workspace\" must not include \"NET_RAW\" in securityContext.capabilities.add)" });
    api.answer("POST", &pods_path(), 403, policy).await;
    match started.await.unwrap() {
        Err(RuntimeError::Refused { message, .. }) => {
            assert!(
                message.contains("NET_RAW") && !message.contains("rbac"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }

    let (runtime, mut api) = mocked();
    let down = tokio::spawn(async move { runtime.ping().await });
    let (_, reply) = api.0.next_request().await.unwrap();
    reply.send_error(std::io::Error::other("connection refused"));
    match down.await.unwrap() {
        Err(RuntimeError::Unavailable {
            engine, address, ..
        }) => {
            assert_eq!(
                (engine, address.as_str()),
                (Engine::Kubernetes, "https://cluster.test")
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_watch_on_pods_becomes_lifecycle_events() {
    let (runtime, mut api) = mocked();
    let mut events = runtime.lifecycle_events();
    let next = tokio::spawn(async move {
        use futures::StreamExt;
        let first = events.next().await;
        let second = events.next().await;
        (first, second)
    });
    let list = json!({ "apiVersion": "v1", "kind": "PodList", "metadata": { "resourceVersion": "1" }, "items": [pod("Running", running())] });
    let (query, _) = api.answer("GET", &pods_path(), 200, list).await;
    assert!(
        query.contains("labelSelector=io.aicockpit.managed%3Dtrue"),
        "{query}"
    );
    let mut killed = pod("Running", running());
    killed["metadata"]["resourceVersion"] = json!("2");
    killed["status"]["containerStatuses"][0]["restartCount"] = json!(1);
    killed["status"]["containerStatuses"][0]["lastState"] =
        json!({ "terminated": { "reason": "OOMKilled", "exitCode": 137 } });
    let (request, reply) = api.0.next_request().await.unwrap();
    assert!(request
        .uri()
        .query()
        .unwrap_or_default()
        .contains("watch=true"));
    let line = format!("{}\n", json!({ "type": "MODIFIED", "object": killed }));
    reply.send_response(
        Response::builder()
            .status(200)
            .body(Body::from(line.into_bytes()))
            .unwrap(),
    );
    let (first, second) = next.await.unwrap();
    let first = first.unwrap().unwrap();
    assert_eq!(first.kind, LifecycleKind::Changed);
    assert_eq!(first.workspace.as_deref(), Some("w1"), "named by its label");
    assert_eq!(second.unwrap().unwrap().kind, LifecycleKind::OutOfMemory);
}
