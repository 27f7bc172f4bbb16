//! The create form's template choice: which template a new workspace is made from (its
//! image, built by the creation when it is not yet, its environment, set-up and ports).

use leptos::prelude::*;

use crate::api::templates::list_templates;
use crate::model::TemplateInfo;

#[derive(Clone, Copy)]
pub struct TemplateChoice {
    pub templates: RwSignal<Vec<TemplateInfo>>,
    pub chosen: RwSignal<Option<TemplateInfo>>,
}

impl TemplateChoice {
    /// The choice, with the list of templates asked for once the page runs.
    pub fn load() -> Self {
        let choice = Self {
            templates: RwSignal::new(Vec::new()),
            chosen: RwSignal::new(None),
        };
        // In the browser: the list is not part of the server's page.
        Effect::new(move |_| {
            leptos::task::spawn_local(async move {
                if let Ok(all) = list_templates().await {
                    choice.templates.set(all);
                }
            });
        });
        choice
    }
}

/// The form's template field.
#[component]
pub fn TemplateField(
    choice: TemplateChoice,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let pick = move |id: String| {
        let found = choice
            .templates
            .with_untracked(|all| all.iter().find(|t| t.id == id).cloned());
        choice.chosen.set(found);
    };
    view! {
        <div class="field">
            <label for="ws-template">"Template"</label>
            <select id="ws-template" name="template" aria-describedby="ws-template-help ws-template-error"
                on:change=move |ev| pick(event_target_value(&ev))>
                <option value="" selected=move || choice.chosen.with(Option::is_none)>"None: choose an image below"</option>
                {move || choice.templates.get().into_iter().map(|t| {
                    let id = t.id.clone();
                    let selected = move || choice.chosen.with(|c| c.as_ref().is_some_and(|c| c.id == id));
                    let label = match t.ready {
                        true => t.name.clone(),
                        false => format!("{} (built when first used)", t.name),
                    };
                    view! { <option value=t.id.clone() selected=selected>{label}</option> }
                }).collect_view()}
            </select>
            <small id="ws-template-help" class="muted">
                {move || match choice.chosen.get() {
                    None => "A devcontainer.json: image, environment, set-up commands and ports.".to_owned(),
                    Some(t) => {
                        let ports = t.forward_ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
                        let mut text = format!("Image {}", t.image);
                        if !ports.is_empty() {
                            text.push_str(&format!(" · ports {ports}"));
                        }
                        if let Some(command) = &t.post_create {
                            text.push_str(&format!(" · then runs `{command}`"));
                        }
                        text
                    }
                }}
            </small>
            {move || choice.chosen.get().filter(|t| t.sudo).map(|_| view! {
                <p class="warning" data-testid="template-sudo">
                    "Lower isolation: this template gives root inside the workspace (passwordless sudo)."
                </p>
            })}
            {move || choice.chosen.get().filter(|t| !t.ignored.is_empty()).map(|t| view! {
                <details class="template-ignored" data-testid="template-ignored">
                    <summary>{format!("{} setting(s) in its devcontainer.json are not used", t.ignored.len())}</summary>
                    <ul>{t.ignored.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
                </details>
            })}
            <p id="ws-template-error" class="field-error" role="alert">{error}</p>
        </div>
    }
}
