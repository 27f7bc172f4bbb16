//! Workspace limits: what a container may use, and the server's defaults and maxima.

use serde::{Deserialize, Serialize};

use super::format_memory;
use crate::error::{AppError, Field};

/// CPU, memory and process limits of a workspace container; all three can be changed
/// while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Number of CPUs (fractions allowed), enforced through CFS quota.
    pub cpus: f64,
    /// Memory limit in MiB; swap is capped at the same value.
    pub memory_mib: u64,
    /// How many processes and threads may exist at once (a fork bomb stops there).
    #[serde(default = "default_processes")]
    pub processes: u32,
}

fn default_processes() -> u32 {
    Limits::DEFAULT.processes
}

impl Limits {
    pub const CPUS: (f64, f64) = (0.1, 64.0);
    pub const MEMORY_MIB: (u64, u64) = (64, 256 * 1024);
    pub const PROCESSES: (u32, u32) = (32, 65_536);
    pub const DEFAULT: Limits = Limits {
        cpus: 1.0,
        memory_mib: 1024,
        processes: 1024,
    };

    pub fn parse(cpus: f64, memory_mib: u64, processes: u32) -> Result<Self, AppError> {
        let (min_cpu, max_cpu) = Self::CPUS;
        if !cpus.is_finite() || !(min_cpu..=max_cpu).contains(&cpus) {
            return Err(AppError::invalid(
                Field::Cpus,
                format!("CPUs must be between {min_cpu} and {max_cpu}."),
            ));
        }
        let (min_mem, max_mem) = Self::MEMORY_MIB;
        if !(min_mem..=max_mem).contains(&memory_mib) {
            return Err(AppError::invalid(
                Field::Memory,
                format!("Memory must be between {min_mem} and {max_mem} MiB."),
            ));
        }
        let (min_proc, max_proc) = Self::PROCESSES;
        if !(min_proc..=max_proc).contains(&processes) {
            return Err(AppError::invalid(
                Field::Processes,
                format!("Processes must be between {min_proc} and {max_proc}."),
            ));
        }
        Ok(Self {
            cpus,
            memory_mib,
            processes,
        })
    }

    /// Checks these limits against the server's maxima, naming the first one exceeded.
    pub fn within(&self, max: &Limits) -> Result<(), AppError> {
        if self.cpus > max.cpus {
            return Err(AppError::invalid(
                Field::Cpus,
                format!(
                    "This server allows at most {} CPUs per workspace.",
                    max.cpus
                ),
            ));
        }
        if self.memory_mib > max.memory_mib {
            return Err(AppError::invalid(
                Field::Memory,
                format!(
                    "This server allows at most {} of memory per workspace.",
                    format_memory(max.memory_mib)
                ),
            ));
        }
        if self.processes > max.processes {
            return Err(AppError::invalid(
                Field::Processes,
                format!(
                    "This server allows at most {} processes per workspace.",
                    max.processes
                ),
            ));
        }
        Ok(())
    }
}

/// The limits a new workspace starts with and the most any workspace may have, as the
/// server is configured; its idle times too.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LimitBounds {
    pub default: Limits,
    pub max: Limits,
    pub idle: super::IdleBounds,
}

impl Default for LimitBounds {
    /// The built-in defaults, and no maximum beyond what any limit allows.
    fn default() -> Self {
        Self {
            default: Limits::DEFAULT,
            max: Limits {
                cpus: Limits::CPUS.1,
                memory_mib: Limits::MEMORY_MIB.1,
                processes: Limits::PROCESSES.1,
            },
            idle: super::IdleBounds::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        assert!(Limits::parse(1.0, 1024, 512).is_ok());
        assert_eq!(
            Limits::parse(0.0, 1024, 512).unwrap_err().field(),
            Some(Field::Cpus)
        );
        assert_eq!(
            Limits::parse(f64::NAN, 1024, 512).unwrap_err().field(),
            Some(Field::Cpus)
        );
        assert_eq!(
            Limits::parse(1.0, 10, 512).unwrap_err().field(),
            Some(Field::Memory)
        );
        assert_eq!(
            Limits::parse(1.0, 1024, 1).unwrap_err().field(),
            Some(Field::Processes)
        );
    }

    #[test]
    fn limits_above_the_server_maximum_name_the_limit() {
        let max = Limits::parse(2.0, 4096, 2048).unwrap();
        assert!(Limits::DEFAULT.within(&max).is_ok());
        let over = |limits: Limits| limits.within(&max).unwrap_err();
        let cpus = over(Limits {
            cpus: 4.0,
            ..Limits::DEFAULT
        });
        assert_eq!(cpus.field(), Some(Field::Cpus));
        assert_eq!(
            cpus.to_string(),
            "This server allows at most 2 CPUs per workspace."
        );
        let memory = over(Limits {
            memory_mib: 8192,
            ..Limits::DEFAULT
        });
        assert_eq!(
            memory.to_string(),
            "This server allows at most 4 GiB of memory per workspace."
        );
        assert_eq!(
            over(Limits {
                processes: 4096,
                ..Limits::DEFAULT
            })
            .field(),
            Some(Field::Processes)
        );
    }
}
