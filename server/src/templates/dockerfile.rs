//! What a repository's Dockerfile may ask of the engine, read before it is built. The
//! engine fetches an `ADD` of a URL or a git repository itself, on the host's network —
//! where the host's own services are — so remote sources are refused; and every image it
//! builds on (`FROM`, `COPY --from`) is named, for the image policy to check (another
//! user's repository build carries their files).

use std::collections::{BTreeMap, HashSet};

/// Why a Dockerfile is not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("line {line}: `ADD {address}` would be fetched by the container engine on this server's own network; copy the file into the repository, or download it in a `RUN` step (which uses the workspace's network)")]
    RemoteSource { line: usize, address: String },
    #[error("line {line}: `{text}` names what it reads with a variable that is not known before the build ({variable}); write it out")]
    Computed {
        line: usize,
        text: String,
        variable: String,
    },
    #[error("the Dockerfile has no `FROM`")]
    NoBase,
}

/// The images a Dockerfile builds on, as named after its arguments are filled in.
pub fn base_images(text: &str, args: &BTreeMap<String, String>) -> Result<Vec<String>, Refused> {
    let mut known: BTreeMap<String, String> = args.clone();
    let mut stages: HashSet<String> = HashSet::new();
    let mut images = Vec::new();
    let mut seen_from = false;
    for (line, instruction) in instructions(text) {
        let (keyword, rest) = split_keyword(&instruction);
        // `ONBUILD ADD …` runs in whatever builds on this image: judged the same.
        let (keyword, rest) = match keyword.as_str() {
            "ONBUILD" => split_keyword(rest),
            _ => (keyword, rest),
        };
        match keyword.as_str() {
            "ARG" => {
                for declaration in rest.split_whitespace() {
                    let (name, default) = declaration
                        .split_once('=')
                        .map_or((declaration, None), |(n, d)| (n, Some(d)));
                    if let Some(default) = default {
                        let value = expand(default, &known).unwrap_or_default();
                        known.entry(name.to_owned()).or_insert(unquote(&value));
                    }
                }
            }
            "FROM" => {
                seen_from = true;
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let Some(image) = words.first() else {
                    return Err(Refused::NoBase);
                };
                let image = computed(image, &known, line, &instruction)?;
                if let [_, as_word, name] = words[..] {
                    if as_word.eq_ignore_ascii_case("as") {
                        stages.insert(name.to_ascii_lowercase());
                    }
                }
                if !stages.contains(&image.to_ascii_lowercase()) && image != "scratch" {
                    images.push(image);
                }
            }
            "COPY" => {
                for flag in rest.split_whitespace().filter(|w| w.starts_with("--from=")) {
                    let from = computed(&flag["--from=".len()..], &known, line, &instruction)?;
                    let stage = stages.contains(&from.to_ascii_lowercase())
                        || from.parse::<usize>().is_ok();
                    if !stage {
                        images.push(from);
                    }
                }
            }
            "ADD" => {
                for source in sources(rest) {
                    let source = computed(&source, &known, line, &instruction)?;
                    if is_remote(&source) {
                        return Err(Refused::RemoteSource {
                            line,
                            address: source,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    if !seen_from {
        return Err(Refused::NoBase);
    }
    Ok(images)
}

/// `word` with its variables filled in, or why it cannot be.
fn computed(
    word: &str,
    known: &BTreeMap<String, String>,
    line: usize,
    instruction: &str,
) -> Result<String, Refused> {
    expand(word, known).map_err(|variable| Refused::Computed {
        line,
        text: instruction.to_owned(),
        variable,
    })
}

/// `$NAME`, `${NAME}` and `${NAME:-default}` filled in from `known`; the first unknown
/// variable's name otherwise.
fn expand(word: &str, known: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        let (name, default) = if chars.peek() == Some(&'{') {
            chars.next();
            let inner: String = chars.by_ref().take_while(|c| *c != '}').collect();
            match inner.split_once(":-") {
                Some((name, default)) => (name.to_owned(), Some(default.to_owned())),
                None => (inner, None),
            }
        } else {
            let mut name = String::new();
            while let Some(c) = chars
                .peek()
                .filter(|c| c.is_ascii_alphanumeric() || **c == '_')
            {
                name.push(*c);
                chars.next();
            }
            (name, None)
        };
        match (known.get(&name), default) {
            (Some(value), _) if !value.is_empty() => out.push_str(value),
            (_, Some(default)) => out.push_str(&default),
            _ => return Err(name),
        }
    }
    Ok(out)
}

/// An ADD's sources: every argument but the flags and the last (the destination), in the
/// JSON form or, as the engine reads anything else, split at spaces.
fn sources(rest: &str) -> Vec<String> {
    let mut rest = rest.trim();
    while rest.starts_with("--") {
        rest = rest
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r.trim_start());
    }
    let words: Vec<String> = serde_json::from_str(rest)
        .unwrap_or_else(|_| rest.split_whitespace().map(str::to_owned).collect());
    match words.split_last() {
        Some((_, sources)) => sources.to_vec(),
        None => Vec::new(),
    }
}

fn is_remote(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    let scheme = lower.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    scheme || lower.starts_with("git@") || lower.starts_with("github.com/")
}

fn unquote(value: &str) -> String {
    value.trim_matches('"').trim_matches('\'').to_owned()
}

fn split_keyword(instruction: &str) -> (String, &str) {
    let instruction = instruction.trim_start();
    let (keyword, rest) = instruction
        .split_once(char::is_whitespace)
        .unwrap_or((instruction, ""));
    (keyword.to_ascii_uppercase(), rest.trim_start())
}

/// The instructions with their first line number: comments dropped, continued lines
/// joined (the escape character is `\` unless a `# escape=` directive says otherwise).
fn instructions(text: &str) -> Vec<(usize, String)> {
    let mut escape = '\\';
    let mut found = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut directives = true;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if directives {
            if let Some(value) = line
                .strip_prefix('#')
                .and_then(|d| d.trim().strip_prefix("escape="))
            {
                escape = value.trim().chars().next().unwrap_or('\\');
                continue;
            }
            directives = line.starts_with('#') && line.contains('=');
        }
        if line.starts_with('#') || (line.is_empty() && current.is_none()) {
            continue;
        }
        let (text, continues) = match line.strip_suffix(escape) {
            Some(text) => (text, true),
            None => (line, false),
        };
        let entry = current.get_or_insert_with(|| (index + 1, String::new()));
        entry.1.push_str(text);
        entry.1.push(' ');
        if !continues {
            found.extend(current.take());
        }
    }
    found.extend(current);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(text: &str) -> Result<Vec<String>, Refused> {
        base_images(
            text,
            &BTreeMap::from([("AICOCKPIT_DEV_IMAGE".into(), "dev:1".into())]),
        )
    }

    #[test]
    fn remote_sources_are_refused_in_every_spelling() {
        for add in [
            "ADD http://127.0.0.1:8080/secret /s",
            "add https://example.com/x.tar.gz /opt/",
            "ADD --chown=dev ftp://h/x /x",
            "ADD [\"http://169.254.169.254/latest\", \"/m\"]",
            "ADD git@github.com:org/repo.git /src",
            "ADD https://github.com/org/repo.git#main /src",
            "ARG U=http://10.0.0.1/x\nADD $U /x",
            "ADD \\\n  http://127.0.0.1/x \\\n  /x",
            "ONBUILD ADD http://127.0.0.1/x /x",
        ] {
            let text = format!("FROM dev:1\n{add}\n");
            match images(&text) {
                Err(Refused::RemoteSource { .. }) => {}
                other => panic!("{add}: {other:?}"),
            }
        }
        let message = images("FROM dev:1\nADD http://127.0.0.1:9/s /s")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 2") && message.contains("RUN"),
            "{message}"
        );
    }

    #[test]
    fn local_sources_and_copies_build() {
        let text = "# a comment\nFROM ${AICOCKPIT_DEV_IMAGE}\nADD app.tar.gz /opt/\nADD [\"a b\", \"/x\"]\nCOPY . /src\nRUN curl -o /x https://example.com/\n";
        assert_eq!(images(text).unwrap(), ["dev:1"]);
    }

    #[test]
    fn every_image_built_on_is_named_with_its_arguments_filled_in() {
        let text = "ARG BASE=debian\nARG TAG\nFROM ${BASE}:${TAG:-12} AS build\nRUN make\nFROM --platform=linux/amd64 $AICOCKPIT_DEV_IMAGE\nCOPY --from=build /out /out\nCOPY --from=0 /a /a\nCOPY --from=ghost/tools:1 /t /t\nFROM scratch\n";
        assert_eq!(
            images(text).unwrap(),
            ["debian:12", "dev:1", "ghost/tools:1"]
        );
        // A build argument given with the build wins over the default.
        let args = BTreeMap::from([("BASE".into(), "alpine".into())]);
        assert_eq!(
            base_images("ARG BASE=debian\nFROM $BASE", &args).unwrap(),
            ["alpine"]
        );
    }

    #[test]
    fn what_cannot_be_known_before_the_build_is_refused() {
        assert!(
            matches!(images("FROM $NOWHERE"), Err(Refused::Computed { variable, .. }) if variable == "NOWHERE")
        );
        assert!(matches!(
            images("FROM dev:1\nADD $X /x"),
            Err(Refused::Computed { .. })
        ));
        assert_eq!(images("RUN true"), Err(Refused::NoBase));
        // A different escape character.
        let text = "# escape=`\nFROM dev:1\nADD `\n  http://127.0.0.1/x /x";
        assert!(matches!(images(text), Err(Refused::RemoteSource { .. })));
    }
}
