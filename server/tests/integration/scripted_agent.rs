//! The scripted provider's agent models: each answers a run's conversation with the next
//! tool call of its script, natively (streamed `tool_calls`, arguments in pieces) when the
//! request offers tools, else in the text protocol (the reply cut where the `</tool>` stop
//! sequence would cut it). The step is the number of results the conversation holds.

use axum::body::Bytes;
use serde_json::{json, Value};

/// The task every fixing script does: write a failing script, run it, read it, fix it,
/// run it again, finish.
fn fixing(step: usize) -> (&'static str, Value) {
    match step {
        0 => (
            "write_file",
            json!({ "path": "hello.sh", "text": "echo hello\nexit 3\n" }),
        ),
        1 => ("run_command", json!({ "command": "sh hello.sh" })),
        2 => ("read_file", json!({ "path": "hello.sh" })),
        3 => (
            "edit_file",
            json!({ "path": "hello.sh", "search": "exit 3", "replace": "exit 0" }),
        ),
        4 => ("run_command", json!({ "command": "sh hello.sh" })),
        _ => ("finish", json!({ "summary": "hello.sh now exits with 0" })),
    }
}

/// The next call of `model`'s script, or `None` for a model without one.
fn next_call(model: &str, step: usize, last_result: &str) -> Option<Option<(&'static str, Value)>> {
    let call = match model {
        "agent-native" | "agent-text" => fixing(step),
        "agent-risky" if step == 0 => (
            "run_command",
            json!({ "command": "rm -rf build && echo removed > removed.txt" }),
        ),
        "agent-risky" => (
            "finish",
            json!({ "summary": format!("told: {last_result}") }),
        ),
        "agent-loop" => ("run_command", json!({ "command": "ls" })),
        "agent-wander" => ("run_command", json!({ "command": format!("echo {step}") })),
        "agent-sleep" if step == 0 => ("run_command", json!({ "command": "sleep 30" })),
        "agent-sleep" => ("finish", json!({ "summary": "slept" })),
        "agent-mute" => return Some(None),
        _ => return None,
    };
    Some(Some(call))
}

fn results_in(body: &Value) -> (usize, String) {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let results: Vec<&Value> = messages
        .iter()
        .filter(|m| {
            m["role"] == "tool"
                || m["role"] == "user"
                    && m["content"]
                        .as_str()
                        .is_some_and(|c| c.starts_with("Result of "))
        })
        .collect();
    let last = results
        .last()
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    (results.len(), last)
}

fn chunk(delta: Value, finish: Value) -> String {
    let chunk = json!({ "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] });
    format!("data: {chunk}\n\n")
}

/// The answer of an agent model to `body`, as server-sent event pieces.
pub fn answer(model: &str, body: &Value) -> Option<Vec<Bytes>> {
    let (step, last) = results_in(body);
    let call = next_call(model, step, &last)?;
    let native = body.get("tools").is_some();
    let mut wire = String::new();
    match call {
        None => wire.push_str(&chunk(
            json!({ "content": "I think all is fine." }),
            json!("stop"),
        )),
        Some((name, arguments)) if native => {
            let arguments = arguments.to_string();
            let (first, rest) = arguments.split_at(arguments.len() / 2);
            wire.push_str(&chunk(json!({ "content": "Next step." }), Value::Null));
            wire.push_str(&chunk(
                json!({ "tool_calls": [{ "index": 0, "id": format!("call_{step}"), "type": "function",
                    "function": { "name": name, "arguments": first } }] }),
                Value::Null,
            ));
            wire.push_str(&chunk(
                json!({ "tool_calls": [{ "index": 0, "function": { "arguments": rest } }] }),
                Value::Null,
            ));
            wire.push_str(&chunk(json!({}), json!("tool_calls")));
        }
        Some((name, arguments)) => {
            let mut text = format!("Next step.\n<tool name=\"{name}\">\n");
            for (key, value) in arguments.as_object().into_iter().flatten() {
                let value = match value {
                    Value::String(s) if s.contains('\n') => format!("\n{s}"),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                text.push_str(&format!("<{key}>{value}</{key}>\n"));
            }
            // The stop sequence `</tool>` ends the reply before the closing tag.
            wire.push_str(&chunk(json!({ "content": text }), json!("stop")));
        }
    }
    wire.push_str(
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20}}\n\n",
    );
    wire.push_str("data: [DONE]\n\n");
    Some(vec![Bytes::from(wire)])
}
