//! The conversation with the model during a run, in the form its protocol needs: native
//! tool calls answered by `tool` messages, or the text protocol, where a call is part of
//! the model's words and its result comes back as the next user message.

use serde_json::{json, Value};

use crate::ai::protocol::{describe_text_protocol, EditFormat, STOP_AFTER_CALL};

const ROLE: &str = "You are a software agent working in a Linux workspace container. The \
project is in /workspace, the working directory of every command. You act only through \
tools, one call per message, and get each call's result before you go on. Look before you \
change things; after writing code, run it to check it works, and fix what fails. Some \
actions wait for the user's approval; when the user refuses one, read their reason and do \
something else. When the task is done, or cannot be done, call finish with a short summary.";

/// The system prompt for a protocol.
pub fn system_prompt(native: bool, edits: EditFormat) -> String {
    if native {
        ROLE.to_owned()
    } else {
        format!("{ROLE}\n\n{}", describe_text_protocol(edits))
    }
}

/// Results kept whole at the end of the conversation, however long it gets.
const RECENT_RESULTS: usize = 3;

/// Characters of conversation a model with `context_tokens` can take, with room left for
/// its answer (about three characters a token); 16k tokens when the server does not say.
pub fn budget(context_tokens: Option<u64>) -> usize {
    let tokens = context_tokens.unwrap_or(16_384).max(2_048) as usize;
    tokens * 3 * 3 / 4
}

/// A native tool call as the model made it.
pub struct NativeCall<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub arguments: &'a str,
}

pub struct Dialogue {
    native: bool,
    messages: Vec<Value>,
}

impl Dialogue {
    pub fn new(native: bool, system: &str, task: &str) -> Self {
        Self {
            native,
            messages: vec![
                json!({ "role": "system", "content": system }),
                json!({ "role": "user", "content": task }),
            ],
        }
    }

    pub fn messages(&self) -> Value {
        Value::Array(self.messages.clone())
    }

    /// What the model said, with the native call it made.
    pub fn model_said(&mut self, text: &str, call: Option<NativeCall<'_>>) {
        let mut message = json!({ "role": "assistant", "content": text });
        if let Some(call) = call {
            message["tool_calls"] = json!([{
                "id": call.id,
                "type": "function",
                "function": { "name": call.name, "arguments": call.arguments },
            }]);
        } else if !self.native && text.contains("<tool name=") && !text.contains(STOP_AFTER_CALL) {
            // The stop sequence ate the closing tag; the model should see its call whole.
            message["content"] = Value::from(format!("{text}\n{STOP_AFTER_CALL}"));
        }
        self.messages.push(message);
    }

    /// A call's result: a `tool` message for a native call, else the next user message.
    pub fn result(&mut self, native_id: Option<&str>, tool: &str, text: &str) {
        let message = match native_id {
            Some(id) if self.native => {
                json!({ "role": "tool", "tool_call_id": id, "content": text })
            }
            _ => json!({ "role": "user", "content": format!("Result of {tool}:\n{text}") }),
        };
        self.messages.push(message);
    }

    /// Shortens the oldest results until the conversation fits `budget` characters, so a
    /// long run keeps going: the model keeps the whole story and the latest results whole.
    pub fn fit(&mut self, budget: usize) {
        let size = |m: &Value| m["content"].as_str().map_or(0, str::len);
        let mut total: usize = self.messages.iter().map(size).sum();
        let results: Vec<usize> = (0..self.messages.len())
            .filter(|&i| is_result(&self.messages[i]))
            .collect();
        let older = results.len().saturating_sub(RECENT_RESULTS);
        for &i in &results[..older] {
            if total <= budget {
                break;
            }
            let content = self.messages[i]["content"].as_str().unwrap_or_default();
            let first = content.lines().next().unwrap_or_default();
            let second = content.lines().nth(1).unwrap_or_default();
            let short = format!(
                "{first}\n{second}\n[{} characters left out to save room; call the tool again to see them]",
                content.len()
            );
            if short.len() < content.len() {
                total = total - content.len() + short.len();
                self.messages[i]["content"] = Value::from(short);
            }
        }
    }

    /// Something the loop tells the model (a reply without a usable call).
    pub fn correction(&mut self, text: &str) {
        self.messages
            .push(json!({ "role": "user", "content": text }));
    }
}

fn is_result(message: &Value) -> bool {
    message["role"] == "tool"
        || message["role"] == "user"
            && message["content"]
                .as_str()
                .is_some_and(|c| c.starts_with("Result of "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_calls_are_answered_by_tool_messages() {
        let mut dialogue = Dialogue::new(true, "sys", "task");
        dialogue.model_said(
            "",
            Some(NativeCall {
                id: "c1",
                name: "list_dir",
                arguments: "{}",
            }),
        );
        dialogue.result(Some("c1"), "list_dir", "a.txt");
        let messages = dialogue.messages();
        assert_eq!(messages[2]["tool_calls"][0]["function"]["name"], "list_dir");
        assert_eq!(messages[3]["role"], "tool");
        assert_eq!(messages[3]["tool_call_id"], "c1");
    }

    #[test]
    fn text_calls_are_closed_and_answered_as_the_user() {
        let mut dialogue = Dialogue::new(false, "sys", "task");
        dialogue.model_said("<tool name=\"list_dir\">\n<path></path>", None);
        dialogue.result(None, "list_dir", "a.txt");
        let messages = dialogue.messages();
        assert!(messages[2]["content"]
            .as_str()
            .unwrap()
            .ends_with("</tool>"));
        assert_eq!(messages[3]["role"], "user");
        assert_eq!(messages[3]["content"], "Result of list_dir:\na.txt");
        assert!(system_prompt(false, EditFormat::Whole).contains("<tool name="));
        assert!(!system_prompt(true, EditFormat::Whole).contains("<tool name="));
    }

    #[test]
    fn old_results_shrink_to_fit_and_recent_ones_stay_whole() {
        let mut dialogue = Dialogue::new(false, "sys", "task");
        let long = format!("exit status 0\n{}", "x".repeat(5_000));
        for _ in 0..6 {
            dialogue.model_said("<tool name=\"run_command\">", None);
            dialogue.result(None, "run_command", &long);
        }
        dialogue.fit(20_000);
        let messages = dialogue.messages();
        let contents: Vec<&str> = messages
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| is_result(m))
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert!(
            contents[0].contains("characters left out"),
            "{}",
            contents[0]
        );
        assert!(contents[0].starts_with("Result of run_command:\nexit status 0"));
        assert!(
            contents[3..].iter().all(|c| c.len() > 5_000),
            "the last three stay whole"
        );
        let total: usize = contents.iter().map(|c| c.len()).sum();
        assert!(total <= 20_000, "{total}");
        assert_eq!(budget(None), 36_864);
    }
}
