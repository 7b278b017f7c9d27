//! `GET /metrics`: what `serve` has done, in Prometheus' text exposition format
//! (version 0.0.4): requests by status, a latency histogram, leads scored, leads by
//! tier, model reloads, and the model's checksum and as-of date as an info metric.
//!
//! Counters are atomics, updated once per request; the tier counts (names come with
//! the model) sit behind one lock taken once per request.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// The latency histogram's upper bounds, in seconds.
pub const BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.0];

/// The statuses `serve` answers with, each counted in its own slot.
const STATUSES: [u16; 11] = [200, 400, 401, 404, 405, 408, 413, 415, 500, 503, 0];

#[derive(Default)]
pub struct Metrics {
    by_status: [AtomicU64; STATUSES.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
    leads: AtomicU64,
    tiers: Mutex<BTreeMap<String, u64>>,
    pub reloads: AtomicU64,
    pub reload_failures: AtomicU64,
}

/// The model facts the page shows.
pub struct ModelInfo<'a> {
    pub checksum: &'a str,
    pub as_of: &'a str,
    pub loaded_unix: i64,
}

impl Metrics {
    /// Count one answered request.
    pub fn observe(&self, status: u16, seconds: f64) {
        let slot = STATUSES.iter().position(|&s| s == status).unwrap_or(STATUSES.len() - 1);
        self.by_status[slot].fetch_add(1, Relaxed);
        if let Some(b) = BUCKETS.iter().position(|&le| seconds <= le) {
            self.buckets[b].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_ns.fetch_add((seconds * 1e9) as u64, Relaxed);
    }

    /// Count the leads one request scored, by tier.
    pub fn scored<'t>(&self, tiers: impl Iterator<Item = &'t str>) {
        let mut n = 0u64;
        let mut counts: Vec<(&str, u64)> = Vec::new();
        for t in tiers {
            n += 1;
            match counts.iter_mut().find(|(name, _)| *name == t) {
                Some((_, c)) => *c += 1,
                None => counts.push((t, 1)),
            }
        }
        self.leads.fetch_add(n, Relaxed);
        if let Ok(mut map) = self.tiers.lock() {
            for (t, c) in counts {
                match map.get_mut(t) {
                    Some(v) => *v += c,
                    None => {
                        map.insert(t.to_string(), c);
                    }
                }
            }
        }
    }

    /// The page, in Prometheus' text format.
    pub fn render(&self, model: &ModelInfo) -> String {
        let mut s = String::with_capacity(4096);
        let w = &mut s;
        help(w, "leadscore_requests_total", "counter", "Requests answered, by HTTP status (0: other).");
        for (k, status) in STATUSES.iter().enumerate() {
            let _ = writeln!(w, "leadscore_requests_total{{status=\"{status}\"}} {}", self.by_status[k].load(Relaxed));
        }
        help(w, "leadscore_request_duration_seconds", "histogram", "Time from the request's arrival to its answer.");
        let mut cum = 0u64;
        for (k, le) in BUCKETS.iter().enumerate() {
            cum += self.buckets[k].load(Relaxed);
            let _ = writeln!(w, "leadscore_request_duration_seconds_bucket{{le=\"{le}\"}} {cum}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(w, "leadscore_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(w, "leadscore_request_duration_seconds_sum {}", self.sum_ns.load(Relaxed) as f64 / 1e9);
        let _ = writeln!(w, "leadscore_request_duration_seconds_count {count}");
        help(w, "leadscore_leads_scored_total", "counter", "Leads scored.");
        let _ = writeln!(w, "leadscore_leads_scored_total {}", self.leads.load(Relaxed));
        help(w, "leadscore_leads_by_tier_total", "counter", "Leads scored, by the tier they got.");
        if let Ok(map) = self.tiers.lock() {
            for (t, c) in map.iter() {
                let _ = writeln!(w, "leadscore_leads_by_tier_total{{tier=\"{}\"}} {c}", label(t));
            }
        }
        help(w, "leadscore_model_reloads_total", "counter", "Model files read again and swapped in.");
        let _ = writeln!(w, "leadscore_model_reloads_total {}", self.reloads.load(Relaxed));
        help(w, "leadscore_model_reload_failures_total", "counter", "Replacement model files refused.");
        let _ = writeln!(w, "leadscore_model_reload_failures_total {}", self.reload_failures.load(Relaxed));
        help(w, "leadscore_model_info", "gauge", "The model being served: its checksum and as-of date.");
        let _ = writeln!(
            w,
            "leadscore_model_info{{checksum=\"{}\",as_of=\"{}\"}} 1",
            label(model.checksum),
            label(model.as_of)
        );
        help(w, "leadscore_model_loaded_timestamp_seconds", "gauge", "When the model being served was read.");
        let _ = writeln!(w, "leadscore_model_loaded_timestamp_seconds {}", model.loaded_unix);
        s
    }
}

fn help(w: &mut String, name: &str, kind: &str, text: &str) {
    let _ = writeln!(w, "# HELP {name} {text}");
    let _ = writeln!(w, "# TYPE {name} {kind}");
}

/// A label value escaped as the text format asks: backslash, double quote, newline.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_counts_every_request() {
        let m = Metrics::default();
        m.observe(200, 0.0002);
        m.observe(200, 0.003);
        m.observe(400, 5.0);
        m.scored(["A", "B", "A"].into_iter());
        let page = m.render(&ModelInfo { checksum: "abc", as_of: "2026-01-31", loaded_unix: 1 });
        assert!(page.contains("leadscore_request_duration_seconds_bucket{le=\"0.00025\"} 1\n"), "{page}");
        assert!(page.contains("leadscore_request_duration_seconds_bucket{le=\"0.005\"} 2\n"), "{page}");
        assert!(page.contains("leadscore_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"), "{page}");
        assert!(page.contains("leadscore_requests_total{status=\"400\"} 1\n"), "{page}");
        assert!(page.contains("leadscore_leads_by_tier_total{tier=\"A\"} 2\n"), "{page}");
        assert!(page.contains("leadscore_leads_scored_total 3\n"), "{page}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
