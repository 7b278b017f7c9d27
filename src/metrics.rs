//! Evaluation metrics on (probability, label) pairs, and nothing else.
//!
//! Used after fitting (holdout metrics in `train`), by `evaluate`, `threshold` and
//! `compare`. The definitions follow scikit-learn's so that numbers can be checked
//! against it: ROC AUC with tied scores counted as half (`roc_auc_score`), average
//! precision as the step-wise sum over distinct thresholds (`average_precision_score`),
//! log loss with probabilities clipped to machine epsilon (`log_loss`) and the Brier
//! score (`brier_score_loss`). Tied scores always move together: every curve here has
//! one point per distinct score, never an arbitrary split of a tie.

use serde::{Deserialize, Serialize};

/// ROC AUC (Mann-Whitney U with average ranks for ties). `None` when either class is absent.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    // (score, label) pairs sorted by the score's total order; equal scores (by `==`, so
    // -0.0 and 0.0 together) form one group of ties.
    let mut pairs: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    pairs.sort_unstable_by_key(|p| order_key(p.0));
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut last: Option<f64> = None;
    for &(s, y) in &pairs {
        if last != Some(s) {
            groups.push((0, 0));
            last = Some(s);
        }
        if let Some(g) = groups.last_mut() {
            g.0 += 1;
            g.1 += y as usize;
        }
    }
    auc_of_groups(&groups)
}

/// ROC AUC from groups of tied scores in ascending order of score: (rows, positives)
/// each. The same number as [`roc_auc`] on the rows the groups stand for, without
/// sorting them (a category's levels, say). `None` when either class is absent.
pub fn roc_auc_grouped(mut groups: Vec<(f64, usize, usize)>) -> Option<f64> {
    groups.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(groups.len());
    let mut last: Option<f64> = None;
    for (s, n, p) in groups {
        if n == 0 {
            continue;
        }
        match merged.last_mut() {
            Some(g) if last == Some(s) => {
                g.0 += n;
                g.1 += p;
            }
            _ => {
                merged.push((n, p));
                last = Some(s);
            }
        }
    }
    auc_of_groups(&merged)
}

/// A key whose unsigned order is `f64::total_cmp`'s order (equal keys: equal scores).
fn order_key(s: f64) -> u64 {
    let b = s.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// The Mann-Whitney AUC from tie groups (rows, positives) in ascending order of score.
fn auc_of_groups(groups: &[(usize, usize)]) -> Option<f64> {
    let n: usize = groups.iter().map(|g| g.0).sum();
    let pos: usize = groups.iter().map(|g| g.1).sum();
    let neg = n - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut rank_sum_pos = 0.0f64;
    let mut i = 0usize;
    for &(rows, p_in_group) in groups {
        let j = i + rows - 1;
        // Ranks i+1 ..= j+1 share their average.
        let avg = (i + j + 2) as f64 / 2.0;
        rank_sum_pos += avg * p_in_group as f64;
        i = j + 1;
    }
    let p = pos as f64;
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * neg as f64))
}

/// One point of the precision/recall/ROC curves: everything routed at `prob >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub threshold: f64,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl CurvePoint {
    pub fn routed(&self) -> usize {
        self.tp + self.fp
    }
    pub fn precision(&self) -> f64 {
        if self.routed() == 0 {
            1.0
        } else {
            self.tp as f64 / self.routed() as f64
        }
    }
    pub fn recall(&self) -> f64 {
        let p = self.tp + self.fn_;
        if p == 0 {
            0.0
        } else {
            self.tp as f64 / p as f64
        }
    }
    pub fn fpr(&self) -> f64 {
        let n = self.fp + self.tn;
        if n == 0 {
            0.0
        } else {
            self.fp as f64 / n as f64
        }
    }
    pub fn f_beta(&self, beta: f64) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        let b2 = beta * beta;
        if self.tp == 0 {
            0.0
        } else {
            (1.0 + b2) * p * r / (b2 * p + r)
        }
    }
}

/// The curve: one point per distinct score, highest threshold first.
pub fn curve(scores: &[f64], labels: &[bool]) -> Vec<CurvePoint> {
    let n = scores.len();
    let pos = labels.iter().filter(|&&y| y).count();
    let neg = n - pos;
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < n {
        let s = scores[idx[i]];
        while i < n && scores[idx[i]] == s {
            if labels[idx[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        out.push(CurvePoint { threshold: s, tp, fp, fn_: pos - tp, tn: neg - fp });
    }
    out
}

/// Average precision: sum over distinct thresholds of (recall step) x precision.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let pos = labels.iter().filter(|&&y| y).count();
    if pos == 0 {
        return None;
    }
    let mut ap = 0.0;
    let mut prev_recall = 0.0;
    for p in curve(scores, labels) {
        let r = p.recall();
        ap += (r - prev_recall) * p.precision();
        prev_recall = r;
    }
    Some(ap)
}

/// Mean log loss, probabilities clipped to [eps, 1 - eps] with eps = f64::EPSILON.
pub fn log_loss(probs: &[f64], labels: &[bool]) -> f64 {
    let eps = f64::EPSILON;
    let s: f64 = probs
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = p.clamp(eps, 1.0 - eps);
            if y {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    s / probs.len().max(1) as f64
}

/// Mean squared difference between probability and outcome.
pub fn brier(probs: &[f64], labels: &[bool]) -> f64 {
    let s: f64 = probs.iter().zip(labels).map(|(&p, &y)| (p - y as u8 as f64).powi(2)).sum();
    s / probs.len().max(1) as f64
}

/// The headline numbers of a model on labelled rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub rows: usize,
    pub positives: usize,
    pub base_rate: f64,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
}

/// ROC AUC, PR AUC, log loss and Brier on labelled rows; `None` when a class is absent.
pub fn summary(probs: &[f64], labels: &[bool]) -> Option<Summary> {
    let positives = labels.iter().filter(|&&y| y).count();
    Some(Summary {
        rows: labels.len(),
        positives,
        base_rate: positives as f64 / labels.len().max(1) as f64,
        roc_auc: roc_auc(probs, labels)?,
        pr_auc: average_precision(probs, labels)?,
        log_loss: log_loss(probs, labels),
        brier: brier(probs, labels),
    })
}

/// One bin of the calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub lower: f64,
    pub upper: f64,
    pub count: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Ten equal-width bins of predicted probability, and the expected calibration error
/// (the count-weighted mean of |observed - predicted|).
pub fn calibration(probs: &[f64], labels: &[bool], bins: usize) -> (Vec<CalibrationBin>, f64) {
    let mut count = vec![0usize; bins];
    let mut sum_p = vec![0.0f64; bins];
    let mut won = vec![0usize; bins];
    for (&p, &y) in probs.iter().zip(labels) {
        let b = ((p * bins as f64) as usize).min(bins - 1);
        count[b] += 1;
        sum_p[b] += p;
        won[b] += y as usize;
    }
    let n = probs.len().max(1) as f64;
    let mut ece = 0.0;
    let table = (0..bins)
        .map(|b| {
            let c = count[b];
            let (mp, obs) = if c == 0 { (0.0, 0.0) } else { (sum_p[b] / c as f64, won[b] as f64 / c as f64) };
            ece += c as f64 / n * (obs - mp).abs();
            CalibrationBin {
                lower: b as f64 / bins as f64,
                upper: (b + 1) as f64 / bins as f64,
                count: c,
                mean_predicted: mp,
                observed_rate: obs,
            }
        })
        .collect();
    (table, ece)
}

/// One row of a gains table: a group of leads, best scores first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub band: String,
    pub leads: usize,
    pub conversions: usize,
    pub conversion_rate: f64,
    pub share_of_conversions: f64,
    pub cumulative_leads_share: f64,
    pub cumulative_conversions_share: f64,
    /// Cumulative conversion rate over the base rate.
    pub cumulative_lift: f64,
    /// The lowest probability in the group (groups of leads by probability).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min_probability: Option<f64>,
    /// The lowest points in the group (manual stages).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min_points: Option<f64>,
}

/// Gains table by score decile (best first). Tied scores stay in one decile: a lead's
/// decile is set by the rank of the first lead of its tie group.
pub fn deciles(probs: &[f64], labels: &[bool]) -> Vec<Band> {
    let n = probs.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let mut group = vec![0usize; n];
    let mut i = 0;
    while i < n {
        let d = (i * 10 / n.max(1)).min(9);
        let s = probs[idx[i]];
        while i < n && probs[idx[i]] == s {
            group[idx[i]] = d;
            i += 1;
        }
    }
    let names: Vec<String> = (0..10).map(|d| format!("decile {} ({}-{}%)", d + 1, d * 10, (d + 1) * 10)).collect();
    bands(probs, labels, &group, &names)
}

/// Gains table for any grouping of leads (`group[i]` indexes `names`, best group first).
pub fn bands(probs: &[f64], labels: &[bool], group: &[usize], names: &[String]) -> Vec<Band> {
    let k = names.len();
    let mut leads = vec![0usize; k];
    let mut conv = vec![0usize; k];
    let mut minp = vec![f64::INFINITY; k];
    for ((&g, &y), &p) in group.iter().zip(labels).zip(probs) {
        leads[g] += 1;
        conv[g] += y as usize;
        minp[g] = minp[g].min(p);
    }
    let n = probs.len().max(1) as f64;
    let total_conv = conv.iter().sum::<usize>().max(1) as f64;
    let base = conv.iter().sum::<usize>() as f64 / n;
    let (mut cl, mut cc) = (0usize, 0usize);
    (0..k)
        .map(|g| {
            cl += leads[g];
            cc += conv[g];
            let cum_rate = if cl == 0 { 0.0 } else { cc as f64 / cl as f64 };
            Band {
                band: names[g].clone(),
                leads: leads[g],
                conversions: conv[g],
                conversion_rate: if leads[g] == 0 { 0.0 } else { conv[g] as f64 / leads[g] as f64 },
                share_of_conversions: conv[g] as f64 / total_conv,
                cumulative_leads_share: cl as f64 / n,
                cumulative_conversions_share: cc as f64 / total_conv,
                cumulative_lift: if base > 0.0 { cum_rate / base } else { 0.0 },
                min_probability: Some(if minp[g].is_finite() { minp[g] } else { 0.0 }),
                min_points: None,
            }
        })
        .collect()
}

/// One bin of the score distribution: how many won and lost leads scored in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistBin {
    pub lower: f64,
    pub upper: f64,
    pub won: usize,
    pub lost: usize,
}

/// The distribution of probabilities of won and lost leads in `bins` equal-width bins.
pub fn histogram(probs: &[f64], labels: &[bool], bins: usize) -> Vec<HistBin> {
    let mut out: Vec<HistBin> = (0..bins)
        .map(|b| HistBin { lower: b as f64 / bins as f64, upper: (b + 1) as f64 / bins as f64, won: 0, lost: 0 })
        .collect();
    for (&p, &y) in probs.iter().zip(labels) {
        let b = ((p * bins as f64) as usize).min(bins - 1);
        if y {
            out[b].won += 1;
        } else {
            out[b].lost += 1;
        }
    }
    out
}

/// Riley et al. (2020, BMJ) criterion (i) for a binary outcome: the rows a model with `p`
/// parameters needs for an expected shrinkage of 0.9, at the explained variation
/// (Cox-Snell R squared) the model's ranking reaches on the holdout (its log-odds
/// recalibrated there, so that a moved base rate does not count against it).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SampleSize {
    pub parameters: usize,
    pub r2_cox_snell: f64,
    /// `None` when the model explains nothing on the holdout (no number of rows suffices).
    pub min_rows: Option<f64>,
    pub train_rows: usize,
}

impl SampleSize {
    pub const SHRINKAGE: f64 = 0.9;

    pub fn of(parameters: usize, probs: &[f64], labels: &[bool], train_rows: usize) -> SampleSize {
        let n = labels.len() as f64;
        let rate = labels.iter().filter(|&&y| y).count() as f64 / n;
        let ll = |p: f64, y: bool| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if y {
                p.ln()
            } else {
                (1.0 - p).ln()
            }
        };
        // The explained variation of the model's ranking: its log-odds recalibrated on the
        // holdout (intercept and slope), so that a base rate that moved between training
        // and holdout (a time-ordered split) is not taken for overfitting.
        let lp: Vec<f64> = probs
            .iter()
            .map(|&p| {
                let p = p.clamp(1e-15, 1.0 - 1e-15);
                (p / (1.0 - p)).ln()
            })
            .collect();
        let ll_null: f64 = labels.iter().map(|&y| ll(rate, y)).sum();
        // The model as it is, when recalibration does not converge (a ranking that
        // separates the holdout perfectly, say): never below the base rate alone.
        let as_is: f64 = probs.iter().zip(labels).map(|(&p, &y)| ll(p, y)).sum();
        let ll_model: f64 = match logistic_fit_1d(&lp, labels) {
            Some(([c, b], _)) => lp.iter().zip(labels).map(|(&z, &y)| ll(sigmoid(c + b * z), y)).sum(),
            None => as_is,
        }
        .max(ll_null);
        let r2 = 1.0 - (-2.0 * (ll_model - ll_null) / n).exp();
        let s = Self::SHRINKAGE;
        let min_rows = (r2 > 0.0 && r2 < s).then(|| parameters as f64 / ((s - 1.0) * (1.0 - r2 / s).ln()));
        SampleSize { parameters, r2_cox_snell: r2, min_rows, train_rows }
    }

    /// Fewer training rows than the criterion asks for.
    pub fn too_small(&self) -> bool {
        self.min_rows.is_none_or(|m| (self.train_rows as f64) < m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The earlier implementation (an index sort), kept as the reference.
    fn roc_auc_by_index(scores: &[f64], labels: &[bool]) -> Option<f64> {
        let n = scores.len();
        let pos = labels.iter().filter(|&&y| y).count();
        let neg = n - pos;
        if pos == 0 || neg == 0 {
            return None;
        }
        let mut idx: Vec<usize> = (0..n).collect();
        idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        let mut rank_sum_pos = 0.0f64;
        let mut i = 0;
        while i < n {
            let mut j = i;
            while j + 1 < n && scores[idx[j + 1]] == scores[idx[i]] {
                j += 1;
            }
            let avg = (i + j + 2) as f64 / 2.0;
            let p_in_group = idx[i..=j].iter().filter(|&&k| labels[k]).count();
            rank_sum_pos += avg * p_in_group as f64;
            i = j + 1;
        }
        let p = pos as f64;
        Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * neg as f64))
    }

    #[test]
    fn grouped_auc_is_the_row_auc() {
        let mut state = 0x1234_5678_9abc_def1u64;
        for _ in 0..200 {
            let mut groups = Vec::new();
            let (mut scores, mut labels) = (Vec::new(), Vec::new());
            for _ in 0..12 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Few distinct scores, so that groups tie with each other too; -0.0 and 0.0 differ.
                let score = [0.0, -0.0, 0.25, 0.5, 0.5, 0.75][(state % 6) as usize];
                let rows = (state >> 8) as usize % 40;
                let pos = if rows == 0 { 0 } else { (state >> 20) as usize % (rows + 1) };
                groups.push((score, rows, pos));
                for k in 0..rows {
                    scores.push(score);
                    labels.push(k < pos);
                }
            }
            let want = roc_auc_by_index(&scores, &labels).map(f64::to_bits);
            assert_eq!(roc_auc(&scores, &labels).map(f64::to_bits), want);
            assert_eq!(roc_auc_grouped(groups).map(f64::to_bits), want);
        }
    }

    #[test]
    fn auc_counts_ties_as_half() {
        // One positive and one negative with the same score: AUC 0.5.
        assert_eq!(roc_auc(&[0.3, 0.3], &[true, false]), Some(0.5));
        assert_eq!(roc_auc(&[0.9, 0.1], &[true, false]), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.1], &[true, true]), None);
    }

    #[test]
    fn curve_has_one_point_per_distinct_score() {
        let c = curve(&[0.9, 0.5, 0.5, 0.1], &[true, true, false, false]);
        assert_eq!(c.len(), 3);
        assert_eq!((c[1].tp, c[1].fp), (2, 1));
    }
}

/// Calibration in the large and the calibration slope (Van Calster et al. 2016's "mean"
/// and "weak" calibration), each with a 95% interval from the likelihood's curvature.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct CalibrationFit {
    /// The intercept `a` of `logit(P(won)) = a + logit(p)`: 0 when the probabilities are
    /// right on average; above 0 when they are too low.
    pub calibration_in_the_large: f64,
    pub calibration_in_the_large_ci: [f64; 2],
    /// The slope `b` of `logit(P(won)) = c + b logit(p)`: 1 ideal; below 1 the
    /// probabilities are too extreme (overfitting), above 1 too timid.
    pub calibration_slope: f64,
    pub calibration_slope_ci: [f64; 2],
}

impl CalibrationFit {
    /// In words a reader can check.
    pub fn describe(&self) -> String {
        format!(
            "calibration in the large {:+.3} (95% CI {:+.3} to {:+.3}; 0 is right on average), slope {:.3} ({:.3} to {:.3}; 1 is ideal, below 1 the probabilities are too extreme, above 1 too timid)",
            self.calibration_in_the_large,
            self.calibration_in_the_large_ci[0],
            self.calibration_in_the_large_ci[1],
            self.calibration_slope,
            self.calibration_slope_ci[0],
            self.calibration_slope_ci[1]
        )
    }
}

/// The one-branch logistic function this module's own small fits ([`logistic_fit`],
/// behind [`calibration_fit`], recalibration and the segment updates) have always used.
/// Its last bits differ from [`sigmoid`]'s for negative `z`, and the figures and models
/// those fits make carry them, so it stays until a change that may move them.
fn calibration_sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// [`CalibrationFit`] of `probs` against `labels` (Newton's method on the one- and
/// two-parameter logistic likelihoods); `None` when a class is absent or the
/// probabilities do not vary.
pub fn calibration_fit(probs: &[f64], labels: &[bool]) -> Option<CalibrationFit> {
    let pos = labels.iter().filter(|&&y| y).count();
    if pos == 0 || pos == labels.len() {
        return None;
    }
    let lp: Vec<f64> = probs
        .iter()
        .map(|&p| {
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            (p / (1.0 - p)).ln()
        })
        .collect();
    // In the large: the offset model's intercept.
    let large = logistic_fit(&[], Some(&lp), labels, &[0.0])?;
    let a = large.beta[0];
    // Slope: intercept and slope together.
    let ([_, b], inv) = logistic_fit_1d(&lp, labels)?;
    let inv11 = inv[1][1];
    let z = crate::uncertainty::Z95;
    let (se_a, se_b) = (large.cov[0][0].sqrt(), inv11.sqrt());
    Some(CalibrationFit {
        calibration_in_the_large: a,
        calibration_in_the_large_ci: [a - z * se_a, a + z * se_a],
        calibration_slope: b,
        calibration_slope_ci: [b - z * se_b, b + z * se_b],
    })
}

/// The logistic regression of `labels` on one variable `x` with an intercept (Newton's
/// method): `[intercept, slope]` and the inverse of the information matrix. `None` when
/// it does not converge to a finite fit (a class absent, `x` constant, separation).
pub fn logistic_fit_1d(x: &[f64], labels: &[bool]) -> Option<([f64; 2], [[f64; 2]; 2])> {
    let f = logistic_fit(&[x], None, labels, &[0.0, 1.0])?;
    Some(([f.beta[0], f.beta[1]], [[f.cov[0][0], f.cov[0][1]], [f.cov[1][0], f.cov[1][1]]]))
}

/// A small logistic regression's fit: coefficients (intercept first), the inverse of the
/// information matrix (their covariance), and the log-likelihood.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    pub beta: Vec<f64>,
    pub cov: Vec<Vec<f64>>,
    pub log_likelihood: f64,
}

/// The logistic function, written so that neither branch overflows: the one every
/// model, fit and scoring path uses.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// The log-likelihood of `labels` under log-odds `t`, one lead: log(sigmoid(t)) or
/// log(1 - sigmoid(t)), stably.
pub fn log_likelihood(t: f64, y: bool) -> f64 {
    let s = if y { t } else { -t };
    if s >= 0.0 {
        -(-s).exp().ln_1p()
    } else {
        s - s.exp().ln_1p()
    }
}

/// The logistic regression of `labels` on a few variables `x` (each a column) with an
/// intercept and an optional fixed `offset` added to every lead's log-odds, by Newton's
/// method with step halving, from `start` (intercept first). For recalibration and
/// model updating (a handful of parameters; the design's Hessian is solved directly).
/// `None` when it does not converge to a finite fit (a class absent, a constant or
/// collinear variable, separation).
pub fn logistic_fit(x: &[&[f64]], offset: Option<&[f64]>, labels: &[bool], start: &[f64]) -> Option<LogisticFit> {
    let k = x.len() + 1;
    let n = labels.len();
    if start.len() != k || x.iter().any(|c| c.len() != n) || offset.is_some_and(|o| o.len() != n) {
        return None;
    }
    let eta = |beta: &[f64], i: usize| -> f64 {
        let mut t = beta[0] + offset.map_or(0.0, |o| o[i]);
        for (c, b) in x.iter().zip(&beta[1..]) {
            t += b * c[i];
        }
        t
    };
    let ll = |beta: &[f64]| -> f64 { (0..n).map(|i| log_likelihood(eta(beta, i), labels[i])).sum() };
    let mut beta = start.to_vec();
    let mut current = ll(&beta);
    let mut row = vec![0.0; k];
    for _ in 0..200 {
        let mut g = vec![0.0; k];
        let mut h = vec![vec![0.0; k]; k];
        for i in 0..n {
            let p = calibration_sigmoid(eta(&beta, i));
            let (r, w) = (labels[i] as u8 as f64 - p, p * (1.0 - p));
            row[0] = 1.0;
            for (v, c) in row[1..].iter_mut().zip(x) {
                *v = c[i];
            }
            for a in 0..k {
                g[a] += r * row[a];
                for b in a..k {
                    h[a][b] += w * row[a] * row[b];
                }
            }
        }
        for a in 1..k {
            let (upper, lower) = h.split_at_mut(a);
            for (b, row) in upper.iter().enumerate() {
                lower[0][b] = row[a];
            }
        }
        let inv = invert(&h)?;
        let d: Vec<f64> = inv.iter().map(|r| r.iter().zip(&g).map(|(a, b)| a * b).sum()).collect();
        if d.iter().all(|v| v.abs() < 1e-10) {
            return Some(LogisticFit { beta, cov: inv, log_likelihood: current });
        }
        // Newton's step, halved until the likelihood does not fall.
        let mut t = 1.0;
        loop {
            let next_beta: Vec<f64> = beta.iter().zip(&d).map(|(b, d)| b + t * d).collect();
            let next = ll(&next_beta);
            if next >= current - 1e-9 * current.abs().max(1.0) || t < 1e-10 {
                beta = next_beta;
                current = next;
                break;
            }
            t /= 2.0;
        }
        if !beta.iter().all(|b| b.is_finite()) {
            return None;
        }
    }
    None
}

/// The inverse of a small symmetric positive definite matrix (Gauss-Jordan with partial
/// pivoting); `None` when it is singular or not positive definite.
fn invert(h: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = h.len();
    let mut a: Vec<Vec<f64>> = h.to_vec();
    let mut inv: Vec<Vec<f64>> = (0..k).map(|i| (0..k).map(|j| (i == j) as u8 as f64).collect()).collect();
    let scale = h.iter().enumerate().map(|(i, r)| r[i].abs()).fold(0.0, f64::max);
    for c in 0..k {
        if h[c][c].is_nan() || h[c][c] <= 0.0 {
            return None;
        }
        let piv = (c..k).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if !a[piv][c].is_finite() || a[piv][c].abs() <= 1e-13 * scale {
            return None;
        }
        a.swap(c, piv);
        inv.swap(c, piv);
        let d = a[c][c];
        for j in 0..k {
            a[c][j] /= d;
            inv[c][j] /= d;
        }
        for i in 0..k {
            if i != c {
                let f = a[i][c];
                if f != 0.0 {
                    for j in 0..k {
                        a[i][j] -= f * a[c][j];
                        inv[i][j] -= f * inv[c][j];
                    }
                }
            }
        }
    }
    Some(inv)
}
