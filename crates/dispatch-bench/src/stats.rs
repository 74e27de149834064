//! Summaries of repeated measurements: median and spread by nearest rank.

use std::time::Duration;

/// Minimum, median, 90th and 99th percentile, maximum and mean of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Samples.
    pub n: usize,
    /// Smallest.
    pub min: f64,
    /// Median (nearest rank).
    pub median: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Largest.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
}

impl Summary {
    /// Summarises `samples` (in any unit). Panics on an empty set: every benchmark takes at
    /// least one sample.
    pub fn of(samples: &[f64]) -> Self {
        assert!(!samples.is_empty(), "no samples to summarise");
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
        Self {
            n: sorted.len(),
            min: sorted[0],
            median: rank(0.5),
            p90: rank(0.9),
            p99: rank(0.99),
            max: sorted[sorted.len() - 1],
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
        }
    }

    /// Summarises durations in milliseconds.
    pub fn millis(samples: &[Duration]) -> Self {
        Self::of(&samples.iter().map(|d| d.as_secs_f64() * 1e3).collect::<Vec<_>>())
    }

    /// Summarises durations in microseconds.
    pub fn micros(samples: &[Duration]) -> Self {
        Self::of(&samples.iter().map(|d| d.as_secs_f64() * 1e6).collect::<Vec<_>>())
    }
}
