//! A run's steps as people read them: the task, the model's words, each call in one line
//! (with the rules' risk), who approved or refused it, its result folded, and the diff of
//! everything the run changed.

use leptos::prelude::*;
use serde_json::Value;

use crate::agent::{RunSummary, Step, StepKind};
use crate::ai::RiskLevel;

/// A call in one line: `$ command`, the path, or the pattern.
pub fn call_line(tool: &str, arguments: &str) -> String {
    let arguments: Value = serde_json::from_str(arguments).unwrap_or_default();
    let text = |key: &str| arguments[key].as_str().unwrap_or_default().to_owned();
    match tool {
        "run_command" => format!("$ {}", text("command")),
        "search" => format!("“{}” in /{}", text("pattern"), text("path")),
        "finish" => text("summary"),
        _ if arguments["path"].is_string() => text("path"),
        _ => arguments.to_string(),
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let more = text.lines().nth(1).is_some();
    format!("{line}{}", if more { " …" } else { "" })
}

#[component]
pub fn StepView(step: Step) -> impl IntoView {
    match step.kind {
        StepKind::Prompt { system, task } => view! {
            <li class="agent-step prompt">
                <strong>"Task: "</strong>{task}
                <details><summary class="muted">"What the model was told"</summary><pre>{system}</pre></details>
            </li>
        }
        .into_any(),
        StepKind::Model { text, .. } => {
            // A text-protocol call follows as its own step: only the words before it here.
            let words = text.split("<tool name=").next().unwrap_or_default().trim().to_owned();
            (!words.is_empty())
                .then(|| view! { <li class="agent-step thought">{words}</li> })
                .into_any()
        }
        StepKind::Call {
            tool,
            arguments,
            risk,
            asks,
        } => {
            let line = call_line(&tool, &arguments);
            let risky = (risk.level > RiskLevel::Low)
                .then(|| format!("{}: {}", risk.level.label(), risk.reasons.join(", ")));
            view! {
                <li class="agent-step call" data-testid="agent-call">
                    <code class="tool">{tool}</code>" "<code>{line}</code>
                    {risky.map(|r| view! { <span class="badge risk">{r}</span> })}
                    {asks.then(|| view! { <span class="muted">" · needs approval"</span> })}
                </li>
            }
            .into_any()
        }
        StepKind::Decision {
            approved,
            by,
            edited,
            reason,
        } => {
            let text = match (approved, edited, reason) {
                (true, Some(value), _) => format!("Approved by {by}, edited to: {value}"),
                (true, None, _) => format!("Approved by {by}"),
                (false, _, Some(reason)) if !reason.trim().is_empty() => {
                    format!("Denied by {by}: {reason}")
                }
                (false, _, _) => format!("Denied by {by}"),
            };
            view! { <li class="agent-step decision" class:denied=!approved>{text}</li> }.into_any()
        }
        StepKind::Result { ok, text, took_ms } => view! {
            <li class="agent-step result" class:failed=!ok>
                <details>
                    <summary>{first_line(&text)}<span class="muted">{format!(" · {took_ms} ms")}</span></summary>
                    <pre>{text}</pre>
                </details>
            </li>
        }
        .into_any(),
        StepKind::Note { text } => view! { <li class="agent-step note">{text}</li> }.into_any(),
        StepKind::Finish { summary } => view! {
            <li class="agent-step finish"><strong>"Finished: "</strong>{summary}</li>
        }
        .into_any(),
    }
}

#[component]
pub fn StepList(#[prop(into)] steps: Signal<Vec<Step>>) -> impl IntoView {
    view! {
        <ol class="agent-steps" data-testid="agent-steps">
            <For each=move || steps.get() key=|step| step.seq let:step>
                <StepView step />
            </For>
        </ol>
    }
}

/// A unified diff, its lines coloured.
#[component]
pub fn DiffView(diff: String) -> impl IntoView {
    if diff.trim().is_empty() {
        return view! { <p class="muted">"The run changed no files."</p> }.into_any();
    }
    let lines = diff
        .lines()
        .map(|line| {
            let class = match line.chars().next() {
                Some('+') if !line.starts_with("+++") => "add",
                Some('-') if !line.starts_with("---") => "del",
                Some('@') => "hunk",
                _ => "",
            };
            view! { <span class=class>{format!("{line}\n")}</span> }
        })
        .collect_view();
    view! { <pre class="agent-diff" data-testid="agent-diff">{lines}</pre> }.into_any()
}

/// Status, model and tokens of a run, in one line.
pub fn summary_line(run: &RunSummary) -> String {
    let tokens = run.tokens.prompt_tokens + run.tokens.completion_tokens;
    let mut line = format!(
        "{} · {} ({} tool calls) · started by {}",
        run.status.label(),
        run.model,
        run.protocol,
        run.started_by
    );
    if tokens > 0 {
        line.push_str(&format!(" · {tokens} tokens"));
    }
    if run.undone_at.is_some() {
        line.push_str(" · undone");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_read_as_one_line() {
        assert_eq!(
            call_line("run_command", r#"{"command":"ls -la"}"#),
            "$ ls -la"
        );
        assert_eq!(
            call_line("write_file", r#"{"path":"a.py","text":"x"}"#),
            "a.py"
        );
        assert_eq!(
            call_line("search", r#"{"pattern":"TODO","path":"src"}"#),
            "“TODO” in /src"
        );
    }
}
