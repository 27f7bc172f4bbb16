//! Search/replace edits as a model writes them: the search text must match exactly one
//! place. Models copy code imperfectly, so a search that does not match exactly is tried
//! again ignoring leading whitespace and blank lines; when that fails too, the answer says
//! where the closest text is ("did you mean"), so the model can correct itself instead of
//! failing blind.

/// Why an edit was not applied, in words a model can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditMiss {
    #[error("the search text is empty")]
    EmptySearch,
    #[error(
        "the search text matches {0} places; include more surrounding lines so it matches one"
    )]
    Ambiguous(usize),
    #[error("the search text matches nothing{}", hint(.0))]
    NotFound(Option<String>),
}

fn hint(closest: &Option<String>) -> String {
    match closest {
        Some(text) => format!("; did you mean these lines?\n{text}"),
        None => String::new(),
    }
}

/// `text` with the one place `search` matches replaced by `replace`.
pub fn apply(text: &str, search: &str, replace: &str) -> Result<String, EditMiss> {
    if search.trim().is_empty() {
        return Err(EditMiss::EmptySearch);
    }
    match text.matches(search).count() {
        1 => return Ok(text.replacen(search, replace, 1)),
        0 => {}
        many => return Err(EditMiss::Ambiguous(many)),
    }
    loose(text, search, replace)
}

/// A line compared without its indentation or trailing spaces.
fn key(line: &str) -> &str {
    line.trim()
}

/// Matches line by line, ignoring indentation and blank lines; replaces the whole lines.
fn loose(text: &str, search: &str, replace: &str) -> Result<String, EditMiss> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let wanted: Vec<&str> = search.lines().map(key).filter(|l| !l.is_empty()).collect();
    // Indexes of the text's non-blank lines, so blank lines never break a match.
    let solid: Vec<usize> = (0..lines.len())
        .filter(|&i| !key(lines[i]).is_empty())
        .collect();
    let matches: Vec<(usize, usize)> = (0..solid.len().saturating_sub(wanted.len() - 1))
        .filter(|&start| {
            wanted
                .iter()
                .enumerate()
                .all(|(k, w)| key(lines[solid[start + k]]) == *w)
        })
        .map(|start| (solid[start], solid[start + wanted.len() - 1]))
        .collect();
    match matches.as_slice() {
        [(first, last)] => {
            let mut replacement = replace.to_owned();
            if lines[*last].ends_with('\n') && !replacement.ends_with('\n') {
                replacement.push('\n');
            }
            Ok(format!(
                "{}{replacement}{}",
                lines[..*first].concat(),
                lines[last + 1..].concat()
            ))
        }
        [] => Err(EditMiss::NotFound(closest(&lines, &solid, &wanted))),
        many => Err(EditMiss::Ambiguous(many.len())),
    }
}

/// The stretch of the text most like the search: the window (of the search's length, in
/// non-blank lines) sharing the most words with it, line by line, shown with numbers.
fn closest(lines: &[&str], solid: &[usize], wanted: &[&str]) -> Option<String> {
    let size = wanted.len().min(solid.len());
    if size == 0 {
        return None;
    }
    let (score, start) = (0..=solid.len() - size)
        .map(|start| {
            let score: usize = (0..size)
                .map(|k| shared_words(key(lines[solid[start + k]]), wanted[k]))
                .sum();
            (score, start)
        })
        .max_by_key(|&(score, start)| (score, std::cmp::Reverse(start)))?;
    (score > 0).then(|| {
        (solid[start]..=solid[start + size - 1])
            .map(|i| format!("{:>5} | {}", i + 1, lines[i].trim_end()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// How many words two lines share.
fn shared_words(a: &str, b: &str) -> usize {
    let words = |s: &str| -> std::collections::HashSet<String> {
        s.split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    words(a).intersection(&words(b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "fn main() {\n    let x = 1;\n\n    println!(\"{x}\");\n}\n";

    #[test]
    fn an_exact_search_is_replaced_once() {
        let edited = apply(CODE, "let x = 1;", "let x = 2;").unwrap();
        assert!(edited.contains("let x = 2;"));
        assert_eq!(apply("a a", "a", "b"), Err(EditMiss::Ambiguous(2)));
        assert_eq!(apply(CODE, "  \n", "x"), Err(EditMiss::EmptySearch));
    }

    #[test]
    fn indentation_and_blank_lines_do_not_stop_a_match() {
        // The model lost the indentation and the blank line between the two statements.
        let search = "let x = 1;\nprintln!(\"{x}\");";
        let replace = "    let x = 2;\n    println!(\"x is {x}\");";
        let edited = apply(CODE, search, replace).unwrap();
        assert_eq!(
            edited,
            "fn main() {\n    let x = 2;\n    println!(\"x is {x}\");\n}\n"
        );
    }

    #[test]
    fn a_miss_points_at_the_closest_lines() {
        let miss = apply(CODE, "let y = 1;\nprintln!(\"{y}\");", "").unwrap_err();
        let EditMiss::NotFound(Some(closest)) = &miss else {
            panic!("{miss:?}");
        };
        assert!(closest.contains("    2 |     let x = 1;"), "{closest}");
        assert!(miss.to_string().contains("did you mean"));
        assert_eq!(
            apply(CODE, "nothing like it at all", ""),
            Err(EditMiss::NotFound(None))
        );
    }

    #[test]
    fn a_loose_match_in_two_places_is_ambiguous() {
        let text = "if a {\n  go();\n}\nif a {\n    go();\n}\n";
        assert_eq!(
            apply(text, "if a {\ngo();", "x"),
            Err(EditMiss::Ambiguous(2))
        );
    }
}
