//! What the load generators (`load.rs`, `grpc_load.rs`) count: every
//! latency and how many answers of each kind, per worker, merged at the
//! end into one line of figures.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

/// Latencies and answer counts (by status or code).
pub struct Tally<K> {
    latencies: Vec<Duration>,
    counts: BTreeMap<K, u64>,
}

impl<K: Ord + Debug> Tally<K> {
    pub fn new() -> Tally<K> {
        Tally {
            latencies: Vec::new(),
            counts: BTreeMap::new(),
        }
    }

    /// One answer, `kind`, that took `latency`.
    pub fn record(&mut self, latency: Duration, kind: K) {
        self.latencies.push(latency);
        *self.counts.entry(kind).or_default() += 1;
    }

    /// Adds another worker's tally.
    pub fn merge(&mut self, mut other: Tally<K>) {
        self.latencies.append(&mut other.latencies);
        for (kind, count) in other.counts {
            *self.counts.entry(kind).or_default() += count;
        }
    }

    /// `NOUN n  per second r  p50 ..  p99 ..  max ..  KINDS {..}` over a
    /// run of `seconds`.
    pub fn summary(mut self, noun: &str, kinds: &str, seconds: u64) -> String {
        self.latencies.sort();
        let latencies = &self.latencies;
        let percentile = |p: f64| {
            let index = ((latencies.len() as f64) * p) as usize;
            latencies
                .get(index.min(latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        format!(
            "{noun} {}  per second {:.0}  p50 {:?}  p99 {:?}  max {:?}  {kinds} {:?}",
            latencies.len(),
            latencies.len() as f64 / seconds as f64,
            percentile(0.50),
            percentile(0.99),
            latencies.last().copied().unwrap_or_default(),
            self.counts,
        )
    }
}
