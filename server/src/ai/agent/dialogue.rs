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

    /// Something the loop tells the model (a reply without a usable call).
    pub fn correction(&mut self, text: &str) {
        self.messages
            .push(json!({ "role": "user", "content": text }));
    }
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
}
