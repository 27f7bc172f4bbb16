//! AiCockpit's own settings in a devcontainer.json, under `customizations.aicockpit`: the
//! new workspace's defaults (`cpus`, `memory` in MiB, `idleStop` in minutes), `sudo` for
//! root inside by passwordless sudo, and its outbound `network` (`none`, `allowlist`,
//! `open`) with the `allowedHosts` its allowlist adds. Whether the last three are honoured
//! depends on who made the template: an admin's are, a repository's are not (see
//! `Template::setup`). Other tools' customizations are reported as not used.

use serde_json::{Map, Value};

use super::devcontainer::{invalid, Defaults, DevContainerError};
use crate::egress::allowlist::HostPattern;

pub(super) fn own_defaults(
    object: &mut Map<String, Value>,
    defaults: &mut Defaults,
    ignored: &mut Vec<String>,
) -> Result<(), DevContainerError> {
    let Some(value) = object.remove("customizations") else {
        return Ok(());
    };
    let Value::Object(mut tools) = value else {
        return Err(invalid("customizations", "must be an object"));
    };
    if let Some(ours) = tools.remove("aicockpit") {
        let Value::Object(mut ours) = ours else {
            return Err(invalid("customizations.aicockpit", "must be an object"));
        };
        read(&mut ours, defaults)?;
        ignored.extend(
            ours.keys().map(|key| {
                format!("`customizations.aicockpit.{key}`: not a setting AiCockpit has")
            }),
        );
    }
    ignored.extend(
        tools
            .keys()
            .map(|tool| format!("`customizations.{tool}`: for another tool")),
    );
    Ok(())
}

fn read(ours: &mut Map<String, Value>, defaults: &mut Defaults) -> Result<(), DevContainerError> {
    let key = |name: &str| format!("customizations.aicockpit.{name}");
    let number = |ours: &mut Map<String, Value>, name: &str| match ours.remove(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|n| *n > 0.0)
            .map(Some)
            .ok_or_else(|| invalid(&key(name), "must be a positive number")),
    };
    if let Some(cpus) = number(ours, "cpus")? {
        defaults.cpus = Some(cpus);
    }
    if let Some(memory) = number(ours, "memory")? {
        defaults.memory_mib = Some(memory as u64);
    }
    if let Some(idle) = number(ours, "idleStop")? {
        defaults.idle_minutes = Some(idle as u32);
    }
    match ours.remove("sudo") {
        None => {}
        Some(Value::Bool(sudo)) => defaults.sudo = sudo,
        Some(_) => return Err(invalid(&key("sudo"), "must be true or false")),
    }
    match ours.remove("network") {
        None => {}
        Some(Value::String(level)) => {
            defaults.network = Some(app::model::NetworkLevel::parse(&level).ok_or_else(|| {
                invalid(
                    &key("network"),
                    "must be \"none\", \"allowlist\" or \"open\"",
                )
            })?)
        }
        Some(_) => return Err(invalid(&key("network"), "must be a string")),
    }
    match ours.remove("allowedHosts") {
        None => {}
        Some(Value::Array(hosts)) => {
            for host in hosts {
                let pattern = host
                    .as_str()
                    .ok_or_else(|| "must be strings".to_owned())
                    .and_then(|h| h.parse::<HostPattern>().map(|_| h.to_owned()))
                    .map_err(|why| invalid(&key("allowedHosts"), why))?;
                defaults.allowed_hosts.push(pattern);
            }
        }
        Some(_) => {
            return Err(invalid(
                &key("allowedHosts"),
                "must be an array of host patterns",
            ))
        }
    }
    Ok(())
}
