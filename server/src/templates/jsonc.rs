//! JSON with comments and trailing commas (JSONC, as devcontainer.json files are written)
//! read as plain JSON.

/// JSON with comments (`//`, `/* */`) and trailing commas, as plain JSON. Strings are left
/// alone, escapes included.
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            (',', _) => {
                // A comma followed only by blanks and comments, then a closing bracket, is
                // a trailing one.
                if !matches!(next_significant(chars.clone()), Some('}' | ']')) {
                    out.push(',');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The next character that is neither blank nor in a comment.
fn next_significant(mut chars: std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            (c, _) if c.is_whitespace() => {}
            ('/', Some('/')) => {
                chars.find(|&c| c == '\n')?;
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                chars.find(|&c| std::mem::replace(&mut last, c) == '*' && c == '/')?;
            }
            (c, _) => return Some(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn comments_and_trailing_commas_go_but_strings_stay() {
        let text = r#"{"a": "http://x/*y*/", "b": "q\"//", /* c */ "d": [1, 2,], // e
        }"#;
        let value: Value = serde_json::from_str(&strip(text)).unwrap();
        assert_eq!(value["a"], "http://x/*y*/");
        assert_eq!(value["b"], "q\"//");
        assert_eq!(value["d"], serde_json::json!([1, 2]));
    }
}
