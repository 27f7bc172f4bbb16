//! Code actions on an open file or its selection: explain, generate, refactor, fix, or an
//! instruction of the user's. Edits come back as the whole file (small models write whole
//! code far more reliably than diffs or code inside JSON), or, for a selection, as its
//! replacement, which is put back between the untouched text around it. The browser shows
//! the result as a diff to accept hunk by hunk.

use app::ai::{ChatMessage, CodeActionKind, CodeActionRequest, Role};

pub fn messages(request: &CodeActionRequest) -> Vec<ChatMessage> {
    let on_selection = !request.selected.is_empty();
    let task = match request.kind {
        CodeActionKind::Explain => "Explain what this code does and anything surprising in it.",
        CodeActionKind::Generate => "Write the code the instruction asks for.",
        CodeActionKind::Refactor => "Refactor this code: clearer and simpler, same behaviour.",
        CodeActionKind::Fix => "Fix the bug in this code.",
        CodeActionKind::Custom => "Change the code as the instruction says.",
    };
    let answer = match (request.kind, on_selection) {
        (CodeActionKind::Explain, _) => "Answer in concise Markdown.".to_owned(),
        (_, true) => "Reply with only the new text for the part marked SELECTION, in one fenced \
                      code block, nothing before or after it. Keep its indentation."
            .to_owned(),
        (_, false) => "Reply with the complete new file in one fenced code block, nothing before \
                       or after it. Keep everything that does not need to change."
            .to_owned(),
    };
    let system = format!(
        "You edit code in the file {} of a developer's workspace. {task} {answer}",
        request.file
    );
    let mut user = String::new();
    if on_selection {
        let fence = fence_for(&[&request.before, &request.selected, &request.after]);
        user.push_str(&format!(
            "The file, with the part to work on between the SELECTION markers:\n{fence}\n{}<<<SELECTION\n{}\nSELECTION>>>{}\n{fence}\n",
            request.before, request.selected, request.after
        ));
    } else {
        let fence = fence_for(&[&request.before]);
        user.push_str(&format!(
            "The file:\n{fence}\n{}\n{fence}\n",
            request.before
        ));
    }
    if let Some(diagnostic) = request
        .diagnostic
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        let plain = strip_ansi_escapes::strip_str(diagnostic);
        user.push_str(&format!("\nThe error:\n```\n{}\n```\n", plain.trim()));
    }
    if !request.instruction.trim().is_empty() {
        user.push_str(&format!("\nInstruction: {}\n", request.instruction.trim()));
    }
    vec![
        ChatMessage::new(Role::System, system),
        ChatMessage::new(Role::User, user),
    ]
}

/// The proposed whole file from a reply: the code of its largest fenced block, put in
/// place of the selection when there was one. `None` when the reply holds no code.
pub fn proposed_text(request: &CodeActionRequest, reply: &str) -> Option<String> {
    let code = largest_block(reply)?;
    if request.selected.is_empty() {
        let mut text = code;
        // Files end as they began: with a final newline or without.
        if request.before.ends_with('\n') && !text.ends_with('\n') {
            text.push('\n');
        }
        return Some(text);
    }
    let mut replacement = code;
    if !request.selected.ends_with('\n') {
        while replacement.ends_with('\n') {
            replacement.pop();
        }
    } else if !replacement.ends_with('\n') {
        replacement.push('\n');
    }
    Some(format!("{}{replacement}{}", request.before, request.after))
}

/// The content of the largest fenced code block.
fn largest_block(reply: &str) -> Option<String> {
    let mut blocks = Vec::new();
    let mut lines = reply.lines();
    while let Some(line) = lines.by_ref().next() {
        let trimmed = line.trim_start();
        if !trimmed.starts_with("```") {
            continue;
        }
        let fence: String = trimmed.chars().take_while(|c| *c == '`').collect();
        let mut body = Vec::new();
        for inner in lines.by_ref() {
            if inner.trim_start().starts_with(&fence) && inner.trim() == fence {
                break;
            }
            body.push(inner);
        }
        blocks.push(body.join("\n") + "\n");
    }
    blocks.into_iter().max_by_key(String::len)
}

fn fence_for(texts: &[&str]) -> String {
    let longest = texts
        .iter()
        .flat_map(|t| t.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::auth::WorkspaceRef;

    fn request(before: &str, selected: &str, after: &str) -> CodeActionRequest {
        CodeActionRequest {
            workspace: WorkspaceRef::parse("ada/web").unwrap(),
            file: "/workspace/app.py".into(),
            before: before.into(),
            selected: selected.into(),
            after: after.into(),
            kind: CodeActionKind::Refactor,
            instruction: String::new(),
            diagnostic: Some("\u{1b}[31mNameError\u{1b}[0m".into()),
            provider: None,
        }
    }

    #[test]
    fn a_whole_file_comes_back_whole() {
        let asked = request("a = 1\nprint(b)\n", "", "");
        let reply = "Sure:\n```python\na = 1\nprint(a)\n```\nDone.";
        assert_eq!(proposed_text(&asked, reply).unwrap(), "a = 1\nprint(a)\n");
        assert_eq!(proposed_text(&asked, "no code here"), None);
        let sent = messages(&asked);
        assert!(sent[0].content.contains("complete new file"));
        assert!(sent[1].content.contains("NameError") && !sent[1].content.contains('\u{1b}'));
    }

    #[test]
    fn a_selection_is_replaced_between_what_surrounds_it() {
        let asked = request("def f():\n", "    return 1", "\n\nf()\n");
        let reply = "```\n    return 2\n```";
        assert_eq!(
            proposed_text(&asked, reply).unwrap(),
            "def f():\n    return 2\n\nf()\n"
        );
        assert!(messages(&asked)[1]
            .content
            .contains("<<<SELECTION\n    return 1\nSELECTION>>>"));
    }

    #[test]
    fn the_largest_block_wins_and_longer_fences_hold_backticks() {
        let reply = "```sh\nrun\n```\n````md\nuse ``` here\nand more\n````";
        assert_eq!(largest_block(reply).unwrap(), "use ``` here\nand more\n");
    }
}
