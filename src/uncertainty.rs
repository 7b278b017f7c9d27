//! How sure a metric is (issue 17): every figure shown to a user comes with an interval.
//!
//! Sits beside [`crate::metrics`] (the point estimates) and is used wherever they are
//! shown: `train`'s holdout, `evaluate`, `compare`, the report. Two methods:
//!
//! - **DeLong** (DeLong, DeLong and Clarke-Pearson 1988), computed the fast way (Sun and
//!   Xu 2014: midranks instead of all pairs, O(n log n)): the ROC AUC's variance from its
//!   structural components, a 95% interval, and for two scores on the same leads the
//!   covariance, so the difference has an interval and a paired test.
//! - **Bootstrap** for the figures without a closed form (PR AUC, precision, recall and
//!   lift at the threshold): Poisson(1) weights per lead (the Poisson bootstrap, which
//!   needs no resampled copy), replicates seeded from `seed` and the replicate's number
//!   so the same inputs give the same interval on any number of threads; percentile
//!   intervals.
//!
//! A test against a plain all-pairs implementation lives with the regressions;
//! `.ci/check_delong.py` checks the same numbers with an independent Python one.

use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// 97.5% quantile of the standard normal.
pub const Z95: f64 = 1.959963984540054;

/// Average ranks (1-based) of `v`, ties sharing their mean rank.
fn midranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = rank;
        }
        i = j + 1;
    }
    r
}

/// DeLong's estimates for one or more scores of the same leads.
#[derive(Debug, Clone)]
pub struct DeLong {
    pub aucs: Vec<f64>,
    /// Covariance matrix of the AUC estimates.
    pub cov: Vec<Vec<f64>>,
}

/// DeLong's AUCs and their covariance for `scores` (each one score per lead) against
/// `labels`; `None` when a class has fewer than two leads.
pub fn delong(scores: &[&[f64]], labels: &[bool]) -> Option<DeLong> {
    let m = labels.iter().filter(|&&y| y).count();
    let n = labels.len() - m;
    if m < 2 || n < 2 {
        return None;
    }
    let k = scores.len();
    let mut v10: Vec<Vec<f64>> = Vec::with_capacity(k); // per positive
    let mut v01: Vec<Vec<f64>> = Vec::with_capacity(k); // per negative
    let mut aucs = Vec::with_capacity(k);
    for s in scores {
        let x: Vec<f64> = s.iter().zip(labels).filter(|(_, &y)| y).map(|(&v, _)| v).collect();
        let yv: Vec<f64> = s.iter().zip(labels).filter(|(_, &y)| !y).map(|(&v, _)| v).collect();
        let z: Vec<f64> = x.iter().chain(&yv).copied().collect();
        let (tx, ty, tz) = (midranks(&x), midranks(&yv), midranks(&z));
        let auc = (tz[..m].iter().sum::<f64>() - m as f64 * (m as f64 + 1.0) / 2.0) / (m as f64 * n as f64);
        v10.push((0..m).map(|i| (tz[i] - tx[i]) / n as f64).collect());
        v01.push((0..n).map(|j| 1.0 - (tz[m + j] - ty[j]) / m as f64).collect());
        aucs.push(auc);
    }
    let cov_of = |v: &[Vec<f64>], a: usize, b: usize| {
        let len = v[a].len() as f64;
        let (ma, mb) = (v[a].iter().sum::<f64>() / len, v[b].iter().sum::<f64>() / len);
        v[a].iter().zip(&v[b]).map(|(p, q)| (p - ma) * (q - mb)).sum::<f64>() / (len - 1.0)
    };
    let cov = (0..k)
        .map(|a| (0..k).map(|b| cov_of(&v10, a, b) / m as f64 + cov_of(&v01, a, b) / n as f64).collect())
        .collect();
    Some(DeLong { aucs, cov })
}

/// A 95% interval of `value` with standard error `se`, clipped to `[lo, hi]`.
fn normal_interval(value: f64, se: f64, lo: f64, hi: f64) -> [f64; 2] {
    [(value - Z95 * se).max(lo), (value + Z95 * se).min(hi)]
}

/// Two-sided p-value of a standard normal `z`.
pub fn two_sided_p(z: f64) -> f64 {
    match Normal::new(0.0, 1.0) {
        Ok(n) if z.is_finite() => 2.0 * n.sf(z.abs()),
        _ => 1.0,
    }
}

/// The upper tail of the chi-square distribution with `df` degrees of freedom at `x`
/// (1 when `df` is 0).
pub fn chi_square_sf(x: f64, df: usize) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    match ChiSquared::new(df as f64) {
        Ok(d) if df > 0 => d.sf(x),
        _ => 1.0,
    }
}

/// A p-value as summaries write it: four decimals, or "<0.0001".
pub fn p_text(p: f64) -> String {
    if p < 0.0001 {
        "<0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

/// A ROC AUC with its DeLong interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AucInterval {
    pub roc_auc: f64,
    pub roc_auc_se: f64,
    pub roc_auc_ci: [f64; 2],
}

impl AucInterval {
    /// The interval holds 0.5: the ranking is not distinguishable from chance.
    pub fn includes_chance(&self) -> bool {
        self.roc_auc_ci[0] <= 0.5 && 0.5 <= self.roc_auc_ci[1]
    }
}

/// One score's ROC AUC and its DeLong interval.
pub fn auc_interval(scores: &[f64], labels: &[bool]) -> Option<AucInterval> {
    let d = delong(&[scores], labels)?;
    let se = d.cov[0][0].max(0.0).sqrt();
    Some(AucInterval { roc_auc: d.aucs[0], roc_auc_se: se, roc_auc_ci: normal_interval(d.aucs[0], se, 0.0, 1.0) })
}

/// The difference of two ROC AUCs on the same leads, with DeLong's paired test.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AucDifference {
    /// `a` minus `b`.
    pub difference: f64,
    pub se: f64,
    pub ci: [f64; 2],
    pub z: f64,
    pub p_value: f64,
}

/// `a`'s ROC AUC minus `b`'s on the same leads, DeLong's paired test.
pub fn auc_difference(a: &[f64], b: &[f64], labels: &[bool]) -> Option<AucDifference> {
    let d = delong(&[a, b], labels)?;
    let diff = d.aucs[0] - d.aucs[1];
    let var = d.cov[0][0] + d.cov[1][1] - 2.0 * d.cov[0][1];
    let se = var.max(0.0).sqrt();
    let z = if se > 0.0 {
        diff / se
    } else if diff == 0.0 {
        0.0
    } else {
        f64::INFINITY.copysign(diff)
    };
    Some(AucDifference { difference: diff, se, ci: normal_interval(diff, se, -1.0, 1.0), z, p_value: two_sided_p(z) })
}

/// The difference in buyers found by two selections of the same size (McNemar): only the
/// buyers one finds and the other misses count.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PairedCount {
    /// Buyers `a` finds minus buyers `b` finds.
    pub difference: i64,
    pub only_a: usize,
    pub only_b: usize,
    pub ci: [f64; 2],
    /// McNemar's test with continuity correction (exact binomial below 25 discordant).
    pub p_value: f64,
}

/// McNemar's comparison of two selections over the same `buyers` (one flag per buyer:
/// found by `a`, found by `b`).
pub fn paired_count(found_a: &[bool], found_b: &[bool]) -> PairedCount {
    let only_a = found_a.iter().zip(found_b).filter(|(&a, &b)| a && !b).count();
    let only_b = found_a.iter().zip(found_b).filter(|(&a, &b)| !a && b).count();
    let n = found_a.len() as f64;
    let d = only_a as f64 - only_b as f64;
    // Variance of the difference of two paired counts (b + c - (b - c)^2 / n).
    let var = (only_a + only_b) as f64 - if n > 0.0 { d * d / n } else { 0.0 };
    let se = var.max(0.0).sqrt();
    let discordant = only_a + only_b;
    let p_value = if discordant == 0 {
        1.0
    } else if discordant < 25 {
        // Exact: twice the smaller binomial tail with p = 1/2.
        let k = only_a.min(only_b);
        let mut tail = 0.0;
        let mut c = 1.0f64; // C(discordant, i)
        for i in 0..=k {
            if i > 0 {
                c = c * (discordant - i + 1) as f64 / i as f64;
            }
            tail += c;
        }
        (2.0 * tail / 2f64.powi(discordant as i32)).min(1.0)
    } else {
        let chi = ((d.abs() - 1.0).max(0.0)).powi(2) / discordant as f64;
        two_sided_p(chi.sqrt())
    };
    PairedCount { difference: d as i64, only_a, only_b, ci: [d - Z95 * se, d + Z95 * se], p_value }
}

/// Leads above which the bootstrap uses at most 200 replicates.
pub const LARGE: usize = 50_000;

/// Bootstrap settings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Bootstrap {
    pub replicates: usize,
    pub seed: u64,
}

impl Default for Bootstrap {
    /// 500 replicates, seed 42.
    fn default() -> Self {
        Bootstrap { replicates: 500, seed: 42 }
    }
}

/// The figures at a threshold and the PR AUC, each with a bootstrap interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AtThreshold {
    pub pr_auc_ci: [f64; 2],
    pub precision_ci: [f64; 2],
    pub recall_ci: [f64; 2],
    /// Precision over the base rate.
    pub lift: f64,
    pub lift_ci: [f64; 2],
    pub bootstrap: Bootstrap,
}

/// Tie groups of `scores`, highest first: (score, positives, negatives) as indices.
struct Groups {
    /// For each lead, its group (0 = highest score).
    group: Vec<u32>,
    /// Each group's score.
    score: Vec<f64>,
}

fn groups_desc(scores: &[f64]) -> Groups {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut group = vec![0u32; scores.len()];
    let mut score = Vec::new();
    for &i in &idx {
        if score.last() != Some(&scores[i]) {
            score.push(scores[i]);
        }
        group[i] = (score.len() - 1) as u32;
    }
    Groups { group, score }
}

/// Average precision, precision, recall and lift at `threshold` for one weighting of the
/// leads (a bootstrap replicate's Poisson weights, or all 1 for the point estimate), in
/// one pass over the leads in score order (`sorted`: group and label, groups highest
/// first). Every count is a whole number below 2^53, so adding in integers gives the
/// same bits as adding per-group float counts (the test keeps that reference).
fn replicate_figures(sorted: &[(u32, bool)], weights: &[u8], scores: &[f64], threshold: f64) -> Option<[f64; 4]> {
    let (mut won, mut all) = (0u64, 0u64);
    for (&(_, y), &w) in sorted.iter().zip(weights) {
        won += w as u64 * y as u64;
        all += w as u64;
    }
    let (total_pos, total) = (won as f64, all as f64);
    if total_pos <= 0.0 || total <= 0.0 {
        return None;
    }
    let (mut tp, mut fp, mut ap, mut last_recall) = (0u64, 0u64, 0.0, 0.0);
    let (mut at_tp, mut at_fp) = (0u64, 0u64);
    let mut i = 0;
    while i < sorted.len() {
        let grp = sorted[i].0;
        let mut pos = 0u64;
        while i < sorted.len() && sorted[i].0 == grp {
            let w = weights[i] as u64;
            pos += w * sorted[i].1 as u64;
            fp += w - w * sorted[i].1 as u64;
            i += 1;
        }
        tp += pos;
        // Recall moves only where won leads are.
        if pos > 0 {
            let (tpf, fpf) = (tp as f64, fp as f64);
            let recall = tpf / total_pos;
            ap += (recall - last_recall) * tpf / (tpf + fpf);
            last_recall = recall;
        }
        if scores[grp as usize] >= threshold {
            at_tp = tp;
            at_fp = fp;
        }
    }
    let (at_tp, at_fp) = (at_tp as f64, at_fp as f64);
    let precision = if at_tp + at_fp > 0.0 { at_tp / (at_tp + at_fp) } else { 1.0 };
    let recall = at_tp / total_pos;
    let lift = precision / (total_pos / total);
    Some([ap, precision, recall, lift])
}

/// The Poisson(1) distribution's cumulative probabilities up to 12, scaled to 2^32:
/// one 32-bit draw gives one weight by inverting the table (the mass above 12 is below
/// 2^-32 and counts as 12).
fn poisson1_table() -> [u64; 12] {
    let mut t = [0u64; 12];
    let (mut p, mut cum) = ((-1.0f64).exp(), 0.0);
    for (k, slot) in t.iter_mut().enumerate() {
        cum += p;
        *slot = (cum * 4_294_967_296.0) as u64;
        p /= (k + 1) as f64;
    }
    t
}

/// A Poisson(1) draw from [`poisson1_table`].
fn poisson1(rng: &mut impl rand::RngCore, table: &[u64; 12]) -> u32 {
    let u = rng.next_u32() as u64;
    // The table is increasing: the count of entries at or below u, without branches.
    table.iter().map(|&c| (u >= c) as u32).sum()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// PR AUC, precision, recall and lift at `threshold` with Poisson-bootstrap intervals.
pub fn at_threshold(probs: &[f64], labels: &[bool], threshold: f64, b: Bootstrap) -> AtThreshold {
    let g = groups_desc(probs);
    let table = poisson1_table();
    // The leads in score order (highest first) as (group, won) pairs, read front to back
    // by each replicate.
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by_key(|&i| g.group[i]);
    let sorted: Vec<(u32, bool)> = order.iter().map(|&i| (g.group[i], labels[i])).collect();
    drop(order);
    // The point estimate is the replicate in which every lead weighs 1.
    let point = replicate_figures(&sorted, &vec![1u8; sorted.len()], &g.score, threshold).unwrap_or([f64::NAN; 4]);
    let reps: Vec<[f64; 4]> = (0..b.replicates)
        .into_par_iter()
        .map_init(
            || Vec::with_capacity(sorted.len()),
            |weights: &mut Vec<u8>, r| {
                let mut rng =
                    rand_chacha::ChaCha8Rng::seed_from_u64(b.seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                weights.clear();
                weights.extend(sorted.iter().map(|_| poisson1(&mut rng, &table) as u8));
                replicate_figures(&sorted, weights, &g.score, threshold)
            },
        )
        .flatten()
        .collect();
    let ci = |k: usize| {
        let mut v: Vec<f64> = reps.iter().map(|r| r[k]).collect();
        v.sort_by(f64::total_cmp);
        [percentile(&v, 0.025), percentile(&v, 0.975)]
    };
    AtThreshold {
        pr_auc_ci: ci(0),
        precision_ci: ci(1),
        recall_ci: ci(2),
        lift: point[3],
        lift_ci: ci(3),
        bootstrap: b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn poisson_weights_have_mean_and_variance_one() {
        let table = poisson1_table();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let w: Vec<f64> = (0..200_000).map(|_| poisson1(&mut rng, &table) as f64).collect();
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / w.len() as f64;
        assert!((mean - 1.0).abs() < 0.01 && (var - 1.0).abs() < 0.02, "{mean} {var}");
        let zeros = w.iter().filter(|&&x| x == 0.0).count() as f64 / w.len() as f64;
        assert!((zeros - (-1.0f64).exp()).abs() < 0.005);
    }

    /// The reference the one-pass count is checked against: average precision, precision,
    /// recall and lift at `threshold` from per-group weighted
    /// counts (groups highest first).
    fn weighted_figures(pos: &[f64], neg: &[f64], scores: &[f64], threshold: f64) -> Option<[f64; 4]> {
        let total_pos: f64 = pos.iter().sum();
        let total: f64 = total_pos + neg.iter().sum::<f64>();
        if total_pos <= 0.0 || total <= 0.0 {
            return None;
        }
        let (mut tp, mut fp, mut ap, mut last_recall) = (0.0, 0.0, 0.0, 0.0);
        let (mut at_tp, mut at_fp) = (0.0, 0.0);
        for g in 0..pos.len() {
            tp += pos[g];
            fp += neg[g];
            // Recall moves only where won leads are.
            if pos[g] > 0.0 {
                let recall = tp / total_pos;
                ap += (recall - last_recall) * tp / (tp + fp);
                last_recall = recall;
            }
            if scores[g] >= threshold {
                at_tp = tp;
                at_fp = fp;
            }
        }
        let precision = if at_tp + at_fp > 0.0 { at_tp / (at_tp + at_fp) } else { 1.0 };
        let recall = at_tp / total_pos;
        let lift = precision / (total_pos / total);
        Some([ap, precision, recall, lift])
    }

    #[test]
    fn one_pass_replicate_gives_the_group_arrays_figures_to_the_bit() {
        // Scores with ties (few distinct values) and without; thresholds between and on them.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for distinct in [5u32, 40, 5_000] {
            let n = 5_000;
            let scores: Vec<f64> = (0..n).map(|_| (rng.next_u32() % distinct) as f64 / distinct as f64).collect();
            let labels: Vec<bool> = scores.iter().map(|&s| (rng.next_u32() as f64 / 4e9) < s).collect();
            let g = groups_desc(&scores);
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| g.group[i]);
            let sorted: Vec<(u32, bool)> = order.iter().map(|&i| (g.group[i], labels[i])).collect();
            let table = poisson1_table();
            for threshold in [0.0, 0.5, 1.0 / distinct as f64, 2.0] {
                let weights: Vec<u8> = sorted.iter().map(|_| poisson1(&mut rng, &table) as u8).collect();
                let (mut pos, mut neg) = (vec![0.0; g.score.len()], vec![0.0; g.score.len()]);
                for (&(grp, y), &w) in sorted.iter().zip(&weights) {
                    let (w, yf) = (w as f64, y as u8 as f64);
                    pos[grp as usize] += w * yf;
                    neg[grp as usize] += w - w * yf;
                }
                let old = weighted_figures(&pos, &neg, &g.score, threshold).unwrap();
                let new = replicate_figures(&sorted, &weights, &g.score, threshold).unwrap();
                assert_eq!(old.map(f64::to_bits), new.map(f64::to_bits), "{distinct} {threshold}");
            }
        }
    }

    #[test]
    fn midranks_share_ties() {
        assert_eq!(midranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn mcnemar_exact_matches_the_binomial() {
        // 8 discordant, 1 against 7: p = 2 * (1 + 8) / 256.
        let a = [true, false, false, false, false, false, false, false];
        let b = [false, true, true, true, true, true, true, true];
        let r = paired_count(&a, &b);
        assert_eq!((r.only_a, r.only_b, r.difference), (1, 7, -6));
        assert!((r.p_value - 18.0 / 256.0).abs() < 1e-12);
    }
}
