//! How current a node's in-memory view is: the time since the sync loop last read the store.
//!
//! While the store is unreachable a node keeps serving the view it has, for integrations already
//! in it, up to a configured bound; past that, token requests are refused with 503, since a
//! disabled or deleted integration might otherwise keep getting tokens indefinitely.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Freshness {
    origin: Instant,
    /// Milliseconds from `origin` to the last successful read.
    synced_at_ms: AtomicU64,
    max_staleness: Duration,
}

impl Freshness {
    /// A view just loaded from the store.
    pub fn new(max_staleness: Duration) -> Self {
        Self {
            origin: Instant::now(),
            synced_at_ms: AtomicU64::new(0),
            max_staleness,
        }
    }

    pub fn mark_synced(&self) {
        let ms = self.origin.elapsed().as_millis() as u64;
        self.synced_at_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// Time since the store was last read successfully.
    pub fn age(&self) -> Duration {
        let synced = Duration::from_millis(self.synced_at_ms.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(synced)
    }

    pub fn max_staleness(&self) -> Duration {
        self.max_staleness
    }

    /// Past the bound: the view may no longer be trusted to refuse what was revoked.
    pub fn is_too_stale(&self) -> bool {
        self.age() > self.max_staleness
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_grows_until_the_next_sync() {
        let f = Freshness::new(Duration::from_millis(30));
        assert!(!f.is_too_stale());
        std::thread::sleep(Duration::from_millis(50));
        assert!(f.age() >= Duration::from_millis(50));
        assert!(f.is_too_stale());
        f.mark_synced();
        assert!(f.age() < Duration::from_millis(30));
        assert!(!f.is_too_stale());
    }
}
