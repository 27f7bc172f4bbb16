//! Reading a shell line the way the risk rules need it: its simple commands as words,
//! the program each runs (through wrappers such as `sudo`, `env` or `timeout`), the script of
//! `sh -c`, and the files its redirections write.

/// Whether a command has the option `short` (alone or in a cluster like `-rf`) or `long`.
pub(super) fn has_flag(words: &[&str], short: char, long: &str) -> bool {
    words
        .iter()
        .skip(1)
        .any(|w| *w == long || (w.starts_with('-') && !w.starts_with("--") && w.contains(short)))
}

/// Programs that run another: `sudo x`, `env A=1 x`, `timeout 9 x`, `nice -n 5 x`.
const WRAPPERS: &[&str] = &[
    "sudo", "doas", "env", "nice", "ionice", "nohup", "time", "timeout", "stdbuf", "command",
    "exec", "xargs", "watch", "chronic", "setsid", "busybox", "flock", "strace", "chroot",
];

/// A wrapper's own argument: an option, an assignment, a number or a duration (`10s`).
fn wrapper_argument(word: &str) -> bool {
    word.starts_with('-')
        || word.contains('=')
        || word.starts_with(|c: char| c.is_ascii_digit())
            && word
                .trim_end_matches(['s', 'm', 'h', 'd'])
                .parse::<f64>()
                .is_ok()
}

pub(super) fn program<'a>(words: &[&'a str]) -> &'a str {
    // Judge the program a wrapper runs (and the wrapper by its own rules).
    let mut rest = words;
    let mut wrapped = false;
    while let Some((first, tail)) = rest.split_first() {
        if WRAPPERS.contains(first) || first.contains('=') || wrapped && wrapper_argument(first) {
            wrapped |= WRAPPERS.contains(first);
            rest = tail;
        } else {
            return first.rsplit('/').next().unwrap_or(first);
        }
    }
    ""
}

/// Shells whose `-c` script is judged as a line of its own.
pub(super) const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ash", "ksh"];

/// The script of `sh -c '…'`, if that is what the words are.
pub(super) fn shell_script<'a>(words: &[&'a str]) -> Option<&'a str> {
    let shell = SHELLS.contains(&program(words));
    let at = words.iter().position(|w| *w == "-c")?;
    shell.then(|| words.get(at + 1).copied()).flatten()
}

/// Splits a line into pipelines (at `;`, `&&`, `||`, `&`, newlines and brackets), each as
/// its simple commands in order (split at a single `|`), each as its words (quotes kept
/// simple: a quoted string is one word, its quotes removed).
pub(super) fn pipelines(line: &str) -> Vec<Vec<Vec<String>>> {
    let mut pipelines: Vec<Vec<Vec<String>>> = vec![vec![Vec::new()]];
    let mut word = String::new();
    let mut quote = None;
    let mut chars = line.chars().peekable();
    let end_word = |word: &mut String, pipelines: &mut Vec<Vec<Vec<String>>>| {
        if !word.is_empty() {
            if let Some(last) = pipelines.last_mut().and_then(|p| p.last_mut()) {
                last.push(std::mem::take(word));
            }
        }
    };
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => quote = Some(c),
            (None, ' ' | '\t') => end_word(&mut word, &mut pipelines),
            // A single `|` carries one command's output to the next.
            (None, '|') if chars.peek() != Some(&'|') => {
                end_word(&mut word, &mut pipelines);
                if let Some(last) = pipelines.last_mut() {
                    last.push(Vec::new());
                }
            }
            (None, ';' | '|' | '&' | '\n' | '(' | ')' | '`') => {
                end_word(&mut word, &mut pipelines);
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                pipelines.push(vec![Vec::new()]);
            }
            (None, c) => word.push(c),
        }
    }
    end_word(&mut word, &mut pipelines);
    for pipeline in &mut pipelines {
        pipeline.retain(|c| !c.is_empty());
    }
    pipelines.retain(|p| !p.is_empty());
    pipelines
}

/// The files `>` and `>>` write to in a line.
pub(super) fn redirect_targets(line: &str) -> Vec<String> {
    line.match_indices('>')
        .filter_map(|(at, _)| {
            let rest = line[at + 1..].trim_start_matches('>').trim_start();
            rest.split(|c: char| c.is_whitespace() || ";|&".contains(c))
                .next()
                .filter(|w| !w.is_empty() && !w.starts_with('&'))
                .map(str::to_owned)
        })
        .collect()
}
