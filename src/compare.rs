//! Manual versus predictive on the same labelled leads.
//!
//! The question every predictive model is asked first: does it beat our points? Both
//! models score the same leads ([`crate::rules`] for the points, [`crate::score`] for the
//! probabilities); this module measures both with [`crate::metrics`]: ranking quality
//! (ROC AUC, PR AUC), conversion by manual stage and by predictive tier, the buyers each
//! finds at equal sales capacity, the agreement matrix, and the leads where the two
//! disagree most.

use serde::Serialize;

use crate::data::Table;
use crate::error::{Error, Result};
use crate::metrics::{self, Band};
use crate::model::LeadModel;
use crate::rules::{RuleScores, Rules};

/// Ranking quality of one model, with intervals.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub roc_auc: f64,
    /// DeLong's 95% interval.
    pub roc_auc_ci: [f64; 2],
    pub pr_auc: f64,
    /// Bootstrap 95% interval.
    pub pr_auc_ci: [f64; 2],
    /// The ROC AUC's interval holds 0.5: this ranking is no better than chance here.
    pub no_signal: bool,
}

/// Is the predictive model better than the manual one on these leads?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Better,
    Worse,
    NotDistinguishable,
}

/// The two models on one segment's leads.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentComparison {
    pub segment: String,
    /// Which weights of the predictive model scored it (as in `evaluate`).
    pub model: String,
    pub rows: usize,
    pub positives: usize,
    pub manual_roc_auc: Option<f64>,
    pub manual_roc_auc_ci: Option<[f64; 2]>,
    pub predictive_roc_auc: Option<f64>,
    pub predictive_roc_auc_ci: Option<[f64; 2]>,
    /// Predictive minus manual, DeLong's paired test.
    pub roc_auc_difference: Option<crate::uncertainty::AucDifference>,
    pub verdict: Option<Verdict>,
}

/// The verdict of a paired ROC AUC difference (predictive minus manual): better or worse
/// needs the interval to exclude zero and the better model to show signal of its own (a
/// model that ranks no better than chance is better than nothing).
pub fn verdict_of(
    d: &crate::uncertainty::AucDifference,
    manual_no_signal: bool,
    predictive_no_signal: bool,
) -> Verdict {
    if d.ci[0] > 0.0 && !predictive_no_signal {
        Verdict::Better
    } else if d.ci[1] < 0.0 && !manual_no_signal {
        Verdict::Worse
    } else {
        Verdict::NotDistinguishable
    }
}

/// Buyers found when both models route the same number of leads.
#[derive(Debug, Clone, Serialize)]
pub struct EqualCapacity {
    /// The manual model's top stage, whose size sets the capacity.
    pub stage: String,
    pub leads: usize,
    pub manual_conversions: usize,
    pub predictive_conversions: usize,
    /// Predictive minus manual buyers, McNemar's interval and test on the buyers only one
    /// of the two selections finds.
    pub difference: crate::uncertainty::PairedCount,
}

/// One cell of the agreement matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub stage: String,
    pub tier: String,
    pub leads: usize,
    pub conversions: usize,
    pub conversion_rate: f64,
}

/// A lead the two models rank very differently.
#[derive(Debug, Clone, Serialize)]
pub struct Disagreement {
    pub lead: String,
    pub points: f64,
    pub stage: String,
    pub probability: f64,
    pub tier: String,
    pub won: bool,
    /// Share of leads ranked below this one, by each model (0 = bottom, 1 = top).
    pub manual_percentile: f64,
    pub predictive_percentile: f64,
}

/// Everything `compare` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The as-of date both models scored at, and why (set by [`compare_on`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<crate::as_of::AsOf>,
    pub rows: usize,
    pub positives: usize,
    pub base_rate: f64,
    pub manual: Side,
    pub predictive: Side,
    /// Predictive minus manual ROC AUC on the same leads: DeLong's paired interval and test.
    pub roc_auc_difference: crate::uncertainty::AucDifference,
    /// Better or worse when the paired interval excludes zero (p < 0.05) and the better
    /// model's own ROC AUC interval excludes 0.5.
    pub verdict: Verdict,
    pub equal_capacity: EqualCapacity,
    /// Conversion by manual stage, highest stage first.
    pub stages: Vec<Band>,
    /// Conversion by predictive tier, highest tier first.
    pub tiers: Vec<Band>,
    pub agreement: Vec<Cell>,
    pub disagreements: Vec<Disagreement>,
    /// The curves of both rankings, for charts.
    #[serde(skip)]
    /// A segmented model's comparison per segment value (empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentComparison>,
    pub manual_curve: Vec<metrics::CurvePoint>,
    #[serde(skip)]
    pub predictive_curve: Vec<metrics::CurvePoint>,
}

/// The one compare pipeline, used by `compare`, `report --rules` and `demo`: the as-of
/// date ([`crate::as_of::for_history`], over the model's date columns and the rules'
/// fields), the points, the probabilities and the labels of `table`, then [`compare`].
pub fn compare_on(
    model: &LeadModel,
    rules: &Rules,
    table: &Table,
    given_as_of: Option<chrono::NaiveDate>,
    id: Option<&str>,
    bootstrap: crate::uncertainty::Bootstrap,
) -> Result<(Comparison, crate::as_of::AsOf)> {
    rules.check_fields(table)?;
    let fields = rules.fields();
    let as_of = crate::as_of::for_history(given_as_of, Some(model), table, &fields)?;
    let scores = rules.evaluate(table, as_of.date)?;
    let scored = crate::score::predict_table(model, table, as_of.day())?;
    let (rows, y) = crate::score::labels_for(model, table)?;
    let id = id.map(str::to_string).or(model.meta.id_column.clone()).filter(|c| table.column_names().contains(c));
    let mut c = compare(model, rules, table, &scores, &scored.probability, &rows, &y, id.as_deref(), bootstrap)?;
    c.as_of = Some(as_of);
    Ok((c, as_of))
}

/// Each lead's id as text (`None` without an id column), for the `rows` compared.
fn lead_ids(table: &Table, id: Option<&str>, rows: &[usize]) -> Result<Option<Vec<Option<String>>>> {
    Ok(match id {
        Some(c) => {
            let col = table
                .column(c)?
                .cast(&polars::prelude::DataType::String)
                .map_err(|e| Error::Internal(format!("{}: {e}", table.path.display())))?;
            let ca = col.str().map_err(|e| Error::Internal(format!("{}: {e}", table.path.display())))?.clone();
            Some(rows.iter().map(|&i| ca.get(i).map(str::to_string)).collect())
        }
        None => None,
    })
}

/// The agreement matrix: leads and conversion by manual stage and predictive tier, the
/// highest of each first.
fn agreement(
    stage_names: &[String],
    tier_names: &[String],
    stage: &[usize],
    tier_idx: &[usize],
    y: &[bool],
) -> Vec<Cell> {
    let (ns, nt) = (stage_names.len(), tier_names.len());
    let mut agreement = Vec::new();
    for s in (0..ns).rev() {
        for t in (0..nt).rev() {
            let members: Vec<usize> = (0..y.len()).filter(|&i| stage[i] == s && tier_idx[i] == t).collect();
            let conv = members.iter().filter(|&&i| y[i]).count();
            agreement.push(Cell {
                stage: stage_names[s].clone(),
                tier: tier_names[t].clone(),
                leads: members.len(),
                conversions: conv,
                conversion_rate: if members.is_empty() { 0.0 } else { conv as f64 / members.len() as f64 },
            });
        }
    }

    agreement
}

/// Compare on the labelled rows `rows` (indices into `table`) with outcomes `y`.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    model: &LeadModel,
    rules: &Rules,
    table: &Table,
    scores: &RuleScores,
    probability: &[f64],
    rows: &[usize],
    y: &[bool],
    id: Option<&str>,
    bootstrap: crate::uncertainty::Bootstrap,
) -> Result<Comparison> {
    let pts: Vec<f64> = rows.iter().map(|&i| scores.points[i]).collect();
    let stage: Vec<usize> = rows.iter().map(|&i| scores.stage[i]).collect();
    let prob: Vec<f64> = rows.iter().map(|&i| probability[i]).collect();
    let won = y.iter().filter(|&&v| v).count();
    if won == 0 || won == y.len() {
        return Err(Error::data(
            table.path.display().to_string(),
            format!("the labelled rows have {won} won leads of {}; a comparison needs both won and lost", y.len()),
        ));
    }
    // Manual ranking: the stage first (overrides count), then points.
    let manual_score: Vec<f64> = stage.iter().zip(&pts).map(|(&s, &p)| s as f64 * 1e9 + p).collect();
    let side = |s: &[f64]| -> Result<Side> {
        let roc_auc = metrics::roc_auc(s, y).ok_or_else(|| Error::Internal("AUC without both classes".into()))?;
        let ci = crate::uncertainty::auc_interval(s, y).map_or([0.0, 1.0], |a| a.roc_auc_ci);
        Ok(Side {
            roc_auc,
            roc_auc_ci: ci,
            pr_auc: metrics::average_precision(s, y).ok_or_else(|| Error::Internal("AP without positives".into()))?,
            // The PR AUC's interval does not depend on the threshold.
            pr_auc_ci: crate::uncertainty::at_threshold(s, y, f64::INFINITY, bootstrap).pr_auc_ci,
            no_signal: ci[0] <= 0.5 && 0.5 <= ci[1],
        })
    };
    let manual = side(&manual_score)?;
    let predictive = side(&prob)?;
    let roc_auc_difference = crate::uncertainty::auc_difference(&prob, &manual_score, y).ok_or_else(|| {
        Error::data(
            table.path.display().to_string(),
            "a comparison's paired test needs at least two won and two lost leads".to_string(),
        )
    })?;
    let verdict = verdict_of(&roc_auc_difference, manual.no_signal, predictive.no_signal);
    let segments = match &model.segments {
        Some(sg) => segment_comparisons(model, table, &sg.column, rows, &manual_score, &prob, y)?,
        None => Vec::new(),
    };

    let stage_names = rules.stage_names();
    let ns = stage_names.len();
    let stage_group: Vec<usize> = stage.iter().map(|&s| ns - 1 - s).collect();
    let stage_labels: Vec<String> = stage_names.iter().rev().cloned().collect();
    let mut stages = metrics::bands(&manual_score, y, &stage_group, &stage_labels);
    // A stage's band carries its minimum points, not the internal ranking key.
    let mut min_points = vec![f64::INFINITY; ns];
    for (&g, &p) in stage_group.iter().zip(&pts) {
        min_points[g] = min_points[g].min(p);
    }
    for (band, m) in stages.iter_mut().zip(min_points) {
        band.min_probability = None;
        band.min_points = m.is_finite().then_some((m * 100.0).round() / 100.0);
    }
    let nt = model.tiers.names.len();
    let tier_idx: Vec<usize> = prob.iter().map(|&p| model.tiers.index(p)).collect();
    let tier_group: Vec<usize> = tier_idx.iter().map(|&t| nt - 1 - t).collect();
    let tier_labels: Vec<String> = model.tiers.names.iter().rev().cloned().collect();
    let tiers = metrics::bands(&prob, y, &tier_group, &tier_labels);

    // Equal capacity: as many leads as the manual model's top stage holds.
    let top = ns - 1;
    let k = stage.iter().filter(|&&s| s == top).count();
    let manual_conversions = stage.iter().zip(y).filter(|(&s, &w)| s == top && w).count();
    let mut order: Vec<usize> = (0..prob.len()).collect();
    order.sort_by(|&a, &b| prob[b].total_cmp(&prob[a]).then(a.cmp(&b)));
    let predictive_conversions = order.iter().take(k).filter(|&&i| y[i]).count();
    let mut by_predictive = vec![false; y.len()];
    for &i in order.iter().take(k) {
        by_predictive[i] = true;
    }
    let buyers: Vec<usize> = (0..y.len()).filter(|&i| y[i]).collect();
    let difference = crate::uncertainty::paired_count(
        &buyers.iter().map(|&i| by_predictive[i]).collect::<Vec<_>>(),
        &buyers.iter().map(|&i| stage[i] == top).collect::<Vec<_>>(),
    );

    let agreement = agreement(&stage_names, &model.tiers.names, &stage, &tier_idx, y);

    // Disagreements: largest gap between the two rank percentiles.
    let mp = percentiles(&manual_score);
    let pp = percentiles(&prob);
    let ids = lead_ids(table, id, rows)?;
    let mut gap: Vec<usize> = (0..y.len()).collect();
    gap.sort_by(|&a, &b| (mp[b] - pp[b]).abs().total_cmp(&(mp[a] - pp[a]).abs()).then(a.cmp(&b)));
    let disagreements = gap
        .into_iter()
        .take(10)
        .map(|i| Disagreement {
            lead: ids.as_ref().and_then(|v| v[i].clone()).unwrap_or_else(|| format!("row {}", rows[i] + 1)),
            points: (pts[i] * 100.0).round() / 100.0,
            stage: stage_names[stage[i]].clone(),
            probability: prob[i],
            tier: model.tiers.names[tier_idx[i]].clone(),
            won: y[i],
            manual_percentile: mp[i],
            predictive_percentile: pp[i],
        })
        .collect();

    Ok(Comparison {
        as_of: None,
        rows: y.len(),
        positives: won,
        base_rate: won as f64 / y.len() as f64,
        manual,
        predictive,
        roc_auc_difference,
        verdict,
        equal_capacity: EqualCapacity {
            stage: stage_names[top].clone(),
            leads: k,
            manual_conversions,
            predictive_conversions,
            difference,
        },
        stages,
        tiers,
        agreement,
        disagreements,
        segments,
        manual_curve: metrics::curve(&manual_score, y),
        predictive_curve: metrics::curve(&prob, y),
    })
}

/// [`SegmentComparison`] per value of `column` (leads without a value last).
fn segment_comparisons(
    model: &LeadModel,
    table: &Table,
    column: &str,
    rows: &[usize],
    manual: &[f64],
    predictive: &[f64],
    y: &[bool],
) -> Result<Vec<SegmentComparison>> {
    let keys = crate::segments::keys(table, column, rows)?;
    let order = crate::segments::groups(&keys);
    Ok(order
        .into_iter()
        .map(|(key, idx)| {
            let m: Vec<f64> = idx.iter().map(|&k| manual[k]).collect();
            let p: Vec<f64> = idx.iter().map(|&k| predictive[k]).collect();
            let ys: Vec<bool> = idx.iter().map(|&k| y[k]).collect();
            let (am, ap) = (crate::uncertainty::auc_interval(&m, &ys), crate::uncertainty::auc_interval(&p, &ys));
            let d = crate::uncertainty::auc_difference(&p, &m, &ys);
            SegmentComparison {
                segment: key.unwrap_or("(missing)").to_string(),
                model: crate::segments::weights_name(model, key),
                rows: ys.len(),
                positives: ys.iter().filter(|&&v| v).count(),
                manual_roc_auc: am.map(|a| a.roc_auc),
                manual_roc_auc_ci: am.map(|a| a.roc_auc_ci),
                predictive_roc_auc: ap.map(|a| a.roc_auc),
                predictive_roc_auc_ci: ap.map(|a| a.roc_auc_ci),
                verdict: d.map(|d| {
                    verdict_of(&d, am.is_none_or(|a| a.includes_chance()), ap.is_none_or(|a| a.includes_chance()))
                }),
                roc_auc_difference: d,
            }
        })
        .collect())
}

impl Comparison {
    /// The leads the two rank most differently, as a table: headers and text rows.
    pub fn disagreement_table(&self) -> ([&'static str; 6], Vec<Vec<String>>) {
        let rows = self
            .disagreements
            .iter()
            .map(|d| {
                vec![
                    d.lead.clone(),
                    format!("{}", d.points),
                    d.stage.clone(),
                    format!("{:.3}", d.probability),
                    d.tier.clone(),
                    if d.won { "won".into() } else { "lost".into() },
                ]
            })
            .collect();
        (["lead", "points", "stage", "probability", "tier", "outcome"], rows)
    }

    /// The agreement matrix as a grid: tier names (columns, highest first) and, per
    /// manual stage (highest first), the cell for each tier.
    pub fn agreement_grid(&self) -> (Vec<String>, Vec<(String, Vec<&Cell>)>) {
        let mut tiers: Vec<String> = Vec::new();
        let mut stages: Vec<String> = Vec::new();
        for cell in &self.agreement {
            if !tiers.contains(&cell.tier) {
                tiers.push(cell.tier.clone());
            }
            if !stages.contains(&cell.stage) {
                stages.push(cell.stage.clone());
            }
        }
        let rows = stages
            .into_iter()
            .map(|st| {
                let cells = self.agreement.iter().filter(|c| c.stage == st).collect();
                (st, cells)
            })
            .collect();
        (tiers, rows)
    }
}

/// Mid-rank percentile of each value (ties share their rank), 0 to 1.
fn percentiles(v: &[f64]) -> Vec<f64> {
    let n = v.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 / (n.max(2) - 1) as f64;
        for &k in &idx[i..=j] {
            out[k] = mid;
        }
        i = j + 1;
    }
    out
}
