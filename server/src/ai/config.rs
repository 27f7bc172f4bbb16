//! Which model providers AiCockpit talks to. Each is given on the command line (or in
//! `AICOCKPIT_AI_PROVIDERS`, separated by `;`) as
//! `name=local,url=http://127.0.0.1:11434/v1,model=qwen2.5-coder:7b[,key-env=VAR|key-file=PATH][,edits=whole|replace]`.
//! The key is read once at start-up from the variable or file it names, never from the spec
//! itself, so it stays out of process listings, and it never reaches a log or a browser.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::protocol::EditFormat;

/// An API key; shown as `…` wherever it is printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env(String),
    File(PathBuf),
}

/// A provider as written in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSpec {
    pub name: String,
    pub url: String,
    pub model: String,
    pub key: Option<KeySource>,
    /// How the agent asks this model to change files, when not left to the probe.
    pub edits: Option<EditFormat>,
}

impl FromStr for ProviderSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let (mut name, mut url, mut model, mut key, mut edits) = (None, None, None, None, None);
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, value) = part
                .split_once('=')
                .ok_or_else(|| format!("“{part}” is not field=value"))?;
            let value = value.trim().to_owned();
            match field.trim() {
                "name" => name = Some(value),
                "url" => url = Some(value.trim_end_matches('/').to_owned()),
                "model" => model = Some(value),
                "key-env" => key = Some(KeySource::Env(value)),
                "key-file" => key = Some(KeySource::File(value.into())),
                "edits" => {
                    edits = Some(match value.as_str() {
                        "whole" => EditFormat::Whole,
                        "replace" => EditFormat::SearchReplace,
                        _ => return Err(format!("edits=“{value}”: use whole or replace")),
                    })
                }
                other => {
                    return Err(format!(
                        "unknown field “{other}” (use name, url, model, key-env, key-file or edits)"
                    ))
                }
            }
        }
        let missing = |field: &str| format!("the provider “{spec}” lacks {field}=");
        let name = name.ok_or_else(|| missing("name"))?;
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid_name {
            return Err(format!(
                "the provider name “{name}” must be letters, digits, '-', '_' or '.'"
            ));
        }
        let url = url.ok_or_else(|| missing("url"))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "the provider URL “{url}” must start with http:// or https://"
            ));
        }
        let model = model.ok_or_else(|| missing("model"))?;
        Ok(Self {
            name,
            url,
            model,
            key,
            edits,
        })
    }
}

/// A provider ready to use: its key read.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    /// The API base, e.g. `http://127.0.0.1:11434/v1`, without a trailing slash.
    pub url: String,
    pub model: String,
    pub key: Option<ApiKey>,
    /// How the agent asks this model to change files; `None`: by its protocol.
    pub edits: Option<EditFormat>,
}

impl ProviderSpec {
    /// Reads the key from where the spec says.
    pub fn resolve(self) -> Result<ProviderConfig, String> {
        let key = match &self.key {
            None => None,
            Some(KeySource::Env(var)) => Some(std::env::var(var).map_err(|_| {
                format!(
                    "the API key of provider “{}” should be in ${var}, which is not set",
                    self.name
                )
            })?),
            Some(KeySource::File(path)) => Some(std::fs::read_to_string(path).map_err(|e| {
                format!(
                    "cannot read the API key of provider “{}” from {}: {e}",
                    self.name,
                    path.display()
                )
            })?),
        };
        Ok(ProviderConfig {
            name: self.name,
            url: self.url,
            model: self.model,
            key: key
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .map(ApiKey),
            edits: self.edits,
        })
    }
}

#[derive(Debug, Clone)]
pub struct AiSettings {
    pub providers: Vec<ProviderConfig>,
    /// How long to wait for a provider to start answering (a local server may be loading
    /// the model), and then for each further piece of the answer.
    pub answer_timeout: Duration,
    /// How long conversations (prompts and answers) are kept; zero keeps none.
    pub keep_conversations: Duration,
    pub agent: super::agent::AgentSettings,
}

impl Default for AiSettings {
    fn default() -> Self {
        Self {
            providers: Vec::new(),
            answer_timeout: Duration::from_secs(120),
            keep_conversations: Duration::from_secs(90 * 24 * 3600),
            agent: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_a_url_a_model_and_where_the_key_is() {
        let spec: ProviderSpec =
            "name=hosted, url=https://api.example.com/v1/, model=gpt-x, key-env=EXAMPLE_KEY"
                .parse()
                .unwrap();
        assert_eq!(spec.url, "https://api.example.com/v1");
        assert_eq!(spec.key, Some(KeySource::Env("EXAMPLE_KEY".into())));
        assert_eq!(spec.edits, None);
        let small: ProviderSpec = "name=s,url=http://x/v1,model=m,edits=whole"
            .parse()
            .unwrap();
        assert_eq!(small.edits, Some(EditFormat::Whole));
        for bad in [
            "name=a,url=http://x,model=m,edits=diff",
            "url=http://x,model=m",
            "name=a,model=m",
            "name=a,url=ftp://x,model=m",
            "name=a b,url=http://x,model=m",
            "name=a,url=http://x,model=m,key=secret",
            "name=a,url=http://x",
        ] {
            assert!(bad.parse::<ProviderSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_come_from_a_file_and_never_print() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, "sk-secret\n").unwrap();
        let spec = ProviderSpec {
            name: "p".into(),
            url: "http://x".into(),
            model: "m".into(),
            key: Some(KeySource::File(file)),
            edits: None,
        };
        let config = spec.resolve().unwrap();
        assert_eq!(config.key.as_ref().unwrap().expose(), "sk-secret");
        assert!(!format!("{config:?}").contains("sk-secret"));
        let unset = ProviderSpec {
            key: Some(KeySource::Env("AICOCKPIT_TEST_UNSET_KEY".into())),
            ..ProviderSpec::from_str("name=p,url=http://x,model=m").unwrap()
        };
        assert!(unset
            .resolve()
            .unwrap_err()
            .contains("AICOCKPIT_TEST_UNSET_KEY"));
    }
}
