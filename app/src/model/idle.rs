//! Idle stop: a running workspace nobody uses stops by itself after its idle time, so that
//! forgotten workspaces do not hold memory and CPU. In use means an open terminal or IDE, a
//! running agent, or anything done to it (typing, saving, AI) within the idle time.

use serde::{Deserialize, Serialize};

use super::format_clock;
use crate::error::{AppError, Field};

/// When a running workspace stops for want of use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdleStop {
    /// Its idle time, in seconds.
    pub after_secs: u64,
    /// Unix seconds it stops at unless used before; `None` while something uses it.
    pub at: Option<i64>,
}

impl IdleStop {
    pub fn describe(&self) -> String {
        let after = format_minutes(self.after_secs);
        match self.at {
            Some(at) => format!("Stops at {} unless used ({after} idle).", format_clock(at)),
            None => format!("In use; stops after {after} unused."),
        }
    }
}

/// The idle times a server allows: what a workspace gets unless its owner chose, and the
/// longest allowed (then "never" is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IdleBounds {
    /// Minutes; `None`: never stop.
    pub default_minutes: Option<u32>,
    pub max_minutes: Option<u32>,
}

impl IdleBounds {
    /// The idle time of a workspace whose owner asked for `chosen` minutes (`Some(0)`:
    /// never; `None`: the server's default); `None`: it never stops.
    pub fn effective_minutes(&self, chosen: Option<u32>) -> Option<u32> {
        let wanted = match chosen {
            Some(0) => None,
            Some(minutes) => Some(minutes),
            None => self.default_minutes,
        };
        match (wanted, self.max_minutes) {
            (Some(minutes), Some(max)) => Some(minutes.min(max)),
            (None, max) => max,
            (wanted, None) => wanted,
        }
    }

    /// Refuses a choice the server does not allow.
    pub fn check(&self, chosen: Option<u32>) -> Result<(), AppError> {
        match (chosen, self.max_minutes) {
            (Some(0), Some(max)) => Err(AppError::invalid(
                Field::IdleStop,
                format!("This server stops unused workspaces after at most {max} minutes; “never” is not allowed."),
            )),
            (Some(minutes), Some(max)) if minutes > max => Err(AppError::invalid(
                Field::IdleStop,
                format!("At most {max} minutes on this server."),
            )),
            _ => Ok(()),
        }
    }
}

/// "90 min", "30 s": an idle time as people say it.
fn format_minutes(secs: u64) -> String {
    if secs >= 60 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owners_choice_within_the_servers_bounds() {
        let open = IdleBounds {
            default_minutes: Some(60),
            max_minutes: None,
        };
        assert_eq!(open.effective_minutes(None), Some(60));
        assert_eq!(open.effective_minutes(Some(0)), None);
        assert_eq!(open.effective_minutes(Some(500)), Some(500));
        assert!(open.check(Some(0)).is_ok());

        let capped = IdleBounds {
            default_minutes: None,
            max_minutes: Some(120),
        };
        assert_eq!(capped.effective_minutes(None), Some(120));
        assert_eq!(capped.effective_minutes(Some(0)), Some(120));
        assert_eq!(capped.effective_minutes(Some(30)), Some(30));
        assert_eq!(capped.effective_minutes(Some(500)), Some(120));
        assert!(capped.check(Some(0)).is_err());
        assert!(capped.check(Some(121)).is_err());
        assert!(capped.check(Some(120)).is_ok() && capped.check(None).is_ok());

        assert_eq!(IdleBounds::default().effective_minutes(None), None);
    }

    #[test]
    fn says_when_it_stops_or_that_it_is_in_use() {
        let at = 1_700_000_000 - 1_700_000_000 % 86_400 + 14 * 3_600 + 5 * 60;
        let waiting = IdleStop {
            after_secs: 1800,
            at: Some(at),
        };
        assert_eq!(
            waiting.describe(),
            "Stops at 14:05 UTC unless used (30 min idle)."
        );
        let busy = IdleStop {
            at: None,
            ..waiting
        };
        assert_eq!(busy.describe(), "In use; stops after 30 min unused.");
    }
}
