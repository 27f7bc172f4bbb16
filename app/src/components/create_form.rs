//! The "New workspace" form: validates in the browser as the user types (with the same
//! rules the server applies again) and shows server errors next to the field they concern.
//! What the new workspace starts with (an archive or a repository) is a [`Seed`]; the
//! template it is made from, a [`TemplateChoice`]. Submitting starts one creation on the
//! server, which the form then shows as it runs ([`CreationProgress`]).

use leptos::prelude::*;

use super::creation_progress::CreationProgress;
use super::template_choice::{TemplateChoice, TemplateField};
use super::workspace_seed::{Seed, SeedFields};
use crate::api::creations::create_workspace;
use crate::api::workspaces::{list_images, workspace_limits, workspace_network_bounds};
use crate::error::{AppError, Field};
use crate::model::{
    format_memory, CreateWorkspaceRequest, CreationState, CreationView, CreationWait, Limits,
    NetworkLevel, WorkspaceName,
};

const MEMORY_CHOICES: [u64; 6] = [512, 1024, 2048, 4096, 8192, 16384];

#[component]
pub fn CreateForm(on_change: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let image = RwSignal::new(String::new());
    let cpus = RwSignal::new(Limits::DEFAULT.cpus.to_string());
    let memory = RwSignal::new(Limits::DEFAULT.memory_mib);
    let processes = RwSignal::new(None::<u32>);
    // `None`: the template's level, else the server's default.
    let network = RwSignal::new(None::<NetworkLevel>);
    // In the browser only: the page renders the same on both sides, then takes them up.
    let bounds = LocalResource::new(workspace_limits);
    let network_bounds = LocalResource::new(workspace_network_bounds);
    let name_touched = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    // What to say once the creation ended well.
    let created = RwSignal::new(None::<String>);
    // The creation the form shows, and whether it (or the call starting it) runs.
    let creation = RwSignal::new(None::<CreationView>);
    let running = RwSignal::new(false);
    let seed = Seed::default();
    let template = TemplateChoice::load();
    let images = Resource::new(|| (), |_| list_images());

    let name_error = move || {
        if !name_touched.get() {
            return None;
        }
        WorkspaceName::parse(&name.get())
            .err()
            .map(|e| e.to_string())
    };
    let field_error = move |field: Field| {
        server_error
            .get()
            .filter(|e| e.field() == Some(field))
            .map(|e| e.to_string())
    };
    let form_error = move || {
        server_error
            .get()
            .filter(|e| e.field().is_none())
            .map(|e| e.to_string())
    };

    let on_end = move |view: CreationView| {
        running.set(false);
        on_change.run(());
        match view.state {
            CreationState::Failed if !view.workspace_made() => server_error.set(view.error),
            CreationState::Failed => server_error.set(Some(AppError::FileRefused(view.summary()))),
            _ => created.set(Some(view.summary())),
        }
    };
    let start = move |request: CreateWorkspaceRequest| {
        running.set(true);
        leptos::task::spawn_local(async move {
            let started = match seed.prepare().await {
                Ok(chosen) => {
                    let request = CreateWorkspaceRequest {
                        seed: chosen,
                        ..request
                    };
                    create_workspace(request, CreationWait::Started).await
                }
                Err(error) => Err(error),
            };
            match started {
                Ok(view) => {
                    name.set(String::new());
                    name_touched.set(false);
                    seed.clear();
                    on_change.run(());
                    creation.set(Some(view));
                }
                Err(error) => {
                    running.set(false);
                    server_error.set(Some(error));
                }
            }
        });
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        name_touched.set(true);
        created.set(None);
        let request = CreateWorkspaceRequest {
            name: name.get_untracked(),
            image: image.get_untracked(),
            cpus: cpus.get_untracked().trim().parse().unwrap_or(f64::NAN),
            memory_mib: memory.get_untracked(),
            processes: processes.get_untracked(),
            template: template.chosen.get_untracked().map(|t| t.id),
            network: network.get_untracked(),
            seed: None,
        };
        match request.validate().and_then(|_| seed.check()) {
            Ok(_) => {
                server_error.set(None);
                creation.set(None);
                start(request);
            }
            Err(e) => server_error.set(Some(e)),
        }
    };

    // A template brings its image and, where it says, its limits.
    Effect::new(move |_| {
        if let Some(chosen) = template.chosen.get() {
            image.set(chosen.image.clone());
            if let Some(wanted) = chosen.cpus {
                cpus.set(wanted.to_string());
            }
            if let Some(wanted) = chosen.memory_mib {
                memory.set(wanted);
            }
        }
    });

    // Start from the server's default limits.
    Effect::new(move |_| {
        if let Some(Ok(bounds)) = bounds.get() {
            cpus.set(bounds.default.cpus.to_string());
            memory.set(bounds.default.memory_mib);
            processes.set(Some(bounds.default.processes));
        }
    });
    let memory_choices = move || {
        let limits = bounds.get().and_then(Result::ok).unwrap_or_default();
        let mut choices: Vec<u64> = MEMORY_CHOICES
            .into_iter()
            .chain([limits.default.memory_mib, memory.get()])
            .filter(|mib| *mib <= limits.max.memory_mib)
            .collect();
        choices.sort_unstable();
        choices.dedup();
        choices
    };

    // Default the image to the first one that is present on this machine.
    Effect::new(move |_| {
        if let Some(Ok(choices)) = images.get() {
            if image.get_untracked().is_empty() {
                let first = choices.iter().find(|c| c.available).or(choices.first());
                if let Some(choice) = first {
                    image.set(choice.reference.clone());
                }
            }
        }
    });

    view! {
        <section class="card" aria-labelledby="create-title">
            <h2 id="create-title">"New workspace"</h2>
            <form class="create-form" on:submit=submit novalidate>
                <div class="field">
                    <label for="ws-name">"Name"</label>
                    <input
                        id="ws-name"
                        name="name"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="my-project"
                        maxlength="63"
                        prop:value=move || name.get()
                        on:input=move |ev| {
                            name.set(event_target_value(&ev));
                            server_error.set(None);
                        }
                        on:blur=move |_| name_touched.set(!name.get_untracked().is_empty())
                        aria-invalid=move || {
                            (name_error().is_some() || field_error(Field::Name).is_some()).to_string()
                        }
                        aria-describedby="ws-name-help ws-name-error"
                    />
                    <small id="ws-name-help" class="muted">
                        "Lowercase letters, digits and hyphens; starts with a letter."
                    </small>
                    <p id="ws-name-error" class="field-error" role="alert">
                        {move || name_error().or_else(|| field_error(Field::Name))}
                    </p>
                </div>
                <TemplateField choice=template error=Signal::derive(move || field_error(Field::Template)) />
                <div class="field">
                    <label for="ws-image">"Image"</label>
                    <input
                        id="ws-image"
                        name="image"
                        list="ws-image-choices"
                        spellcheck="false"
                        disabled=move || template.chosen.with(Option::is_some)
                        prop:value=move || image.get()
                        on:input=move |ev| image.set(event_target_value(&ev))
                        aria-describedby="ws-image-help ws-image-error"
                    />
                    <datalist id="ws-image-choices">
                        <Transition>
                            {move || Suspend::new(async move {
                                images
                                    .await
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|choice| {
                                        let label = if choice.available {
                                            choice.description.clone()
                                        } else {
                                            format!("{} (not built yet)", choice.description)
                                        };
                                        view! { <option value=choice.reference>{label}</option> }
                                    })
                                    .collect_view()
                            })}
                        </Transition>
                    </datalist>
                    <small id="ws-image-help" class="muted">
                        "The AiCockpit dev image, any local image, or one your registry serves."
                    </small>
                    <p id="ws-image-error" class="field-error" role="alert">
                        {move || field_error(Field::Image)}
                    </p>
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="ws-cpus">"CPUs"</label>
                        <input
                            id="ws-cpus"
                            name="cpus"
                            type="number"
                            min=Limits::CPUS.0
                            max=Limits::CPUS.1
                            step="0.5"
                            prop:value=move || cpus.get()
                            on:input=move |ev| cpus.set(event_target_value(&ev))
                        />
                        <p class="field-error" role="alert">{move || field_error(Field::Cpus)}</p>
                    </div>
                    <div class="field">
                        <label for="ws-memory">"Memory"</label>
                        <select
                            id="ws-memory"
                            name="memory"
                            on:change=move |ev| {
                                if let Ok(mib) = event_target_value(&ev).parse() {
                                    memory.set(mib);
                                }
                            }
                        >
                            {move || memory_choices()
                                .into_iter()
                                .map(|mib| {
                                    view! {
                                        <option value=mib.to_string() selected=move || memory.get() == mib>
                                            {format_memory(mib)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <p class="field-error" role="alert">{move || field_error(Field::Memory)}</p>
                    </div>
                </div>
                <div class="field">
                    <label for="ws-network">"Network"</label>
                    <select id="ws-network" name="network" data-testid="ws-network"
                        on:change=move |ev| network.set(NetworkLevel::parse(&event_target_value(&ev)))>
                        {move || network_bounds.get().and_then(Result::ok).map(|b| {
                            let default = format!("default ({})", b.default.as_str());
                            let options = NetworkLevel::ALL.into_iter().map(|level| {
                                let unavailable = level > b.max
                                    || level == NetworkLevel::Open && b.open_unavailable.is_some();
                                view! { <option value=level.as_str() disabled=unavailable>{level.as_str()}</option> }
                            }).collect_view();
                            view! { <option value="" selected>{default}</option> {options} }
                        })}
                    </select>
                    <small class="muted">
                        {move || {
                            let default = network_bounds.get().and_then(Result::ok).map(|b| b.default);
                            network.get().or(default).map(NetworkLevel::describe)
                        }}
                    </small>
                    <p class="field-error" role="alert">{move || field_error(Field::Network)}</p>
                </div>
                <SeedFields
                    seed
                    error=Signal::derive(move || {
                        field_error(Field::Repository).or_else(|| field_error(Field::Branch))
                    })
                />
                <div class="form-actions">
                    <button class="button primary" type="submit" disabled=move || running.get()>
                        {move || if running.get() { "Creating…" } else { "Create workspace" }}
                    </button>
                    <Show when=move || seed.sending.get()>
                        <span class="progress" role="status">
                            <span class="spinner" aria-hidden="true"></span>
                            "Sending the archive…"
                        </span>
                    </Show>
                    <Show when=move || created.get().is_some()>
                        <span class="success" role="status">{move || created.get()}</span>
                    </Show>
                </div>
                <p class="form-error" role="alert">{form_error}</p>
                {move || creation.get().map(|view| view! {
                    <CreationProgress view on_end on_dismiss=move |()| creation.set(None) />
                })}
            </form>
        </section>
    }
}
