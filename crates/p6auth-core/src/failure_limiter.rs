//! Limits on failed client authentications, per Application ID and per client IP.
//!
//! Only failures count, and only failures are refused: a client that presents a correct secret
//! is never locked out, whoever else is failing with its id, from whatever address. Past a limit,
//! a failure answers 429 instead of 401, the same whether or not the id exists.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::clock::UnixTime;

pub const WINDOW_SECONDS: i64 = 60;
/// Entries kept per map before stale windows are swept; bounds memory under a flood of ids.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_id: u32,
    pub per_ip: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_id: 10,
            per_ip: 100,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: UnixTime,
    count: u32,
}

/// What one failure amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answer with the usual `invalid_client`.
    Allowed,
    /// Answer 429; `retry_after` seconds until the window ends. `first` is true for the failure
    /// that crossed a limit, which is worth an audit entry.
    Limited { retry_after: i64, first: bool },
}

#[derive(Debug, Default)]
pub struct FailureLimiter {
    limits: Limits,
    state: Mutex<State>,
    /// Ids are tracked by a keyed hash: an attacker's long or numerous ids cost a few bytes each.
    id_hasher: RandomState,
}

/// Where failures of ids that name no integration are counted in the audit summary: their text
/// is never recorded (it may be a mistyped secret, and anyone can send any amount of it).
pub const UNKNOWN_IDS: &str = "(unknown client_id)";
/// Distinct known ids in one audit summary; the rest are counted together.
const MAX_SUMMARY_IDS: usize = 100;

#[derive(Debug, Default)]
struct State {
    by_id: HashMap<u64, Window>,
    by_ip: HashMap<IpAddr, Window>,
    /// Failures per id since the last [`FailureLimiter::drain_counts`], for the audit log.
    counts: HashMap<String, u64>,
}

fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Window>, key: K, now: UnixTime) -> u32 {
    if map.len() >= MAX_TRACKED {
        map.retain(|_, w| now - w.start < WINDOW_SECONDS);
    }
    let w = map.entry(key).or_insert(Window {
        start: now,
        count: 0,
    });
    if now - w.start >= WINDOW_SECONDS {
        *w = Window {
            start: now,
            count: 0,
        };
    }
    w.count = w.count.saturating_add(1);
    w.count
}

impl FailureLimiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            state: Mutex::default(),
            id_hasher: RandomState::new(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Records one failed authentication and says how to answer it. `known` says whether the id
    /// names an integration; only known ids appear by name in [`Self::drain_counts`].
    pub fn record_failure(
        &self,
        client_id: &str,
        known: bool,
        ip: IpAddr,
        now: UnixTime,
    ) -> Verdict {
        let id_key = self.id_hasher.hash_one(client_id);
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let id_count = bump(&mut s.by_id, id_key, now);
        let ip_count = bump(&mut s.by_ip, ip, now);
        let summary_key = if !known {
            UNKNOWN_IDS
        } else if s.counts.len() < MAX_SUMMARY_IDS || s.counts.contains_key(client_id) {
            client_id
        } else {
            "(other known ids)"
        };
        *s.counts.entry(summary_key.to_string()).or_default() += 1;
        let over_id = id_count > self.limits.per_id;
        let over_ip = ip_count > self.limits.per_ip;
        if !(over_id || over_ip) {
            return Verdict::Allowed;
        }
        let window_start = match (over_id, over_ip) {
            (true, _) => s.by_id.get(&id_key).map(|w| w.start),
            _ => s.by_ip.get(&ip).map(|w| w.start),
        }
        .unwrap_or(now);
        let first = id_count == self.limits.per_id + 1 || ip_count == self.limits.per_ip + 1;
        Verdict::Limited {
            retry_after: (window_start + WINDOW_SECONDS - now).max(1),
            first,
        }
    }

    /// Seconds until `id` or `ip` may try again, when either is over its limit now. Login
    /// checks this before verifying a password, so a locked account is refused even with the
    /// right one (unlike client secrets, a password may be guessed).
    pub fn blocked_for(&self, id: &str, ip: IpAddr, now: UnixTime) -> Option<i64> {
        let id_key = self.id_hasher.hash_one(id);
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let over = |w: Option<&Window>, limit: u32| {
            w.filter(|w| now - w.start < WINDOW_SECONDS && w.count >= limit)
                .map(|w| (w.start + WINDOW_SECONDS - now).max(1))
        };
        over(s.by_id.get(&id_key), self.limits.per_id)
            .into_iter()
            .chain(over(s.by_ip.get(&ip), self.limits.per_ip))
            .max()
    }

    /// Failures per id since the last call; for the aggregated audit entry.
    pub fn drain_counts(&self) -> HashMap<String, u64> {
        std::mem::take(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()).counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn per_id_limit_then_window_resets() {
        let l = FailureLimiter::new(Limits {
            per_id: 3,
            per_ip: 100,
        });
        for _ in 0..3 {
            assert_eq!(l.record_failure("x", true, A, 1000), Verdict::Allowed);
        }
        assert_eq!(
            l.record_failure("x", true, B, 1010),
            Verdict::Limited {
                retry_after: 50,
                first: true
            }
        );
        assert_eq!(
            l.record_failure("x", true, A, 1059),
            Verdict::Limited {
                retry_after: 1,
                first: false
            }
        );
        assert_eq!(
            l.record_failure("y", true, A, 1059),
            Verdict::Allowed,
            "other ids are not affected"
        );
        assert_eq!(
            l.record_failure("x", true, A, 1060),
            Verdict::Allowed,
            "a new window"
        );
        assert_eq!(l.drain_counts().get("x"), Some(&6));
        l.record_failure("p6s_a-mistyped-secret", false, A, 2000);
        let counts = l.drain_counts();
        assert_eq!(counts.get(UNKNOWN_IDS), Some(&1));
        assert!(
            !counts.keys().any(|k| k.contains("p6s_")),
            "unknown ids are never recorded by name"
        );
        assert!(l.drain_counts().is_empty());
    }

    #[test]
    fn per_ip_limit_across_ids() {
        let l = FailureLimiter::new(Limits {
            per_id: 100,
            per_ip: 2,
        });
        assert_eq!(l.record_failure("a", true, A, 0), Verdict::Allowed);
        assert_eq!(l.record_failure("b", true, A, 0), Verdict::Allowed);
        assert!(matches!(
            l.record_failure("c", true, A, 0),
            Verdict::Limited { first: true, .. }
        ));
        assert_eq!(l.record_failure("c", true, B, 0), Verdict::Allowed);
        assert_eq!(l.blocked_for("z", A, 10), Some(50));
        assert_eq!(l.blocked_for("z", B, 10), None);
        assert_eq!(l.blocked_for("z", A, 60), None);
    }
}
