//! The approval card: what exactly the waiting call would do (the command, or the diff of
//! the file change), the rules' risk, and Approve, Edit then approve, or Deny with a reason
//! the agent reads.

use leptos::prelude::*;

use crate::agent::{Decision, Pending};

#[component]
pub fn ApprovalCard(
    pending: Pending,
    /// Whether this user may answer (viewers only watch).
    can_answer: bool,
    on_decide: impl Fn(u32, Decision) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let seq = pending.seq;
    let editing = RwSignal::new(false);
    let denying = RwSignal::new(false);
    let edited = RwSignal::new(pending.editable.clone().unwrap_or_default());
    let reason = RwSignal::new(String::new());
    let can_edit = pending.editable.is_some();
    let risk = format!(
        "{}{}",
        pending.risk.level.label(),
        if pending.risk.reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", pending.risk.reasons.join(", "))
        }
    );
    // A file change is shown as its diff; a command exactly as written.
    let is_diff = pending.tool != "run_command" && pending.detail.starts_with("--- ");
    let detail = pending.detail.clone();
    view! {
        <section class="approval" role="alertdialog" aria-label="Approve the agent's next step" data-testid="approval">
            <h3>{format!("The agent wants to use {}", pending.tool)}</h3>
            <p class="badge risk">{risk}</p>
            {if is_diff {
                view! { <super::steps::DiffView diff=detail /> }.into_any()
            } else {
                view! { <pre class="approval-detail">{detail}</pre> }.into_any()
            }}
            <Show when=move || editing.get()>
                <textarea class="approval-edit" aria-label="Edited value" rows="4"
                    prop:value=move || edited.get()
                    on:input=move |e| edited.set(event_target_value(&e))></textarea>
            </Show>
            <Show when=move || denying.get()>
                <input type="text" aria-label="Why not (the agent reads this)" placeholder="Why not? (the agent reads this)"
                    prop:value=move || reason.get()
                    on:input=move |e| reason.set(event_target_value(&e)) />
            </Show>
            <Show when=move || can_answer fallback=|| view! { <p class="muted">"Someone who may change this workspace must answer."</p> }>
                <div class="approval-actions">
                    <Show when=move || !editing.get() && !denying.get()>
                        <button type="button" class="primary" on:click=move |_| on_decide(seq, Decision::Approve)>"Approve"</button>
                        {can_edit.then(|| view! {
                            <button type="button" on:click=move |_| editing.set(true)>"Edit"</button>
                        })}
                        <button type="button" class="danger" on:click=move |_| denying.set(true)>"Deny"</button>
                    </Show>
                    <Show when=move || editing.get()>
                        <button type="button" class="primary"
                            on:click=move |_| on_decide(seq, Decision::ApproveEdited { value: edited.get_untracked() })>
                            "Approve edited"
                        </button>
                        <button type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
                    </Show>
                    <Show when=move || denying.get()>
                        <button type="button" class="danger"
                            on:click=move |_| on_decide(seq, Decision::Deny { reason: reason.get_untracked() })>
                            "Deny"
                        </button>
                        <button type="button" on:click=move |_| denying.set(false)>"Cancel"</button>
                    </Show>
                </div>
            </Show>
        </section>
    }
}
