//! The rules themselves: each looks at one simple command's words (the program it runs,
//! through wrappers such as `sudo` or `timeout`) and names what it matters for.

use app::ai::RiskLevel;

use super::shell::{has_flag, program};

/// A rule: does this simple command (as words) match, and why it matters.
pub(super) struct Rule {
    pub level: RiskLevel,
    pub reason: &'static str,
    pub matches: fn(&[&str]) -> bool,
}

fn broad_target(word: &str) -> bool {
    matches!(
        word.trim_end_matches('/'),
        "" | "/" | "~" | "*" | "." | ".." | "/workspace" | "$HOME" | "/*" | "~/*"
    ) || word.starts_with("/etc")
        || word.starts_with("/usr")
        || word.starts_with("/bin")
}

pub(super) const RULES: &[Rule] = &[
    Rule {
        level: RiskLevel::High,
        reason: "deletes recursively",
        matches: |w| {
            program(w) == "rm" && has_flag(w, 'r', "--recursive")
                || has_flag(w, 'R', "--recursive") && program(w) == "rm"
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "deletes a whole folder, the home or the workspace",
        matches: |w| program(w) == "rm" && w.iter().skip(1).any(|a| broad_target(a)),
    },
    Rule {
        level: RiskLevel::High,
        reason: "writes raw disks or file systems",
        matches: |w| {
            ["dd", "mkfs", "shred", "wipefs", "fdisk", "parted", "mkswap"]
                .iter()
                .any(|p| program(w) == *p || program(w).starts_with("mkfs."))
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "rewrites or discards history or uncommitted work",
        matches: |w| {
            program(w) == "git"
                && (w.contains(&"push")
                    && (w.contains(&"--force")
                        || w.contains(&"-f")
                        || w.iter().any(|a| a.starts_with("--force")))
                    || w.contains(&"reset") && w.contains(&"--hard")
                    || w.contains(&"clean")
                        && w.iter().any(|a| a.starts_with('-') && a.contains('f')))
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "changes permissions or owners recursively",
        matches: |w| {
            ["chmod", "chown", "chgrp"].contains(&program(w)) && has_flag(w, 'R', "--recursive")
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "ends processes broadly",
        matches: |w| {
            ["killall", "pkill"].contains(&program(w)) || program(w) == "kill" && w.contains(&"-1")
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "runs as root",
        matches: |w| w.first() == Some(&"sudo") || w.first() == Some(&"su"),
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "deletes files",
        matches: |w| {
            ["rm", "rmdir", "unlink", "truncate"].contains(&program(w))
                || program(w) == "find" && w.contains(&"-delete")
                || program(w) == "xargs" && w.contains(&"rm")
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "changes files in place",
        matches: |w| {
            program(w) == "sed" && has_flag(w, 'i', "--in-place")
                || ["mv", "chmod", "chown"].contains(&program(w))
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "installs software or publishes",
        matches: |w| {
            let p = program(w);
            [
                "apt", "apt-get", "dpkg", "pip", "pip3", "npm", "yarn", "pnpm", "cargo", "gem",
                "go", "bun",
            ]
            .contains(&p)
                && w.iter().any(|a| {
                    [
                        "install",
                        "i",
                        "ci",
                        "add",
                        "publish",
                        "uninstall",
                        "remove",
                        "upgrade",
                    ]
                    .contains(a)
                })
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "downloads and runs a package",
        matches: |w| {
            let p = program(w);
            ["npx", "uvx", "bunx"].contains(&p)
                || ["npm", "pnpm", "yarn", "bun"].contains(&p)
                    && w.iter().any(|a| ["exec", "dlx", "x"].contains(a))
                || p == "pipx" && w.contains(&"run")
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "discards uncommitted changes",
        matches: |w| {
            program(w) == "git"
                && (w.contains(&"restore")
                    || w.contains(&"checkout") && (w.contains(&"--") || w.contains(&"."))
                    || w.contains(&"stash") && (w.contains(&"drop") || w.contains(&"clear")))
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "runs a program whose name is computed",
        matches: |w| program(w).contains(['$', '\\']),
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "reaches the network",
        matches: |w| {
            ["curl", "wget", "ssh", "scp", "rsync", "nc", "ncat"].contains(&program(w))
                || program(w) == "git"
                    && w.iter()
                        .any(|a| ["push", "pull", "fetch", "clone"].contains(a))
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "makes a program run as its owner (setuid)",
        matches: |w| {
            program(w) == "chmod"
                && w.iter().skip(1).any(|a| {
                    !a.starts_with('-') && a.contains('s') && a.contains('+')
                        || a.len() == 4
                            && a.starts_with(['2', '4', '6'])
                            && a.chars().all(|c| c.is_ascii_digit())
                })
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "shuts the machine down or restarts it",
        matches: |w| {
            ["shutdown", "reboot", "halt", "poweroff"].contains(&program(w))
                || program(w) == "init" && w.iter().any(|a| *a == "0" || *a == "6")
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "removes every scheduled command",
        matches: |w| program(w) == "crontab" && w.contains(&"-r"),
    },
    Rule {
        level: RiskLevel::High,
        reason: "rewrites a repository's whole history",
        matches: |w| {
            program(w) == "git"
                && w.iter()
                    .any(|a| ["filter-branch", "filter-repo"].contains(a))
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "connects a shell to the network",
        matches: |w| {
            ["nc", "ncat", "netcat"].contains(&program(w))
                && w.iter()
                    .any(|a| ["-e", "-c", "--exec", "--sh-exec"].contains(a))
                || program(w) == "socat"
                    && w.iter().any(|a| {
                        a.to_ascii_lowercase().starts_with("exec:")
                            || a.to_ascii_lowercase().starts_with("system:")
                    })
        },
    },
    Rule {
        level: RiskLevel::High,
        reason: "deletes from a cluster",
        matches: |w| program(w) == "kubectl" && w.contains(&"delete"),
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "changes scheduled commands",
        matches: |w| program(w) == "crontab" && !w.contains(&"-l"),
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "deletes branches or rewrites commits",
        matches: |w| {
            program(w) == "git"
                && (w.contains(&"branch") && w.iter().any(|a| ["-D", "-d", "--delete"].contains(a))
                    || w.contains(&"push")
                        && (w.contains(&"--delete") || w.iter().any(|a| a.starts_with(':')))
                    || w.contains(&"rebase")
                    || w.contains(&"commit") && w.contains(&"--amend"))
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "overwrites the files it writes",
        matches: |w| {
            program(w) == "tee"
                && !has_flag(w, 'a', "--append")
                && w.iter().skip(1).any(|a| !a.starts_with('-'))
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "deletes files the source lacks",
        matches: |w| program(w) == "rsync" && w.iter().any(|a| a.starts_with("--delete")),
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "changes the system",
        matches: |w| {
            [
                "mount",
                "umount",
                "iptables",
                "ip6tables",
                "nft",
                "sysctl",
                "modprobe",
                "insmod",
                "rmmod",
                "systemctl",
                "service",
                "useradd",
                "usermod",
                "passwd",
            ]
            .contains(&program(w))
        },
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "controls containers or a cluster",
        matches: |w| ["docker", "podman", "kubectl", "helm"].contains(&program(w)),
    },
    Rule {
        level: RiskLevel::Medium,
        reason: "erases the shell's history",
        matches: |w| program(w) == "history" && w.contains(&"-c"),
    },
];
