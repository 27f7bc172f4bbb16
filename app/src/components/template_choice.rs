//! The create form's template choice: which template a new workspace is made from, its
//! image built first when it is not yet (progress bar, step, and the build's log to expand;
//! the failing step when it fails), and its set-up command run once the workspace's files
//! are in place.

use leptos::prelude::*;

use crate::api::templates::{
    apply_repository, build_repository, build_template, list_templates, repository_template,
    set_up_workspace,
};
use crate::error::{AppError, Field};
use crate::model::{BuildEvent, TemplateInfo};
use crate::wire::TEMPLATE_BUILD;

/// A build as the form shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildView {
    pub running: bool,
    pub step: Option<(u32, u32)>,
    pub lines: Vec<String>,
    /// The failing step and the engine's message.
    pub failed: Option<String>,
}

type Following = send_wrapper::SendWrapper<(
    web_sys::EventSource,
    Vec<wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>>,
)>;

#[derive(Clone, Copy)]
pub struct TemplateChoice {
    pub templates: RwSignal<Vec<TemplateInfo>>,
    pub chosen: RwSignal<Option<TemplateInfo>>,
    pub build: RwSignal<BuildView>,
    /// The set-up command running, while it does.
    pub busy: RwSignal<Option<&'static str>>,
    following: StoredValue<Option<Following>>,
}

impl TemplateChoice {
    /// The choice, with the list of templates asked for once the page runs.
    pub fn load() -> Self {
        let choice = Self {
            templates: RwSignal::new(Vec::new()),
            chosen: RwSignal::new(None),
            build: RwSignal::new(BuildView::default()),
            busy: RwSignal::new(None),
            following: StoredValue::new(None),
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

    pub fn running(self) -> bool {
        self.build.with(|b| b.running) || self.busy.with(Option::is_some)
    }

    /// Builds the chosen template's image unless it is there, then calls `then`.
    pub fn ensure_built(self, then: impl Fn(Result<(), AppError>) + Clone + 'static) {
        let Some(template) = self.chosen.get_untracked().filter(|t| !t.ready) else {
            return then(Ok(()));
        };
        self.build.set(BuildView {
            running: true,
            ..BuildView::default()
        });
        leptos::task::spawn_local(async move {
            match build_template(template.id.clone()).await {
                Ok(()) => self.follow(&template.id, then),
                Err(error) => {
                    self.build.update(|b| b.running = false);
                    then(Err(error));
                }
            }
        });
    }

    /// Follows the build's events until it ends.
    fn follow(self, id: &str, then: impl Fn(Result<(), AppError>) + Clone + 'static) {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let url = format!(
            "{TEMPLATE_BUILD}?template={}",
            crate::components::navigation::encode(id)
        );
        let Ok(source) = web_sys::EventSource::new(&url) else {
            self.build.update(|b| b.running = false);
            return then(Err(AppError::Internal(
                "the browser cannot follow the build".into(),
            )));
        };
        let on_event = move |event: web_sys::MessageEvent| {
            let Some(build) = event
                .data()
                .as_string()
                .and_then(|data| serde_json::from_str::<BuildEvent>(&data).ok())
            else {
                return;
            };
            match build {
                BuildEvent::Line { step, text } => self.build.update(|b| {
                    b.step = step.or(b.step);
                    b.lines.push(text);
                }),
                BuildEvent::Done { .. } => {
                    self.stop_following();
                    self.build.update(|b| b.running = false);
                    self.chosen
                        .update(|c| c.iter_mut().for_each(|t| t.ready = true));
                    then(Ok(()));
                }
                BuildEvent::Failed { step, message } => {
                    self.stop_following();
                    let failed = match step {
                        Some(step) => format!("{step} failed: {message}"),
                        None => message,
                    };
                    self.build.update(|b| {
                        b.running = false;
                        b.failed = Some(failed.clone());
                    });
                    then(Err(AppError::invalid(
                        Field::Template,
                        format!("The template's image did not build. {failed}"),
                    )));
                }
            }
        };
        let mut handlers = Vec::new();
        for kind in ["line", "done", "failed"] {
            let handler = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(on_event.clone());
            let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
            handlers.push(handler);
        }
        // A reconnect replays the build from its start.
        let reset = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
            self.build.update(|b| b.lines.clear())
        });
        let _ = source.add_event_listener_with_callback("open", reset.as_ref().unchecked_ref());
        handlers.push(reset);
        self.following
            .set_value(Some(send_wrapper::SendWrapper::new((source, handlers))));
    }

    fn stop_following(self) {
        if let Some(following) = self.following.try_update_value(Option::take).flatten() {
            following.0.close();
        }
    }

    /// Once the new workspace's files are in place: without a chosen template, its files'
    /// own `.devcontainer/devcontainer.json` (a cloned repository's) makes it again, built
    /// first if need be; then the set-up command runs. Reports what to add to `said`.
    pub fn finish(
        self,
        workspace: String,
        said: String,
        report: impl Fn(Result<String, AppError>) + Clone + 'static,
    ) {
        if self.chosen.with_untracked(Option::is_some) {
            return self.set_up(workspace, said, report);
        }
        leptos::task::spawn_local(async move {
            let info = match repository_template(workspace.clone()).await {
                Ok(Some(info)) => info,
                Ok(None) => return report(Ok(said)),
                Err(error) => return report(Err(after(&said, error))),
            };
            self.chosen.set(Some(info.clone()));
            // Its set-up needs it chosen; the form's choice is back to none once it is done.
            let report = move |outcome| {
                self.chosen.set(None);
                report(outcome)
            };
            let building = workspace.clone();
            let apply = move |built: Result<(), AppError>| {
                let (workspace, said, report) = (workspace.clone(), said.clone(), report.clone());
                if let Err(error) = built {
                    return report(Err(after(&said, error)));
                }
                self.busy.set(Some(
                    "Making the workspace again from the devcontainer.json in its files…",
                ));
                leptos::task::spawn_local(async move {
                    let applied = apply_repository(workspace.clone()).await;
                    self.busy.set(None);
                    match applied {
                        Ok(()) => self.set_up(
                            workspace,
                            format!(
                                "{said} It was made again from the devcontainer.json in its files."
                            ),
                            report,
                        ),
                        Err(error) => report(Err(after(&said, error))),
                    }
                });
            };
            if !info.builds || info.ready {
                return apply(Ok(()));
            }
            self.build.set(BuildView {
                running: true,
                ..BuildView::default()
            });
            match build_repository(building).await {
                Ok(()) => self.follow(&info.id, apply),
                Err(error) => {
                    self.build.update(|b| b.running = false);
                    apply(Err(error));
                }
            }
        });
    }

    /// Runs the new workspace's set-up command, if its template has one, then reports
    /// what to add to `said` (or why it failed).
    pub fn set_up(
        self,
        workspace: String,
        said: String,
        report: impl Fn(Result<String, AppError>) + 'static,
    ) {
        let Some(template) = self.chosen.get_untracked() else {
            return report(Ok(said));
        };
        if template.post_create.is_none() {
            return report(Ok(said));
        }
        self.busy
            .set(Some("Running the template's set-up command…"));
        leptos::task::spawn_local(async move {
            let outcome = set_up_workspace(workspace).await;
            self.busy.set(None);
            report(match outcome {
                Ok(outcome) if outcome.failed() => Err(AppError::FileRefused(format!(
                    "{said} Its set-up command `{}` failed ({}): {}",
                    outcome.command.unwrap_or_default(),
                    outcome
                        .exit_code
                        .map_or("stopped".into(), |code| format!("exit {code}")),
                    last_lines(&outcome.output, 5),
                ))),
                Ok(_) => Ok(format!("{said} Its set-up command ran.")),
                Err(error) => Err(after(&said, error)),
            });
        });
    }
}

/// A failure after the workspace was made: what was said of it, then what went wrong.
fn after(said: &str, error: AppError) -> AppError {
    AppError::FileRefused(format!("{said} {error}"))
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// The form's template field, with the build's progress under it.
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
        choice.build.set(BuildView::default());
    };
    let progress = move || choice.build.with(|b| b.step);
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
            <Show when=move || choice.build.with(|b| b.running || b.failed.is_some() || !b.lines.is_empty())>
                <div class="build" data-testid="template-build">
                    <progress max=move || progress().map_or(1, |p| p.1) value=move || progress().map_or(0, |p| p.0)
                        aria-label="Template build"></progress>
                    <span class="muted" role="status">
                        {move || match (choice.build.get().running, progress()) {
                            (true, Some((step, steps))) => format!("Building the template's image: step {step} of {steps}"),
                            (true, None) => "Building the template's image…".to_owned(),
                            (false, _) => choice.build.with(|b| match &b.failed {
                                Some(_) => "The build failed.".to_owned(),
                                None => "Built.".to_owned(),
                            }),
                        }}
                    </span>
                    {move || choice.build.get().failed.map(|failed| view! {
                        <p class="field-error" data-testid="build-failed">{failed}</p>
                    })}
                    <details>
                        <summary>"Build log"</summary>
                        <pre class="build-log">{move || choice.build.with(|b| b.lines.join("\n"))}</pre>
                    </details>
                </div>
            </Show>
            <p id="ws-template-error" class="field-error" role="alert">{error}</p>
        </div>
    }
}
