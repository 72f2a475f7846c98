//! Login throttling and account lockout, as pure rules over stored counters.
//!
//! The counters live in the database so that every app instance sees the same lock; these
//! functions only decide. Two independent limits apply:
//! - an account locks after `max_failures` consecutive failures, for `lock_for`; while locked,
//!   even the right password is refused (HTTP 429 with `Retry-After`);
//! - one client address may try at most `address_limit` times per `address_window` (fixed
//!   windows), whatever the accounts, against password spraying.

use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    pub max_failures: u32,
    pub lock_for: Duration,
    pub address_limit: u32,
    pub address_window: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failures: 5,
            lock_for: Duration::minutes(15),
            address_limit: 30,
            address_window: Duration::minutes(5),
        }
    }
}

/// An account's stored failure counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountCounter {
    pub failures: u32,
    pub locked_until: Option<OffsetDateTime>,
}

/// An address's stored attempt window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressWindow {
    pub window_start: OffsetDateTime,
    pub attempts: u32,
}

/// Whether an attempt may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Refused; try again after this long (rounded up to whole seconds by the caller).
    Closed {
        retry_after: Duration,
    },
}

impl LoginPolicy {
    /// May this account try now?
    pub fn account_gate(&self, counter: AccountCounter, now: OffsetDateTime) -> Gate {
        match counter.locked_until {
            Some(until) if until > now => Gate::Closed {
                retry_after: until - now,
            },
            _ => Gate::Open,
        }
    }

    /// The counter after a failed attempt: the lock starts on the `max_failures`-th
    /// consecutive failure. A lock that has run out starts a fresh count.
    pub fn after_failure(&self, counter: AccountCounter, now: OffsetDateTime) -> AccountCounter {
        let expired = counter.locked_until.is_some_and(|until| until <= now);
        let failures = if expired {
            1
        } else {
            counter.failures.saturating_add(1)
        };
        let locked_until = if failures >= self.max_failures {
            Some(now + self.lock_for)
        } else {
            None
        };
        AccountCounter {
            failures,
            locked_until,
        }
    }

    /// May this address try now? Returns the gate and the window to store after counting
    /// this attempt (a refused attempt is not counted, so the window still ends on time).
    pub fn address_attempt(
        &self,
        window: Option<AddressWindow>,
        now: OffsetDateTime,
    ) -> (Gate, AddressWindow) {
        let current = match window {
            Some(w) if now < w.window_start + self.address_window && now >= w.window_start => w,
            _ => AddressWindow {
                window_start: now,
                attempts: 0,
            },
        };
        if current.attempts >= self.address_limit {
            let retry_after = current.window_start + self.address_window - now;
            return (Gate::Closed { retry_after }, current);
        }
        let counted = AddressWindow {
            attempts: current.attempts + 1,
            ..current
        };
        (Gate::Open, counted)
    }
}

/// Seconds for a `Retry-After` header: at least 1, rounded up.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let seconds = wait.whole_seconds() + i64::from(wait.subsec_nanoseconds() > 0);
    u64::try_from(seconds.max(1)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-25 09:00 UTC);

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let policy = LoginPolicy::default();
        let mut counter = AccountCounter::default();
        for i in 1..=4 {
            counter = policy.after_failure(counter, NOW);
            assert_eq!(counter.failures, i);
            assert_eq!(policy.account_gate(counter, NOW), Gate::Open);
        }
        counter = policy.after_failure(counter, NOW);
        assert_eq!(
            policy.account_gate(counter, NOW),
            Gate::Closed {
                retry_after: Duration::minutes(15)
            }
        );
        let later = NOW + Duration::minutes(15);
        assert_eq!(policy.account_gate(counter, later), Gate::Open);
        let after = policy.after_failure(counter, later);
        assert_eq!(after.failures, 1);
        assert_eq!(after.locked_until, None);
    }

    #[test]
    fn address_window_limits_attempts_then_resets() {
        let policy = LoginPolicy {
            address_limit: 2,
            ..LoginPolicy::default()
        };
        let (g1, w1) = policy.address_attempt(None, NOW);
        let (g2, w2) = policy.address_attempt(Some(w1), NOW + Duration::seconds(1));
        let (g3, w3) = policy.address_attempt(Some(w2), NOW + Duration::seconds(2));
        assert_eq!((g1, g2), (Gate::Open, Gate::Open));
        assert_eq!(
            g3,
            Gate::Closed {
                retry_after: Duration::seconds(298)
            }
        );
        assert_eq!(w3.attempts, 2);
        let (g4, w4) = policy.address_attempt(Some(w3), NOW + Duration::minutes(5));
        assert_eq!(g4, Gate::Open);
        assert_eq!(w4.attempts, 1);
    }

    #[test]
    fn retry_after_rounds_up_to_at_least_one_second() {
        assert_eq!(retry_after_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(Duration::milliseconds(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::seconds(900)), 900);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }
}

/// Usernames are compared case-insensitively: this is the stored form.
pub fn normalize_username(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Checks a new username: 3 to 64 of `a-z 0-9 . _ - @`, after normalizing.
pub fn check_username(
    check: &mut crate::validate::Check,
    field: &str,
    username: &str,
) -> Option<String> {
    let name = normalize_username(username);
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c));
    if !(3..=64).contains(&name.chars().count()) || !ok_chars {
        check.fail(field, "must be 3 to 64 letters, digits or . _ - @");
        return None;
    }
    Some(name)
}

#[cfg(test)]
mod account_rules {
    use super::*;
    use crate::validate::Check;

    #[test]
    fn usernames_are_normalized_and_checked() {
        let mut check = Check::new();
        assert_eq!(
            check_username(&mut check, "u", " Dr.Lee "),
            Some("dr.lee".to_owned())
        );
        assert_eq!(check_username(&mut check, "u", "ab"), None);
        assert_eq!(check_username(&mut check, "u", "has space"), None);
        assert_eq!(check_username(&mut check, "u", "semi;colon"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    proptest! {
        /// However failures are spaced within the lock window, the account is locked exactly
        /// when the count reaches the threshold.
        #[test]
        fn locks_exactly_at_the_threshold(max in 1u32..10, gaps in proptest::collection::vec(0i64..60, 1..20)) {
            let policy = LoginPolicy { max_failures: max, ..LoginPolicy::default() };
            let mut now = datetime!(2026-11-25 09:00 UTC);
            let mut counter = AccountCounter::default();
            for (i, gap) in gaps.iter().enumerate() {
                now += Duration::seconds(*gap);
                if policy.account_gate(counter, now) != Gate::Open {
                    break;
                }
                counter = policy.after_failure(counter, now);
                let locked = policy.account_gate(counter, now) != Gate::Open;
                prop_assert_eq!(locked, (i as u32 + 1) >= max);
            }
        }
    }
}
