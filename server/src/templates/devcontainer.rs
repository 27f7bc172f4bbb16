//! The part of devcontainer.json AiCockpit understands: `image` or `build` (`dockerfile`,
//! `context`, `args`), `containerEnv`, `remoteUser`, `postCreateCommand`,
//! `postStartCommand`, `forwardPorts`, `hostRequirements` (as default limits), and its own
//! settings under `customizations.aicockpit` (see `customizations`). The file may have
//! comments and trailing commas, as the format allows. Keys it does not understand are
//! listed in [`DevContainer::ignored`], never dropped silently.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::customizations::own_defaults;
use super::jsonc;

/// The user AiCockpit's images run as (uid 1000).
pub const WORKSPACE_USER_NAME: &str = "dev";

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An image already on this machine.
    Image(String),
    /// A Dockerfile, with paths relative to the devcontainer.json.
    Build {
        dockerfile: String,
        context: String,
        args: BTreeMap<String, String>,
    },
}

/// What a template asks of a new workspace, where its creator does not choose otherwise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Defaults {
    pub cpus: Option<f64>,
    pub memory_mib: Option<u64>,
    pub idle_minutes: Option<u32>,
    /// `customizations.aicockpit.sudo`: root inside the workspace, by passwordless `sudo`.
    pub sudo: bool,
    /// `customizations.aicockpit.network`: the new workspace's network level.
    pub network: Option<app::model::NetworkLevel>,
    /// `customizations.aicockpit.allowedHosts`: more hosts its allowlist holds.
    pub allowed_hosts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DevContainer {
    pub name: Option<String>,
    pub source: Source,
    pub container_env: BTreeMap<String, String>,
    /// Shell commands, run as the workspace user in `/workspace`.
    pub post_create: Option<String>,
    pub post_start: Option<String>,
    pub forward_ports: Vec<u16>,
    pub defaults: Defaults,
    /// What was in the file but is not used, each with the reason: shown to whoever adds
    /// or uses the template.
    pub ignored: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DevContainerError {
    #[error("devcontainer.json is not valid JSON: {0}")]
    Syntax(String),
    #[error("devcontainer.json: {key} {reason}")]
    Invalid { key: String, reason: String },
}

pub(super) fn invalid(key: &str, reason: impl Into<String>) -> DevContainerError {
    DevContainerError::Invalid {
        key: format!("`{key}`"),
        reason: reason.into(),
    }
}

/// Reads a devcontainer.json.
pub fn parse(text: &str) -> Result<DevContainer, DevContainerError> {
    let value: Value = serde_json::from_str(&jsonc::strip(text))
        .map_err(|e| DevContainerError::Syntax(e.to_string()))?;
    let Value::Object(mut object) = value else {
        return Err(DevContainerError::Syntax(
            "the file must hold one object".into(),
        ));
    };
    let mut ignored = Vec::new();
    let name = take_string(&mut object, "name")?;
    let source = source(&mut object)?;
    let container_env = take_strings(&mut object, "containerEnv")?;
    match take_string(&mut object, "remoteUser")?.as_deref() {
        None | Some(WORKSPACE_USER_NAME) => {}
        Some(other) => ignored.push(format!(
            "`remoteUser` \"{other}\": workspaces always run as `{WORKSPACE_USER_NAME}` (uid 1000)"
        )),
    }
    let post_create = take_command(&mut object, "postCreateCommand")?;
    let post_start = take_command(&mut object, "postStartCommand")?;
    let forward_ports = forward_ports(&mut object, &mut ignored)?;
    let mut defaults = host_requirements(&mut object, &mut ignored)?;
    own_defaults(&mut object, &mut defaults, &mut ignored)?;
    object.remove("$schema");
    ignored.extend(
        object
            .keys()
            .map(|key| format!("`{key}`: not supported by AiCockpit")),
    );
    Ok(DevContainer {
        name,
        source,
        container_env,
        post_create,
        post_start,
        forward_ports,
        defaults,
        ignored,
    })
}

fn source(object: &mut Map<String, Value>) -> Result<Source, DevContainerError> {
    let image = take_string(object, "image")?;
    let build = object.remove("build");
    // The older top-level form.
    let dockerfile = take_string(object, "dockerFile")?;
    match (image, build, dockerfile) {
        (Some(image), None, None) => Ok(Source::Image(image)),
        (None, Some(Value::Object(mut build)), None) => {
            let dockerfile = take_string(&mut build, "dockerfile")?
                .ok_or_else(|| invalid("build.dockerfile", "is missing"))?;
            let context = take_string(&mut build, "context")?.unwrap_or_else(|| ".".into());
            let args = take_strings(&mut build, "args")?;
            if let Some(key) = build.keys().next() {
                return Err(invalid(&format!("build.{key}"), "is not supported"));
            }
            Ok(Source::Build {
                dockerfile,
                context,
                args,
            })
        }
        (None, None, Some(dockerfile)) => Ok(Source::Build {
            dockerfile,
            context: ".".into(),
            args: BTreeMap::new(),
        }),
        (None, None, None) => Err(invalid("image", "or `build.dockerfile` is needed")),
        _ => Err(invalid("image", "and `build` cannot both be given")),
    }
}

fn take_string(
    object: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<String>, DevContainerError> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid(key, "must be a string")),
    }
}

/// An object of strings (numbers and booleans are written out, as in an environment).
fn take_strings(
    object: &mut Map<String, Value>,
    key: &str,
) -> Result<BTreeMap<String, String>, DevContainerError> {
    let Some(value) = object.remove(key) else {
        return Ok(BTreeMap::new());
    };
    let Value::Object(entries) = value else {
        return Err(invalid(key, "must be an object of names and values"));
    };
    entries
        .into_iter()
        .map(|(name, value)| match value {
            Value::String(text) => Ok((name, text)),
            Value::Number(n) => Ok((name, n.to_string())),
            Value::Bool(b) => Ok((name, b.to_string())),
            _ => Err(invalid(&format!("{key}.{name}"), "must be a string")),
        })
        .collect()
}

/// A command as a shell line: a string as it is, an array with each part quoted.
fn take_command(
    object: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<String>, DevContainerError> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(line)) => Ok(Some(line).filter(|l| !l.trim().is_empty())),
        Some(Value::Array(parts)) => {
            let parts: Option<Vec<String>> = parts
                .into_iter()
                .map(|p| p.as_str().map(shell_quote))
                .collect();
            parts
                .map(|p| Some(p.join(" ")))
                .ok_or_else(|| invalid(key, "must be a string or an array of strings"))
        }
        Some(Value::Object(_)) => Err(invalid(
            key,
            "as an object (commands run in parallel) is not supported; join them into one command",
        )),
        Some(_) => Err(invalid(key, "must be a string or an array of strings")),
    }
}

fn shell_quote(part: &str) -> String {
    format!("'{}'", part.replace('\'', r"'\''"))
}

fn forward_ports(
    object: &mut Map<String, Value>,
    ignored: &mut Vec<String>,
) -> Result<Vec<u16>, DevContainerError> {
    let Some(value) = object.remove("forwardPorts") else {
        return Ok(Vec::new());
    };
    let Value::Array(entries) = value else {
        return Err(invalid("forwardPorts", "must be an array of ports"));
    };
    let mut ports = Vec::new();
    for entry in entries {
        let port = match &entry {
            Value::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        match port {
            Some(port) if port >= 1024 => ports.push(port),
            _ => ignored.push(format!(
                "`forwardPorts` {entry}: only ports 1024 to 65535 of the workspace itself"
            )),
        }
    }
    Ok(ports)
}

/// The standard `hostRequirements`, as default limits.
fn host_requirements(
    object: &mut Map<String, Value>,
    ignored: &mut Vec<String>,
) -> Result<Defaults, DevContainerError> {
    let mut defaults = Defaults::default();
    let Some(value) = object.remove("hostRequirements") else {
        return Ok(defaults);
    };
    let Value::Object(mut requirements) = value else {
        return Err(invalid("hostRequirements", "must be an object"));
    };
    if let Some(cpus) = requirements.remove("cpus") {
        defaults.cpus = Some(
            cpus.as_f64()
                .ok_or_else(|| invalid("hostRequirements.cpus", "must be a number"))?,
        );
    }
    if let Some(memory) = requirements.remove("memory") {
        defaults.memory_mib =
            Some(memory.as_str().and_then(memory_mib).ok_or_else(|| {
                invalid("hostRequirements.memory", "must be a size such as \"4gb\"")
            })?);
    }
    ignored.extend(
        requirements
            .keys()
            .map(|key| format!("`hostRequirements.{key}`: not supported by AiCockpit")),
    );
    Ok(defaults)
}

/// "4gb", "512mb" (the units devcontainer.json uses) in MiB.
fn memory_mib(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "tb" => 1024.0 * 1024.0,
        "gb" => 1024.0,
        "mb" => 1.0,
        "kb" => 1.0 / 1024.0,
        _ => return None,
    };
    Some((number * factor).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"{
        // A comment, and a trailing comma below.
        "name": "Python",
        "build": { "dockerfile": "Dockerfile", "args": { "VARIANT": "3", "N": 2, }, },
        "containerEnv": { "PIP_NO_CACHE_DIR": "1" },
        "remoteUser": "dev",
        "postCreateCommand": ["pip", "install", "-r", "it's.txt"],
        "postStartCommand": "echo started",
        "forwardPorts": [8000, "5000", 80, "db:5432"],
        "hostRequirements": { "cpus": 2, "memory": "4gb", "gpu": true },
        /* Block comment with "quotes" and // slashes. */
        "customizations": {
            "aicockpit": { "memory": 2048, "idleStop": 30, "sudo": true, "colour": "red",
                           "network": "allowlist", "allowedHosts": ["*.example.com", "10.0.0.5:3000"] },
            "vscode": { "extensions": ["ms-python.python"] }
        },
        "features": { "ghcr.io/devcontainers/features/node:1": {} },
        "$schema": "https://example.com/schema.json"
    }"#;

    #[test]
    fn the_supported_subset_is_read_and_the_rest_reported() {
        let parsed = parse(FULL).unwrap();
        assert_eq!(parsed.name.as_deref(), Some("Python"));
        assert_eq!(
            parsed.source,
            Source::Build {
                dockerfile: "Dockerfile".into(),
                context: ".".into(),
                args: BTreeMap::from([("N".into(), "2".into()), ("VARIANT".into(), "3".into())]),
            }
        );
        assert_eq!(parsed.container_env["PIP_NO_CACHE_DIR"], "1");
        assert_eq!(
            parsed.post_create.as_deref(),
            Some(r"'pip' 'install' '-r' 'it'\''s.txt'")
        );
        assert_eq!(parsed.post_start.as_deref(), Some("echo started"));
        assert_eq!(parsed.forward_ports, [8000, 5000]);
        // hostRequirements, then AiCockpit's own settings over them.
        assert_eq!(
            parsed.defaults,
            Defaults {
                cpus: Some(2.0),
                memory_mib: Some(2048),
                idle_minutes: Some(30),
                sudo: true,
                network: Some(app::model::NetworkLevel::Allowlist),
                allowed_hosts: vec!["*.example.com".into(), "10.0.0.5:3000".into()],
            }
        );
        let ignored = parsed.ignored.join("\n");
        for reported in [
            "`forwardPorts` 80",
            "`forwardPorts` \"db:5432\"",
            "`hostRequirements.gpu`",
            "`customizations.aicockpit.colour`",
            "`customizations.vscode`",
            "`features`",
        ] {
            assert!(ignored.contains(reported), "{reported} in:\n{ignored}");
        }
        assert!(!ignored.contains("schema"));
        assert_eq!(parsed.ignored.len(), 6);
    }

    #[test]
    fn an_image_template_and_the_old_dockerfile_key() {
        let image = parse(r#"{ "image": "aicockpit/dev:x" }"#).unwrap();
        assert_eq!(image.source, Source::Image("aicockpit/dev:x".into()));
        assert!(image.ignored.is_empty());
        let old = parse(r#"{ "dockerFile": "Dockerfile" }"#).unwrap();
        assert!(matches!(old.source, Source::Build { .. }));
    }

    #[test]
    fn what_cannot_be_honoured_is_an_error_naming_the_key() {
        for (text, key) in [
            ("{}", "`image`"),
            (
                r#"{ "image": "a", "build": { "dockerfile": "D" } }"#,
                "`image`",
            ),
            (r#"{ "build": {} }"#, "`build.dockerfile`"),
            (
                r#"{ "build": { "dockerfile": "D", "target": "x" } }"#,
                "`build.target`",
            ),
            (r#"{ "image": 3 }"#, "`image`"),
            (
                r#"{ "image": "a", "postCreateCommand": { "a": "x" } }"#,
                "`postCreateCommand`",
            ),
            (
                r#"{ "image": "a", "containerEnv": { "A": [] } }"#,
                "`containerEnv.A`",
            ),
            (
                r#"{ "image": "a", "hostRequirements": { "memory": "lots" } }"#,
                "`hostRequirements.memory`",
            ),
            (
                r#"{ "image": "a", "customizations": { "aicockpit": { "sudo": "yes" } } }"#,
                "`customizations.aicockpit.sudo`",
            ),
            (
                r#"{ "image": "a", "customizations": { "aicockpit": { "network": "wide" } } }"#,
                "`customizations.aicockpit.network`",
            ),
            (
                r#"{ "image": "a", "customizations": { "aicockpit": { "allowedHosts": ["http://x"] } } }"#,
                "`customizations.aicockpit.allowedHosts`",
            ),
        ] {
            match parse(text) {
                Err(DevContainerError::Invalid { key: found, .. }) => {
                    assert_eq!(found, key, "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(parse("[1]"), Err(DevContainerError::Syntax(_))));
        assert!(matches!(
            parse("{ nope }"),
            Err(DevContainerError::Syntax(_))
        ));
    }

    #[test]
    fn another_remote_user_is_reported_not_obeyed() {
        let parsed = parse(r#"{ "image": "a", "remoteUser": "vscode" }"#).unwrap();
        assert!(parsed.ignored[0].contains("always run as `dev`"));
    }

    #[test]
    fn memory_sizes_read_in_mib() {
        assert_eq!(memory_mib("4gb"), Some(4096));
        assert_eq!(memory_mib("512MB"), Some(512));
        assert_eq!(memory_mib("1.5gb"), Some(1536));
        assert_eq!(memory_mib("4"), None);
        assert_eq!(memory_mib("4 parsecs"), None);
    }
}
