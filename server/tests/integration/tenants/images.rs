//! Images between users: alice's repository build carries her files, so bob neither sees
//! it listed nor starts a workspace from it — by its name, its id, a short id, or as the
//! base of a Dockerfile of his — nor follows its build's log; what an admin allows, he may.

use serde_json::{json, Value};

use super::*;

/// Builds alice's repository image in `made` and returns its reference.
async fn alices_build(tenants: &Tenants, alice: &Member, made: &Made) -> (String, String) {
    let image = tenants.app.image.clone();
    run_in(
        &made.container,
        &format!(
            "mkdir -p /workspace/.devcontainer && cd /workspace/.devcontainer && echo '{{ \"build\": {{ \"dockerfile\": \"Dockerfile\" }} }}' > devcontainer.json && printf 'FROM {image}\\nRUN echo alices-secret > /secret\\n' > Dockerfile"
        ),
    )
    .await;
    let body = json!({ "workspace": made.reference });
    let found: Value = tenants
        .call(alice, "/api/templates/repository", body.clone())
        .await
        .json()
        .await
        .unwrap();
    let id = found["id"].as_str().unwrap().to_owned();
    let started = tenants
        .call(alice, "/api/templates/build-repository", body)
        .await;
    assert_eq!(started.status(), 200, "{:?}", started.text().await);
    let events = build_events(&alice.client, &tenants.app.base, &id).await;
    let (end, data) = events.last().unwrap();
    assert_eq!(end, "done", "{events:?}");
    (data["Done"]["image"].as_str().unwrap().to_owned(), id)
}

async fn create_from(tenants: &Tenants, who: &Member, image: &str) -> reqwest::Response {
    let name = unique_name("from");
    let body = json!({ "request": { "name": name.as_str(), "image": image, "cpus": 0.5, "memory_mib": 256 } });
    tenants.create(who, body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn one_users_images_and_builds_are_not_anothers() {
    let mut tenants = Tenants::new(|_| {}).await;
    let (alice, bob) = (tenants.alice.clone(), tenants.bob.clone());
    let made = tenants.workspace(&alice, "imgs", json!({})).await;
    let (built, build_id) = alices_build(&tenants, &alice, &made).await;
    let id = raw_docker()
        .inspect_image(&built)
        .await
        .unwrap()
        .id
        .unwrap();

    let listed = |who: &Member| {
        let tenants = &tenants;
        let who = who.clone();
        async move {
            let images: Value = tenants
                .call(&who, "/api/workspaces/images", json!({}))
                .await
                .json()
                .await
                .unwrap();
            images.to_string()
        }
    };
    assert!(listed(&alice).await.contains(&built));
    assert!(
        !listed(&bob).await.contains(&built),
        "bob sees alice's build"
    );

    for reference in [built.as_str(), id.as_str(), &id["sha256:".len()..][..12]] {
        let refused = create_from(&tenants, &bob, reference).await;
        assert_eq!(refused.status(), 422, "{reference}");
        let text = refused.text().await.unwrap();
        assert!(
            text.contains("not an image you may use"),
            "{reference}: {text}"
        );
    }
    // The default image, however named, is his to use.
    let default_id = raw_docker()
        .inspect_image(&tenants.app.image)
        .await
        .unwrap()
        .id
        .unwrap();
    let allowed = create_from(&tenants, &bob, &default_id).await;
    assert_eq!(allowed.status(), 200, "{:?}", allowed.text().await);
    tenants.forget_made(&bob, &allowed.json::<Value>().await.unwrap());

    // Nor does he follow her build, or build on her image.
    let follow = bob
        .client
        .get(format!(
            "{}{}?template={build_id}",
            tenants.app.base,
            app::wire::TEMPLATE_BUILD
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status(), 404);
    let his = tenants.workspace(&bob, "his", json!({})).await;
    for dockerfile in [
        format!("FROM {built}"),
        format!(
            "FROM {}\\nCOPY --from={built} /secret /secret",
            tenants.app.image
        ),
    ] {
        run_in(
            &his.container,
            &format!(
                "mkdir -p /workspace/.devcontainer && cd /workspace/.devcontainer && echo '{{ \"build\": {{ \"dockerfile\": \"Dockerfile\" }} }}' > devcontainer.json && printf '{dockerfile}\\n' > Dockerfile"
            ),
        )
        .await;
        let body = json!({ "workspace": his.reference });
        let refused = tenants
            .call(&bob, "/api/templates/build-repository", body)
            .await;
        assert_eq!(refused.status(), 422, "{dockerfile}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_an_admin_allows_members_may_use() {
    // A second name for the test image stands for an image an admin allows by pattern.
    let allowed = format!(
        "aicockpit-test/allowed:{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut tenants = Tenants::new(|config| {
        config.images.allowed = vec!["aicockpit-test/allowed:*".into()];
    })
    .await;
    let (repository, tag) = allowed.split_once(':').unwrap();
    raw_docker()
        .tag_image(
            &tenants.app.image,
            Some(bollard::query_parameters::TagImageOptions {
                repo: Some(repository.to_owned()),
                tag: Some(tag.to_owned()),
            }),
        )
        .await
        .unwrap();
    let bob = tenants.bob.clone();
    let images: Value = tenants
        .call(&bob, "/api/workspaces/images", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(images.to_string().contains(&allowed), "{images}");
    let made = create_from(&tenants, &bob, &allowed).await;
    assert_eq!(made.status(), 200, "{:?}", made.text().await);
    tenants.forget_made(&bob, &made.json::<Value>().await.unwrap());
    let _ = raw_docker()
        .remove_image(
            &allowed,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await;
}
