//! Sign-in throttling: attempts are counted per account and per client address (an IPv6
//! client by its /64, which one machine usually owns whole) in a sliding window; past the
//! limit, sign-in is refused before the password is even checked, until the oldest attempt
//! leaves the window. An attempt counts as soon as it is let through, under one lock, so
//! a burst of parallel guesses cannot all pass before the first failure is written; a
//! success forgives it and clears the account. Held in memory: a restart forgives, the
//! price of not writing on every attempt. Old entries are swept, so names and addresses
//! that try once cannot grow it without bound.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::sync::Unpoisoned;

#[derive(Debug, Clone)]
pub struct LimiterSettings {
    pub window: Duration,
    pub per_account: usize,
    pub per_address: usize,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account: 5,
            per_address: 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

/// An IPv4 address as it is; an IPv6 address by its /64 network.
fn network(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
    }
}

pub struct SignInLimiter {
    settings: LimiterSettings,
    attempts: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl SignInLimiter {
    pub fn new(settings: LimiterSettings) -> Self {
        Self {
            settings,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: Option<IpAddr>) -> impl Iterator<Item = Key> {
        // Names are at most 32 characters; a longer "name" is cut, not stored whole.
        let account: String = account.chars().take(64).collect();
        std::iter::once(Key::Account(account)).chain(address.map(|a| Key::Address(network(a))))
    }

    fn limit(&self, key: &Key) -> usize {
        match key {
            Key::Account(_) => self.settings.per_account,
            Key::Address(_) => self.settings.per_address,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Instant>>> {
        self.attempts.locked()
    }

    /// Lets one attempt through and counts it, or `Err(wait)` while the account or the
    /// address is locked out.
    pub fn attempt(
        &self,
        account: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let window = self.settings.window;
        let mut attempts = self.lock();
        attempts.retain(|_, times| {
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) >= window)
            {
                times.pop_front();
            }
            !times.is_empty()
        });
        let keys: Vec<Key> = Self::keys(account, address).collect();
        let mut wait = Duration::ZERO;
        for key in &keys {
            let limit = self.limit(key);
            if let Some(times) = attempts.get(key).filter(|t| t.len() >= limit) {
                let oldest = times[times.len() - limit];
                wait = wait.max(window - now.duration_since(oldest));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for key in keys {
            attempts.entry(key).or_default().push_back(now);
        }
        Ok(())
    }

    /// The attempt was right: the account starts afresh and the address is forgiven it.
    pub fn succeeded(&self, account: &str, address: Option<IpAddr>) {
        let mut attempts = self.lock();
        for key in Self::keys(account, address) {
            match key {
                Key::Account(_) => {
                    attempts.remove(&key);
                }
                Key::Address(_) => {
                    if let Some(times) = attempts.get_mut(&key) {
                        times.pop_back();
                    }
                }
            }
        }
    }

    #[cfg(test)]
    fn entries(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> SignInLimiter {
        SignInLimiter::new(LimiterSettings {
            window: Duration::from_secs(60),
            per_account: 3,
            per_address: 5,
        })
    }

    #[test]
    fn an_account_locks_after_its_limit_and_unlocks_when_the_window_passes() {
        let limiter = limiter();
        let start = Instant::now();
        let address = Some(IpAddr::from([10, 0, 0, 1]));
        for i in 0..3 {
            let at = start + Duration::from_secs(i);
            assert!(limiter.attempt("ada", address, at).is_ok(), "attempt {i}");
        }
        let wait = limiter
            .attempt("ada", None, start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another account from elsewhere is not affected.
        assert!(limiter.attempt("bob", None, start).is_ok());
        assert!(limiter
            .attempt("ada", None, start + Duration::from_secs(60))
            .is_ok());
    }

    #[test]
    fn parallel_guesses_cannot_pass_together() {
        let limiter = limiter();
        let now = Instant::now();
        // Nothing is recorded between the checks: each attempt counts when let through.
        let passed = (0..10)
            .filter(|_| limiter.attempt("ada", None, now).is_ok())
            .count();
        assert_eq!(passed, 3);
    }

    #[test]
    fn an_address_that_tries_many_accounts_is_locked_too() {
        let limiter = limiter();
        let now = Instant::now();
        let address = Some(IpAddr::from([10, 0, 0, 2]));
        for account in ["a", "b", "c", "d", "e"] {
            assert!(limiter.attempt(account, address, now).is_ok());
        }
        assert!(limiter.attempt("fresh", address, now).is_err());
        assert!(limiter
            .attempt("fresh", Some(IpAddr::from([10, 0, 0, 3])), now)
            .is_ok());
    }

    #[test]
    fn an_ipv6_client_counts_by_its_network() {
        let limiter = limiter();
        let now = Instant::now();
        for host in 1..=5u16 {
            let address = IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, host]);
            assert!(limiter
                .attempt(&format!("u{host}"), Some(address), now)
                .is_ok());
        }
        let same_network = IpAddr::from([0x2001, 0xdb8, 0, 1, 0xffff, 0, 0, 9]);
        assert!(limiter.attempt("u9", Some(same_network), now).is_err());
    }

    #[test]
    fn success_clears_the_account_and_forgives_the_address() {
        let limiter = limiter();
        let now = Instant::now();
        let address = Some(IpAddr::from([10, 0, 0, 4]));
        limiter.attempt("ada", address, now).unwrap();
        limiter.attempt("ada", address, now).unwrap();
        limiter.succeeded("ada", address);
        for _ in 0..3 {
            assert!(limiter.attempt("ada", address, now).is_ok());
        }
    }

    #[test]
    fn old_entries_are_swept() {
        let limiter = limiter();
        let start = Instant::now();
        for name in ["a", "b", "c"] {
            limiter.attempt(name, None, start).unwrap();
        }
        assert_eq!(limiter.entries(), 3);
        limiter
            .attempt("d", None, start + Duration::from_secs(61))
            .unwrap();
        assert_eq!(limiter.entries(), 1);
    }
}
