//! One model per segment (`train --segment-by product`): the global model, updated per
//! segment where the segment's held-out leads show that it should be.
//!
//! Part of training ([`crate::train`]), after the global model and its calibration map
//! are fitted and before the threshold is chosen. For each value of the segment column,
//! four candidates are compared on the segment's held-out leads by the closed-testing
//! procedure for updating a prediction model (Vergouwe et al. 2017, Statistics in
//! Medicine 36:4529):
//!
//! 0. the global model as it is;
//! 1. its own intercept: log-odds `a + z` (`z` the global model's log-odds);
//! 2. recalibrated, its own intercept and slope: `a + b z`;
//! 3. its own model, shrunk towards the global one: the segment's own logistic regression
//!    (fitted on its training rows, on the global model's features) blended with the
//!    global model as `a + b1 z + b2 z_own`, the weights fitted on the held-out leads.
//!
//! The most flexible candidate is tested against the global model by a likelihood-ratio
//! test; if the global model is not rejected it stays; otherwise 3 is tested against 2,
//! then 2 against 1, and the first test that is significant (or candidate 1) decides.
//! Candidate 3 is only a candidate when the segment's training rows meet Riley et al.'s
//! sample-size criteria for a model with the global model's number of parameters
//! ([`SampleSize`], and the precision of the won share, criterion iii).
//!
//! Every candidate is linear in the global model's design columns, so a segment's model
//! is one intercept and one coefficient per design column: [`crate::score::row`]
//! routes each lead by its segment value to those weights, and a value not in the
//! model file goes to the global model.

use ndarray::{ArrayView2, Axis};
use serde::Serialize;

use crate::error::Result;
use crate::fit::LogisticParams;
use crate::metrics::sigmoid;
use crate::metrics::SampleSize;
use crate::metrics::{log_likelihood, logistic_fit, LogisticFit};
pub use crate::model::segments::{LrTest, Segment, Segments, Update};
use crate::model::{linear_predictor, LeadModel};
use crate::uncertainty::{auc_difference, auc_interval, AucDifference, AucInterval};

/// The significance level of each likelihood-ratio test.
pub const LEVEL: f64 = 0.05;

/// The most segment values a segment column may have.
pub const MAX_SEGMENTS: usize = 50;

/// Riley et al.'s criterion (iii): the won share estimated to within this margin (95%).
pub const WON_SHARE_MARGIN: f64 = 0.05;

/// Per segment, on its held-out leads: the global model's ROC AUC and the segmented
/// model's, each with its DeLong interval, and their paired difference.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentCheck {
    pub value: String,
    pub global: Option<AucInterval>,
    pub segmented: Option<AucInterval>,
    pub difference: Option<AucDifference>,
}

/// What [`fit`] needs from training.
pub struct Inputs<'a> {
    pub column: &'a str,
    /// Segment keys of the training rows and the held-out rows (`None`: missing).
    pub train_keys: &'a [Option<String>],
    pub holdout_keys: &'a [Option<String>],
    /// The training rows' standardised design (before the solver touched it).
    pub x_train: ArrayView2<'a, f64>,
    pub y_train: &'a [bool],
    pub x_holdout: ArrayView2<'a, f64>,
    pub y_holdout: &'a [bool],
    /// The global model's log-odds and probabilities on the held-out rows.
    pub z_holdout: &'a [f64],
    pub p_holdout: &'a [f64],
    pub solver: LogisticParams,
}

/// Choose each segment's model. Returns the segments, the held-out probabilities of the
/// segmented model (in holdout order), and the per-segment checks.
pub fn fit(
    global: &LeadModel,
    inp: &Inputs,
    progress: &mut dyn FnMut(&str),
) -> Result<(Segments, Vec<f64>, Vec<SegmentCheck>)> {
    let groups = segment_rows(inp)?;
    let parameters = global.coef.len() + 1;
    let mut segments = Vec::new();
    let mut probs = inp.p_holdout.to_vec();
    let mut checks = Vec::new();
    for (value, (tr, ho)) in groups {
        let y_tr: Vec<bool> = tr.iter().map(|&i| inp.y_train[i]).collect();
        let y: Vec<bool> = ho.iter().map(|&i| inp.y_holdout[i]).collect();
        let z: Vec<f64> = ho.iter().map(|&i| inp.z_holdout[i]).collect();
        let p0: Vec<f64> = ho.iter().map(|&i| inp.p_holdout[i]).collect();
        let (train_won, holdout_won) = (y_tr.iter().filter(|&&v| v).count(), y.iter().filter(|&&v| v).count());
        let mut seg = Segment {
            value: value.to_string(),
            update: Update::Global,
            why: String::new(),
            intercept: global.intercept,
            coef: Vec::new(),
            update_params: Vec::new(),
            train_rows: tr.len(),
            train_won,
            holdout_rows: ho.len(),
            holdout_won,
            own_model_needs: None,
            tests: Vec::new(),
        };
        if holdout_won == 0 || holdout_won == ho.len() {
            seg.why = format!(
                "its {} held-out leads hold {} won: an update cannot be tested without both won and lost leads",
                ho.len(),
                holdout_won
            );
            checks.push(check(value, &p0, &p0, &y));
            segments.push(seg);
            continue;
        }
        progress(&format!("segment {value:?}: {} training rows, {} held out", tr.len(), ho.len()));
        // Riley et al.: (i) expected shrinkage 0.9 at the explained variation the global
        // model reaches on the segment, (iii) the won share to within 0.05.
        let size = SampleSize::of(parameters, &p0, &y, tr.len());
        let phi = train_won as f64 / tr.len().max(1) as f64;
        let for_share = (crate::uncertainty::Z95 / WON_SHARE_MARGIN).powi(2) * phi * (1.0 - phi);
        seg.own_model_needs = size.min_rows.map(|m| m.max(for_share));
        let big_enough =
            seg.own_model_needs.is_some_and(|m| tr.len() as f64 >= m) && train_won > 0 && train_won < tr.len();
        // The own model, when the segment can support one: fitted on its training rows.
        let own = if big_enough {
            let x = inp.x_train.select(Axis(0), &tr);
            let f = inp.solver.clone().fit(x.view(), &y_tr)?;
            let xh = inp.x_holdout.select(Axis(0), &ho);
            Some((f.intercept, f.coef.clone(), linear_predictor(xh.view(), &f.coef, f.intercept).to_vec()))
        } else {
            None
        };
        let ll0: f64 = p0.iter().zip(&y).map(|(&p, &v)| log_likelihood(logit(p), v)).sum();
        let m1 = logistic_fit(&[], Some(&z), &y, &[0.0]);
        let m2 = logistic_fit(&[&z], None, &y, &[0.0, 1.0]);
        let m3 = own.as_ref().and_then(|(_, _, zo)| {
            let start = m2.as_ref().map_or(vec![0.0, 1.0, 0.0], |f| vec![f.beta[0], f.beta[1], 0.0]);
            logistic_fit(&[&z, zo], None, &y, &start)
        });
        let test = |name: &str, big: f64, small: f64, df: usize| {
            let chi2 = (2.0 * (big - small)).max(0.0);
            LrTest { test: name.to_string(), chi2, df, p_value: crate::uncertainty::chi_square_sf(chi2, df) }
        };
        let (Some(m1), Some(m2)) = (m1, m2) else {
            seg.why =
                "recalibration on its held-out leads did not converge (they are separated perfectly or too few): \
                       the global model is used"
                    .into();
            checks.push(check(value, &p0, &p0, &y));
            segments.push(seg);
            continue;
        };
        // Closed testing, most flexible first.
        let first = match &m3 {
            Some(f) => test("own vs global", f.log_likelihood, ll0, 3),
            None => test("recalibration vs global", m2.log_likelihood, ll0, 2),
        };
        let rejected = first.p_value < LEVEL;
        seg.tests.push(first);
        seg.update = if !rejected {
            Update::Global
        } else {
            let own_better = match &m3 {
                Some(f) => {
                    let t = test("own vs recalibration", f.log_likelihood, m2.log_likelihood, 1);
                    let r = t.p_value < LEVEL;
                    seg.tests.push(t);
                    r
                }
                None => false,
            };
            if own_better {
                Update::Own
            } else {
                let t = test("recalibration vs intercept", m2.log_likelihood, m1.log_likelihood, 1);
                let r = t.p_value < LEVEL;
                seg.tests.push(t);
                if r {
                    Update::Recalibration
                } else {
                    Update::Intercept
                }
            }
        };
        set_weights(&mut seg, global, &m1, &m2, m3.as_ref(), own.as_ref())?;
        seg.why = why(&seg, own.is_some(), &size);
        let p_seg: Vec<f64> = if seg.update == Update::Global {
            p0.clone()
        } else {
            let xh = inp.x_holdout.select(Axis(0), &ho);
            let zs = linear_predictor(xh.view(), &seg.coef, seg.intercept);
            zs.iter().map(|&v| sigmoid(v)).collect()
        };
        for (&i, &p) in ho.iter().zip(&p_seg) {
            probs[i] = p;
        }
        checks.push(check(value, &p0, &p_seg, &y));
        segments.push(seg);
    }
    Ok((Segments { column: inp.column.to_string(), segments }, probs, checks))
}

/// Each segment's training and held-out rows (positions), in key order; refused above
/// [`MAX_SEGMENTS`] values.
#[allow(clippy::type_complexity)]
fn segment_rows<'a>(inp: &'a Inputs) -> Result<std::collections::BTreeMap<&'a str, (Vec<usize>, Vec<usize>)>> {
    let mut groups: std::collections::BTreeMap<&str, (Vec<usize>, Vec<usize>)> = Default::default();
    for (i, k) in inp.train_keys.iter().enumerate() {
        if let Some(k) = k {
            groups.entry(k).or_default().0.push(i);
        }
    }
    for (i, k) in inp.holdout_keys.iter().enumerate() {
        if let Some(k) = k {
            groups.entry(k).or_default().1.push(i);
        }
    }
    if groups.len() > MAX_SEGMENTS {
        return Err(crate::Error::usage(
            format!("--segment-by {}", inp.column),
            format!(
                "the column has {} values; segments are for a handful of products, regions or markets (at most {MAX_SEGMENTS})",
                groups.len()
            ),
        ));
    }
    Ok(groups)
}

/// The chosen update as one intercept and one weight per design column (the global
/// model's), with the update's parameters: `m1` the intercept update, `m2` the
/// recalibration, `m3` with `own` (its intercept, weights and held-out log-odds) the own
/// model blended with the global one.
fn set_weights(
    seg: &mut Segment,
    global: &LeadModel,
    m1: &LogisticFit,
    m2: &LogisticFit,
    m3: Option<&LogisticFit>,
    own: Option<&(f64, Vec<f64>, Vec<f64>)>,
) -> Result<()> {
    seg.update_params = match seg.update {
        Update::Global => Vec::new(),
        Update::Intercept => m1.beta.clone(),
        Update::Recalibration => m2.beta.clone(),
        Update::Own => m3.map(|f| f.beta.clone()).unwrap_or_default(),
    };
    apply_update(seg, global, own.map(|(i, c, _)| (*i, c.as_slice())))
}

/// A segment's weights from its update and update parameters over `global`'s weights
/// (and, for its own model, that model's intercept and weights).
fn apply_update(seg: &mut Segment, global: &LeadModel, own: Option<(f64, &[f64])>) -> Result<()> {
    let g = &global.coef;
    let b = &seg.update_params;
    let damaged =
        || crate::Error::Internal(format!("segment {:?}: update parameters {b:?} do not fit its update", seg.value));
    match seg.update {
        Update::Global => {}
        Update::Intercept => {
            let [a] = b.as_slice() else { return Err(damaged()) };
            seg.intercept = global.intercept + a;
            seg.coef = g.clone();
        }
        Update::Recalibration => {
            let [a, b] = b.as_slice() else { return Err(damaged()) };
            seg.intercept = a + b * global.intercept;
            seg.coef = g.iter().map(|w| b * w).collect();
        }
        Update::Own => {
            let ([a, b1, b2], Some((oi, oc))) = (b.as_slice(), own) else {
                return Err(crate::Error::Internal("segment: own model chosen without one".into()));
            };
            seg.intercept = a + b1 * global.intercept + b2 * oi;
            seg.coef = g.iter().zip(oc).map(|(w, o)| b1 * w + b2 * o).collect();
        }
    }
    Ok(())
}

/// The final fit of a segmented model (issue 33): each segment keeps the update its
/// held-out leads chose and that update's parameters, now over the final global model's
/// weights; a segment with its own model has it fitted again on all its rows (`keys`
/// and `x` are every labelled row's, `x` the final global model's standardised design).
pub fn refit(
    chosen: &Segments,
    global: &LeadModel,
    keys: &[Option<String>],
    (x, y): (ArrayView2<f64>, &[bool]),
    solver: &LogisticParams,
    progress: &mut dyn FnMut(&str),
) -> Result<Segments> {
    let groups = groups(keys);
    let mut out = chosen.clone();
    for seg in out.segments.iter_mut() {
        let rows: Vec<usize> =
            groups.iter().find(|(k, _)| *k == Some(seg.value.as_str())).map(|(_, r)| r.clone()).unwrap_or_default();
        let own = if seg.update == Update::Own {
            progress(&format!("segment {:?}: its own model on all {} rows", seg.value, rows.len()));
            let yr: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
            let f = solver.clone().fit(x.select(Axis(0), &rows).view(), &yr)?;
            Some((f.intercept, f.coef))
        } else {
            None
        };
        apply_update(seg, global, own.as_ref().map(|(i, c)| (*i, c.as_slice())))?;
        seg.train_rows = rows.len();
        seg.train_won = rows.iter().filter(|&&i| y[i]).count();
    }
    Ok(out)
}

fn check(value: &str, global: &[f64], segmented: &[f64], y: &[bool]) -> SegmentCheck {
    SegmentCheck {
        value: value.to_string(),
        global: auc_interval(global, y),
        segmented: auc_interval(segmented, y),
        difference: auc_difference(segmented, global, y),
    }
}

/// The summary's reason for a segment's choice.
fn why(seg: &Segment, own_candidate: bool, size: &SampleSize) -> String {
    let p = |name: &str| seg.tests.iter().find(|t| t.test == name).map(|t| crate::uncertainty::p_text(t.p_value));
    let small = match seg.own_model_needs {
        Some(need) if !own_candidate => format!(
            "too small for its own model ({} training rows; Riley et al.'s criteria ask for {:.0} for {} parameters at \
             Cox-Snell R² {:.3}), so only the global model and its recalibrations were candidates; ",
            seg.train_rows,
            need.ceil(),
            size.parameters,
            size.r2_cox_snell
        ),
        None => format!(
            "too small for its own model (the global model explains nothing on its held-out leads, Cox-Snell R² {:.3}, \
             so no number of rows meets Riley et al.'s criterion), so only the global model and its recalibrations were \
             candidates; ",
            size.r2_cox_snell
        ),
        _ => String::new(),
    };
    let first = seg.tests.first().map(|t| format!("{} p {}", t.test, crate::uncertainty::p_text(t.p_value)));
    let decided = match seg.update {
        Update::Global => {
            format!("no update fits its held-out leads significantly better ({})", first.unwrap_or_default())
        }
        Update::Own => format!(
            "its own model fits its held-out leads better than the global model (p {}) and than a recalibration (p {})",
            p("own vs global").unwrap_or_default(),
            p("own vs recalibration").unwrap_or_default()
        ),
        Update::Recalibration => format!(
            "an update fits better ({}), and a slope of its own beyond the intercept (p {})",
            first.unwrap_or_default(),
            p("recalibration vs intercept").unwrap_or_default()
        ),
        Update::Intercept => format!(
            "an update fits better ({}), but its own slope adds nothing significant (p {}): the won share differs, the \
             ranking holds",
            first.unwrap_or_default(),
            p("recalibration vs intercept").unwrap_or_default()
        ),
    };
    format!("{small}{decided}")
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-15, 1.0 - 1e-15);
    (p / (1.0 - p)).ln()
}

/// The segment keys of `rows` of `column` in `table`, read the way the scorer reads a
/// category cell (trimmed, placeholders such as "Select" missing, case-folded).
pub fn keys(table: &crate::data::Table, column: &str, rows: &[usize]) -> Result<Vec<Option<String>>> {
    let cells = crate::features::text_cells(table, table.column(column)?)?;
    Ok(rows
        .iter()
        .map(|&i| match crate::features::cell::Cell::text(cells.get(i)) {
            crate::features::cell::Cell::Text(s) => Some(Segments::key(s)),
            _ => None,
        })
        .collect())
}

/// Which weights of `model` score a lead with segment key `key`: its segment's update
/// ("own", "recalibration", "intercept"), or "global", with why when it is global.
pub fn weights_name(model: &LeadModel, key: Option<&str>) -> String {
    match (&model.segments, key) {
        (None, _) => "global".to_string(),
        (Some(_), None) => "global (no value)".to_string(),
        (Some(s), Some(k)) => match s.segments.iter().find(|g| g.value == k) {
            Some(g) => g.update.name().to_string(),
            None => "global (not seen in training)".to_string(),
        },
    }
}

/// Positions grouped by segment key, in key order, positions without a key last.
pub fn groups(keys: &[Option<String>]) -> Vec<(Option<&str>, Vec<usize>)> {
    let mut groups: std::collections::BTreeMap<Option<&str>, Vec<usize>> = Default::default();
    for (k, key) in keys.iter().enumerate() {
        groups.entry(key.as_deref()).or_default().push(k);
    }
    let mut order: Vec<(Option<&str>, Vec<usize>)> = groups.into_iter().collect();
    let missing = order.iter().take_while(|(k, _)| k.is_none()).count();
    order.rotate_left(missing);
    order
}
