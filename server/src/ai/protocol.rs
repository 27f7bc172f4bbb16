//! How the agent offers its tools to a model: as native tool definitions (OpenAI's
//! `tools`) for models that call tools themselves, or, for the many local models that do
//! not, as a text protocol described in the system prompt. Text calls are tags with the
//! arguments as plain text inside, so code never has to sit in a JSON string (small models
//! write it far better that way):
//!
//! ```text
//! <tool name="write_file">
//! <path>hello.py</path>
//! <text>
//! print("hello")
//! </text>
//! </tool>
//! ```

use serde_json::{json, Map, Value};

use super::tools::ToolCall;

struct Parameter {
    name: &'static str,
    about: &'static str,
    number: bool,
    required: bool,
}

const fn text(name: &'static str, about: &'static str) -> Parameter {
    Parameter {
        name,
        about,
        number: false,
        required: true,
    }
}

const fn optional_number(name: &'static str, about: &'static str) -> Parameter {
    Parameter {
        name,
        about,
        number: true,
        required: false,
    }
}

struct Tool {
    name: &'static str,
    about: &'static str,
    parameters: &'static [Parameter],
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "run_command",
        about: "Run a shell command in /workspace; returns its exit status and output.",
        parameters: &[
            text("command", "The command line."),
            optional_number("timeout_secs", "Seconds before it is stopped."),
        ],
    },
    Tool {
        name: "read_file",
        about: "Read a file, with line numbers; at most 400 lines at a time.",
        parameters: &[
            text("path", "The file, relative to /workspace."),
            optional_number("start_line", "First line to read (from 1)."),
            optional_number("end_line", "Last line to read."),
        ],
    },
    Tool {
        name: "list_dir",
        about: "List a folder; folders end with a slash.",
        parameters: &[text(
            "path",
            "The folder, relative to /workspace (empty: the workspace).",
        )],
    },
    Tool {
        name: "search",
        about: "Find lines matching a pattern (grep) under a folder.",
        parameters: &[
            text("pattern", "A basic regular expression."),
            text("path", "The folder to search (empty: the workspace)."),
        ],
    },
    Tool {
        name: "edit_file",
        about: "Replace the one place in a file that matches `search` with `replace`.",
        parameters: &[
            text("path", "The file."),
            text(
                "search",
                "The exact lines to replace, enough of them to match once.",
            ),
            text("replace", "The new lines."),
        ],
    },
    Tool {
        name: "write_file",
        about: "Write a whole file (created with its folders, or replaced).",
        parameters: &[
            text("path", "The file."),
            text("text", "Its complete new text."),
        ],
    },
    Tool {
        name: "finish",
        about: "End the task, saying what was done.",
        parameters: &[text("summary", "What was done, and anything left to do.")],
    },
];

/// How a model is asked to change files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditFormat {
    /// Whole files only: small models write whole files far more reliably than edits.
    Whole,
    /// Search/replace edits beside whole files.
    SearchReplace,
}

fn offered(edits: EditFormat) -> impl Iterator<Item = &'static Tool> {
    TOOLS
        .iter()
        .filter(move |t| edits == EditFormat::SearchReplace || t.name != "edit_file")
}

/// The tools as OpenAI-compatible `tools` definitions.
pub fn tool_definitions(edits: EditFormat) -> Value {
    let tools: Vec<Value> = offered(edits)
        .map(|tool| {
            let properties: Map<String, Value> = tool
                .parameters
                .iter()
                .map(|p| {
                    let kind = if p.number { "integer" } else { "string" };
                    (p.name.to_owned(), json!({ "type": kind, "description": p.about }))
                })
                .collect();
            let required: Vec<&str> = tool
                .parameters
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name)
                .collect();
            json!({
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.about,
                    "parameters": { "type": "object", "properties": properties, "required": required },
                }
            })
        })
        .collect();
    Value::Array(tools)
}

/// The text protocol, for the system prompt.
pub fn describe_text_protocol(edits: EditFormat) -> String {
    let mut text = String::from(
        "To use a tool, write exactly one call like this at the end of your message, and stop:\n\
         <tool name=\"TOOL\">\n<PARAMETER>value</PARAMETER>\n</tool>\n\
         Write values as plain text (code as it is, no quoting). Tools:\n",
    );
    for tool in offered(edits) {
        text.push_str(&format!("\n{}: {}\n", tool.name, tool.about));
        for p in tool.parameters {
            let optional = if p.required { "" } else { " (optional)" };
            text.push_str(&format!("  <{}>{optional}: {}\n", p.name, p.about));
        }
    }
    text
}

/// Parameters holding code, taken exactly as written.
const CODE: &[&str] = &["text", "search", "replace"];

/// The stop sequence after a text call: the model writes one call, then waits.
pub const STOP_AFTER_CALL: &str = "</tool>";

/// The tool call at the end of a reply in the text protocol, if any, and the words before
/// it. A call that cannot be read is an error message for the model.
pub fn read_text_call(reply: &str) -> Result<Option<(ToolCall, String)>, String> {
    // The first call: a tag inside a call's text (a file about this protocol) is text.
    let Some(start) = reply.find("<tool name=\"") else {
        return Ok(None);
    };
    let before = reply[..start].trim().to_owned();
    let rest = &reply[start + "<tool name=\"".len()..];
    let (name, rest) = rest
        .split_once("\">")
        .ok_or("the <tool name=\"…\"> tag is not closed")?;
    // The stop sequence may have eaten the closing tag.
    let body = rest.trim_end();
    let body = body.strip_suffix(STOP_AFTER_CALL).unwrap_or(body);
    let tool = TOOLS
        .iter()
        .find(|t| t.name == name.trim())
        .ok_or_else(|| format!("there is no tool named “{name}”"))?;
    let mut arguments = Map::new();
    for p in tool.parameters {
        let open = format!("<{}>", p.name);
        let close = format!("</{}>", p.name);
        let Some(at) = body.find(&open) else {
            continue;
        };
        let value = &body[at + open.len()..];
        // Code ends at its last closing tag (it may hold the tag itself, as XML or SVG do).
        let end = match CODE.contains(&p.name) {
            true => value.rfind(&close),
            false => value.find(&close),
        };
        let value = end.map_or(value, |end| &value[..end]);
        // Code keeps its last line's newline (a file ends with one); the newline after the
        // opening tag only sets the code apart. Other values are single words or lines.
        let value = if CODE.contains(&p.name) {
            value.strip_prefix('\n').unwrap_or(value)
        } else {
            value.trim()
        };
        let value = if p.number {
            let number: u64 = value
                .trim()
                .parse()
                .map_err(|_| format!("<{}> must be a whole number", p.name))?;
            Value::from(number)
        } else {
            Value::from(value)
        };
        arguments.insert(p.name.to_owned(), value);
    }
    let call = ToolCall::parse(tool.name, &Value::Object(arguments).to_string())?;
    Ok(Some((call, before)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_written_plainly_inside_the_tags() {
        let reply = "I will create it.\n<tool name=\"write_file\">\n<path>hello.py</path>\n<text>\nprint(\"a \\\"quoted\\\" {brace}\")\n</text>\n</tool>";
        let (call, before) = read_text_call(reply).unwrap().unwrap();
        assert_eq!(before, "I will create it.");
        assert_eq!(
            call,
            ToolCall::WriteFile {
                path: "hello.py".into(),
                text: "print(\"a \\\"quoted\\\" {brace}\")\n".into()
            }
        );
    }

    #[test]
    fn a_call_or_a_closing_tag_inside_code_stays_code() {
        let reply = "<tool name=\"write_file\">\n<path>doc.md</path>\n<text>\nCall <tool name=\"run_command\"><command>rm -rf /</command></tool> like this.\nAn </text> tag.\n</text>\n";
        let (call, _) = read_text_call(reply).unwrap().unwrap();
        assert_eq!(
            call,
            ToolCall::WriteFile {
                path: "doc.md".into(),
                text: "Call <tool name=\"run_command\"><command>rm -rf /</command></tool> like this.\nAn </text> tag.\n".into()
            }
        );
    }

    #[test]
    fn numbers_and_a_missing_closing_tag_are_fine() {
        // The stop sequence ends the reply before `</tool>`.
        let reply = "<tool name=\"read_file\">\n<path>a.rs</path>\n<start_line>10</start_line>\n";
        let (call, _) = read_text_call(reply).unwrap().unwrap();
        assert_eq!(
            call,
            ToolCall::ReadFile {
                path: "a.rs".into(),
                start_line: Some(10),
                end_line: None
            }
        );
    }

    #[test]
    fn malformed_calls_say_what_is_wrong() {
        assert_eq!(read_text_call("Just talking."), Ok(None));
        assert!(read_text_call("<tool name=\"nuke\">\n</tool>")
            .unwrap_err()
            .contains("no tool named"));
        assert!(read_text_call(
            "<tool name=\"read_file\"><path>a</path><start_line>ten</start_line>"
        )
        .unwrap_err()
        .contains("whole number"));
        assert!(
            read_text_call("<tool name=\"write_file\">\n<path>a</path>\n</tool>")
                .unwrap_err()
                .contains("write_file was called wrongly")
        );
    }

    #[test]
    fn native_definitions_and_the_prompt_cover_every_tool() {
        let definitions = tool_definitions(EditFormat::SearchReplace);
        let prompt = describe_text_protocol(EditFormat::SearchReplace);
        assert!(!describe_text_protocol(EditFormat::Whole).contains("edit_file"));
        assert_eq!(
            tool_definitions(EditFormat::Whole)
                .as_array()
                .unwrap()
                .len(),
            TOOLS.len() - 1
        );
        assert_eq!(definitions.as_array().unwrap().len(), TOOLS.len());
        for tool in TOOLS {
            assert!(prompt.contains(&format!("\n{}:", tool.name)));
            // Every tool the model is told about can be called.
            let arguments: Map<String, Value> = tool
                .parameters
                .iter()
                .filter(|p| p.required)
                .map(|p| (p.name.to_owned(), Value::from("x")))
                .collect();
            assert!(
                ToolCall::parse(tool.name, &Value::Object(arguments).to_string()).is_ok(),
                "{}",
                tool.name
            );
        }
        let edit = &definitions[4]["function"];
        assert_eq!(edit["name"], "edit_file");
        assert_eq!(
            edit["parameters"]["required"],
            json!(["path", "search", "replace"])
        );
    }
}
