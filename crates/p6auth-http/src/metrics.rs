//! Prometheus metrics, kept in atomics so the token path pays a few relaxed increments.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use p6auth_store::counting::WriteCount;

#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Token endpoint outcomes: "ok" or an OAuth error code.
const OUTCOMES: [&str; 9] = [
    "ok",
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];

/// Upper bounds in seconds.
const BUCKETS: [f64; 11] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, name: &str, out: &mut String) {
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {count}");
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    token_outcomes: [Counter; OUTCOMES.len()],
    tokens_by_integration: RwLock<HashMap<String, Counter>>,
    token_latency: Histogram,
    pub rate_limited: Counter,
    introspections_active: Counter,
    introspections_inactive: Counter,
    introspections_error: Counter,
    store_writes: WriteCount,
}

/// Per-integration series stop growing here; the rest count under `client_id="(other)"`.
const MAX_INTEGRATION_SERIES: usize = 10_000;

impl Metrics {
    /// Metrics that report the write calls counted by a `CountingStore`.
    pub fn with_store_writes(store_writes: WriteCount) -> Self {
        Self {
            store_writes,
            ..Self::default()
        }
    }

    pub fn record_token(&self, outcome: &str, client_id: Option<&str>, latency: Duration) {
        let i = OUTCOMES
            .iter()
            .position(|o| *o == outcome)
            .unwrap_or(OUTCOMES.len() - 2);
        self.token_outcomes[i].inc();
        self.token_latency.observe(latency);
        if let Some(id) = client_id {
            if let Some(c) = self
                .tokens_by_integration
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(id)
            {
                c.inc();
                return;
            }
            let mut map = self
                .tokens_by_integration
                .write()
                .unwrap_or_else(|e| e.into_inner());
            let key = if map.len() < MAX_INTEGRATION_SERIES {
                id
            } else {
                "(other)"
            };
            map.entry(key.to_string()).or_default().inc();
        }
    }

    pub fn record_introspection(&self, active: Option<bool>) {
        match active {
            Some(true) => self.introspections_active.inc(),
            Some(false) => self.introspections_inactive.inc(),
            None => self.introspections_error.inc(),
        }
    }

    pub fn token_count(&self, outcome: &str) -> u64 {
        OUTCOMES
            .iter()
            .position(|o| *o == outcome)
            .map_or(0, |i| self.token_outcomes[i].get())
    }

    /// The Prometheus text exposition; `gauges` are (name, help, labels, value) rows computed by
    /// the caller from the node's views.
    pub fn render(&self, gauges: &[(&str, &str, String, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP p6auth_token_requests_total Token endpoint requests by outcome.\n");
        out.push_str("# TYPE p6auth_token_requests_total counter\n");
        for (i, o) in OUTCOMES.iter().enumerate() {
            let _ = writeln!(
                out,
                "p6auth_token_requests_total{{outcome=\"{o}\"}} {}",
                self.token_outcomes[i].get()
            );
        }
        out.push_str("# HELP p6auth_tokens_issued_total Tokens issued, by integration.\n");
        out.push_str("# TYPE p6auth_tokens_issued_total counter\n");
        let map = self
            .tokens_by_integration
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let mut ids: Vec<_> = map.iter().collect();
        ids.sort_by(|a, b| a.0.cmp(b.0));
        for (id, c) in ids {
            let _ = writeln!(
                out,
                "p6auth_tokens_issued_total{{client_id=\"{}\"}} {}",
                escape(id),
                c.get()
            );
        }
        drop(map);
        out.push_str("# HELP p6auth_token_request_duration_seconds Token endpoint latency.\n");
        self.token_latency
            .render("p6auth_token_request_duration_seconds", &mut out);
        out.push_str("# HELP p6auth_rate_limited_total Failed authentications answered 429.\n");
        out.push_str("# TYPE p6auth_rate_limited_total counter\n");
        let _ = writeln!(out, "p6auth_rate_limited_total {}", self.rate_limited.get());
        out.push_str("# TYPE p6auth_introspections_total counter\n");
        for (label, c) in [
            ("active", &self.introspections_active),
            ("inactive", &self.introspections_inactive),
            ("error", &self.introspections_error),
        ] {
            let _ = writeln!(
                out,
                "p6auth_introspections_total{{result=\"{label}\"}} {}",
                c.get()
            );
        }
        out.push_str(
            "# HELP p6auth_store_writes_total Write calls this node made to the store (none on the token path).\n",
        );
        out.push_str("# TYPE p6auth_store_writes_total counter\n");
        let _ = writeln!(out, "p6auth_store_writes_total {}", self.store_writes.get());
        let mut last = "";
        for (name, help, labels, value) in gauges {
            if *name != last {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
                last = name;
            }
            let _ = writeln!(out, "{name}{labels} {value}");
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.record_token("ok", Some("app-1"), Duration::from_micros(300));
        m.record_token("invalid_client", None, Duration::from_micros(80));
        let text = m.render(&[(
            "p6auth_cache_entries",
            "Entries.",
            "{cache=\"integrations\"}".into(),
            3.0,
        )]);
        assert!(text.contains("p6auth_token_requests_total{outcome=\"ok\"} 1\n"));
        assert!(text.contains("p6auth_token_requests_total{outcome=\"invalid_client\"} 1\n"));
        assert!(text.contains("p6auth_tokens_issued_total{client_id=\"app-1\"} 1\n"));
        assert!(text.contains("p6auth_token_request_duration_seconds_bucket{le=\"0.0001\"} 1\n"));
        assert!(text.contains("p6auth_token_request_duration_seconds_bucket{le=\"0.0005\"} 2\n"));
        assert!(text.contains("p6auth_token_request_duration_seconds_count 2\n"));
        assert!(text.contains("p6auth_cache_entries{cache=\"integrations\"} 3\n"));
        assert!(text.contains("p6auth_store_writes_total 0\n"));
    }
}
