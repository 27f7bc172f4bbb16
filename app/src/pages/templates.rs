//! `/admin/templates`: the workspace templates this server offers (built in, from its
//! templates folder, added here) and, for admins, adding one (a devcontainer.json and the
//! Dockerfile it builds) or removing an added one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::templates::{add_template, list_templates, remove_template};
use crate::components::header::Header;
use crate::model::{TemplateInfo, TemplateOrigin};

const EXAMPLE: &str = r#"{
  "name": "Data science",
  "build": { "dockerfile": "Dockerfile" },
  "containerEnv": { "MPLBACKEND": "Agg" },
  "postCreateCommand": "python3 -m venv .venv",
  "forwardPorts": [8888],
  "customizations": { "aicockpit": { "cpus": 2, "memory": 4096, "idleStop": 60 } }
}"#;
const EXAMPLE_DOCKERFILE: &str = "ARG AICOCKPIT_DEV_IMAGE\nFROM ${AICOCKPIT_DEV_IMAGE}\nUSER root\nRUN apt-get update && apt-get install -y --no-install-recommends python3-numpy python3-pandas && rm -rf /var/lib/apt/lists/*\nUSER dev\n";

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let templates = Resource::new(move || changed.get(), |_| list_templates());
    let devcontainer = RwSignal::new(String::new());
    let dockerfile = RwSignal::new(String::new());
    let said = RwSignal::new(None::<Result<TemplateInfo, String>>);
    let add = Action::new(move |_: &()| {
        let (json, file) = (devcontainer.get_untracked(), dockerfile.get_untracked());
        async move { add_template(json, Some(file)).await }
    });
    Effect::new(move |_| {
        if let Some(result) = add.value().get() {
            if result.is_ok() {
                devcontainer.set(String::new());
                dockerfile.set(String::new());
                changed.update(|n| *n += 1);
            }
            said.set(Some(result.map_err(|e| e.to_string())));
        }
    });
    let remove = move |id: String| {
        leptos::task::spawn_local(async move {
            match remove_template(id).await {
                Ok(()) => changed.update(|n| *n += 1),
                Err(e) => said.set(Some(Err(e.to_string()))),
            }
        });
    };
    view! {
        <Title text="Templates · AiCockpit" />
        <Header current="/admin/templates" />
        <main class="page">
            <section class="card" aria-labelledby="templates-title">
                <h2 id="templates-title">"Templates"</h2>
                <p class="muted">"Chosen in the New workspace form. Dockerfile templates build on first use, reusing the engine's build cache (on Kubernetes, which pulls images from a registry, name a pushed image instead)."</p>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || templates.get().map(|result| match result {
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-scroll">
                                <table class="workspaces">
                                    <thead><tr>
                                        <th scope="col">"Template"</th>
                                        <th scope="col">"From"</th>
                                        <th scope="col">"Image"</th>
                                        <th scope="col">"Not used from its devcontainer.json"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|t| {
                                            let id = t.id.clone();
                                            let removable = t.origin == TemplateOrigin::Added;
                                            view! {
                                                <tr data-template=t.id.clone()>
                                                    <td>{t.name.clone()}
                                                        {t.sudo.then(|| view! { <span class="badge" title="Root inside by passwordless sudo: lower isolation">"sudo"</span> })}</td>
                                                    <td>{t.origin.label()}</td>
                                                    <td><code>{t.image.clone()}</code>
                                                        {(!t.ready).then(|| view! { <span class="muted">" (not built yet)"</span> })}</td>
                                                    <td>{match t.ignored.is_empty() {
                                                        true => view! { <span class="muted">"—"</span> }.into_any(),
                                                        false => view! { <ul class="ignored">{t.ignored.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> }.into_any(),
                                                    }}</td>
                                                    <td>{removable.then(|| view! {
                                                        <button type="button" on:click=move |_| remove(id.clone())>"Remove"</button>
                                                    })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    })}
                </Transition>
            </section>
            <section class="card" aria-labelledby="add-template-title">
                <h2 id="add-template-title">"Add a template"</h2>
                <form class="template-form" on:submit=move |ev| { ev.prevent_default(); add.dispatch(()); }>
                    <div class="field">
                        <label for="template-json">"devcontainer.json"</label>
                        <textarea id="template-json" rows="12" spellcheck="false" placeholder=EXAMPLE
                            prop:value=move || devcontainer.get()
                            on:input=move |ev| devcontainer.set(event_target_value(&ev))></textarea>
                        <small class="muted">"image or build.dockerfile, containerEnv, postCreateCommand, postStartCommand, forwardPorts, and customizations.aicockpit (cpus, memory in MiB, idleStop in minutes, sudo: true for root inside, which lowers isolation). Other keys are listed as not used."</small>
                    </div>
                    <div class="field">
                        <label for="template-dockerfile">"Dockerfile (when it builds one)"</label>
                        <textarea id="template-dockerfile" rows="6" spellcheck="false" placeholder=EXAMPLE_DOCKERFILE
                            prop:value=move || dockerfile.get()
                            on:input=move |ev| dockerfile.set(event_target_value(&ev))></textarea>
                        <small class="muted">"FROM ${AICOCKPIT_DEV_IMAGE} (after ARG AICOCKPIT_DEV_IMAGE) builds on the dev image."</small>
                    </div>
                    <div class="form-actions">
                        <button class="button primary" type="submit" disabled=move || add.pending().get()>"Add template"</button>
                    </div>
                    {move || said.get().map(|result| match result {
                        Ok(t) if t.ignored.is_empty() => view! { <p class="success" role="status">{format!("Template “{}” added.", t.name)}</p> }.into_any(),
                        Ok(t) => view! { <p class="success" role="status">{format!("Template “{}” added. Not used: {}", t.name, t.ignored.join("; "))}</p> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e}</p> }.into_any(),
                    })}
                </form>
            </section>
        </main>
    }
}
