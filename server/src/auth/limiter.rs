//! Sign-in throttling: failures are counted per account and per client address in a
//! sliding window; past the limit, sign-in is refused (before the password is even checked)
//! until the oldest failure leaves the window. A success clears the account's count.
//! Held in memory: a restart forgives, which is the price of not writing on every attempt.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

pub struct SignInLimiter {
    settings: LimiterSettings,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl SignInLimiter {
    pub fn new(settings: LimiterSettings) -> Self {
        Self {
            settings,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: Option<IpAddr>) -> impl Iterator<Item = Key> {
        std::iter::once(Key::Account(account.to_owned())).chain(address.map(Key::Address))
    }

    fn limit(&self, key: &Key) -> usize {
        match key {
            Key::Account(_) => self.settings.per_account,
            Key::Address(_) => self.settings.per_address,
        }
    }

    /// `Err(wait)` while the account or the address is locked out.
    pub fn check(
        &self,
        account: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for key in Self::keys(account, address) {
            let limit = self.limit(&key);
            if let Some(times) = failures.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.settings.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(self.settings.window - now.duration_since(oldest));
                }
            }
        }
        failures.retain(|_, times| !times.is_empty());
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    pub fn failed(&self, account: &str, address: Option<IpAddr>, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in Self::keys(account, address) {
            let limit = self.limit(&key);
            let times = failures.entry(key).or_default();
            times.push_back(now);
            // Only the newest `limit` failures matter.
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    pub fn succeeded(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&Key::Account(account.to_owned()));
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
            assert!(limiter.check("ada", address, start).is_ok(), "attempt {i}");
            limiter.failed("ada", address, start + Duration::from_secs(i));
        }
        let wait = limiter
            .check("ada", None, start + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        // Another account from elsewhere is not affected.
        assert!(limiter.check("bob", None, start).is_ok());
        assert!(limiter
            .check("ada", None, start + Duration::from_secs(60))
            .is_ok());
    }

    #[test]
    fn an_address_that_tries_many_accounts_is_locked_too() {
        let limiter = limiter();
        let now = Instant::now();
        let address = Some(IpAddr::from([10, 0, 0, 2]));
        for account in ["a", "b", "c", "d", "e"] {
            limiter.failed(account, address, now);
        }
        assert!(limiter.check("fresh", address, now).is_err());
        assert!(limiter
            .check("fresh", Some(IpAddr::from([10, 0, 0, 3])), now)
            .is_ok());
    }

    #[test]
    fn success_clears_the_account() {
        let limiter = limiter();
        let now = Instant::now();
        limiter.failed("ada", None, now);
        limiter.failed("ada", None, now);
        limiter.succeeded("ada");
        limiter.failed("ada", None, now);
        limiter.failed("ada", None, now);
        assert!(limiter.check("ada", None, now).is_ok());
    }
}
