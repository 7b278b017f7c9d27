//! `rules suggest`: turn a logistic model into a points table people can read.
//!
//! The credit-scorecard construction: points are proportional to the log-odds, scaled so
//! that a fixed number of points ([`SuggestParams::pdo`], 20 by default) doubles the
//! odds of winning. Each input column's contribution becomes rules in the same TOML
//! format as a hand-made points model:
//!
//! - a category becomes one `equals` rule per level, relative to "(other)";
//! - a number or date becomes cumulative step rules (`gt` / `older_than_days`) at the
//!   model's quantile cut points, with each step's points taken at the middle of its
//!   range (exact for the steps, an approximation of the straight-line part);
//! - a flag becomes one `equals = "yes"` rule; a missing value an `is_missing` rule;
//! - e-mail kinds become `matches` rules, job-title seniority and function
//!   whole-word `matches` keyword rules (approximations: the keyword order is not kept);
//! - a pairwise interaction becomes combined rules (`and`), one per pair of its axes'
//!   elements ([`Basis`]): a number's or date's bins as ranges, a category's listed
//!   levels, "present" and "missing", its "(other)" being present less each level, so that
//!   the rules a lead fires add up to the pair's contribution exactly (before rounding).
//!
//! The constant part of the log-odds (intercept and reference levels) is not a rule; it
//! is folded into the stage cut points, which come from the model's tiers.

use crate::features::{fmt_num, NumKind, Part};
use crate::model::LeadModel;

/// Scorecard options.
#[derive(Debug, Clone)]
pub struct SuggestParams {
    /// Points that double the odds. Default: 20.
    pub pdo: f64,
}

impl Default for SuggestParams {
    fn default() -> Self {
        SuggestParams { pdo: 20.0 }
    }
}

struct RuleOut {
    name: String,
    field: String,
    condition: String,
    points: f64,
    /// More conditions, each on its field (a pair's cells: `and = [...]`).
    and: Vec<(String, String)>,
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The rules file text for `model`.
pub fn suggest(model: &LeadModel, params: &SuggestParams) -> String {
    let factor = params.pdo / std::f64::consts::LN_2;
    let f = &model.features;
    let w: Vec<f64> = model.coef.iter().zip(&f.scale).map(|(c, s)| c * s).collect();
    // Constant part of the log-odds: intercept minus each feature's centre.
    let mut base = model.intercept - w.iter().zip(&f.center).map(|(w, c)| w * c).sum::<f64>();
    let mut out: Vec<RuleOut> = Vec::new();
    let mut j = 0usize;
    for col in &f.columns {
        for part in &col.parts {
            let width = part.width();
            let ws = &w[j..j + width];
            j += width;
            match part {
                Part::Numeric(_) | Part::Spline(_) => number_rules(part, &col.name, ws, factor, &mut base, &mut out),
                Part::Levels(lp) => level_rules(lp, &col.name, ws, factor, &mut base, &mut out),
            }
        }
    }
    let base_points = factor * base;
    let mut s = String::new();
    let mut left_out = Vec::new();
    for pair in &model.pairs {
        if !pair_rules(pair, &f.columns, factor, &mut out) {
            left_out.push(pair.name(&f.columns));
        }
    }
    if !model.pairs.is_empty() {
        s.push_str(&format!(
            "# The model's {} pairwise interactions (train --interactions) are combined rules (`and`), last:\n\
             # each cell of a pair's grid, its points exact (a category's \"(other)\" is the column present,\n\
             # less each listed level).{}\n",
            model.pairs.len(),
            if left_out.is_empty() {
                String::new()
            } else {
                format!(
                    "\n# Not in these points (an axis no rule condition reads: a yes/no column, or a job-title\n\
                     # or e-mail level without keywords): {}.",
                    left_out.join(", ")
                )
            }
        ));
    }
    s.push_str(&format!(
        "# Points suggested by leadscore {} from a model trained on {} ({} rows, label {:?}).\n",
        env!("CARGO_PKG_VERSION"),
        model.meta.data_file,
        model.meta.rows,
        model.meta.label
    ));
    s.push_str(&format!(
        "# Points are proportional to the log-odds: {} points double the odds of winning\n# ({:.2} points per unit of log-odds). The model's constant part ({:.1} points) is\n# folded into the stage minimums, which come from the model's tiers ({}).\n",
        fmt_num(params.pdo),
        factor,
        base_points,
        model.tiers.describe()
    ));
    s.push_str("# Number and date rules are cumulative steps at the model's cut points; job-title and\n# e-mail rules approximate the model's keyword tables. Rules worth less than half a\n# point are left out.\n\n[stages]\n");
    let logit = |p: f64| {
        let p = p.clamp(1e-6, 1.0 - 1e-6);
        (p / (1.0 - p)).ln()
    };
    let mins: Vec<f64> = model.tiers.cuts.iter().map(|&c| (factor * logit(c) - base_points).round()).collect();
    let first = (mins[0] - 1.0).min(0.0);
    s.push_str(&format!("{} = {}\n", q(&model.tiers.names[0]), fmt_num(first)));
    let mut prev = first;
    for (name, m) in model.tiers.names[1..].iter().zip(&mins) {
        let m = if *m <= prev { prev + 1.0 } else { *m };
        s.push_str(&format!("{} = {}\n", q(name), fmt_num(m)));
        prev = m;
    }
    for r in out {
        let pts = r.points.round();
        if pts == 0.0 {
            continue;
        }
        s.push_str(&format!(
            "\n[[rule]]\nname = {}\nfield = {}\n{}\npoints = {}\n",
            q(&r.name),
            q(&r.field),
            r.condition,
            fmt_num(pts)
        ));
        if !r.and.is_empty() {
            let and: Vec<String> = r.and.iter().map(|(f, c)| format!("{{ field = {}, {c} }}", q(f))).collect();
            s.push_str(&format!("and = [{}]\n", and.join(", ")));
        }
    }
    s
}

/// A number or date part's rules: a flag's `equals = "yes"`, else a step at each cut point
/// (a spline's knots) worth the change between the neighbouring bands, and `is_missing`;
/// the first band's points are added to `base`.
fn number_rules(part: &Part, column: &str, ws: &[f64], factor: f64, base: &mut f64, out: &mut Vec<RuleOut>) {
    let Some(np) = part.numeric() else { return };
    let crate::features::NumericPart { kind, label, missing_flag, cuts, lo, hi, .. } = np;
    // A spline's effect is cut into bands at its knots (inside the range),
    // each band worth the curve's value at its middle.
    let cuts: Vec<f64> = match part {
        Part::Spline(sp) => sp.knots.iter().copied().filter(|k| k > lo && k < hi).collect(),
        _ => cuts.clone(),
    };
    let cuts = &cuts;
    // The part's own arithmetic: its design values at `t`, weighted.
    let value_at = |t: f64| part.number_contribution(t, false, ws).unwrap_or(0.0);
    let t_med = np.transformed(f64::NAN);
    let raw = |t: f64| np.untransformed(t);
    if *kind == NumKind::Flag {
        *base += value_at(0.0);
        out.push(RuleOut {
            name: format!("{label} = yes"),
            field: column.to_string(),
            condition: "equals = \"yes\"".into(),
            points: factor * (value_at(1.0) - value_at(0.0)),
            and: Vec::new(),
        });
    } else {
        // Segment boundaries: the model's cut points, or the median.
        let mut bounds: Vec<f64> = cuts.clone();
        if bounds.is_empty() && hi > lo {
            bounds.push(((lo + hi) / 2.0).min(t_med.max(*lo)));
        }
        let mut edges = vec![*lo];
        edges.extend(&bounds);
        edges.push(*hi);
        let reps: Vec<f64> = edges.windows(2).map(|e| (e[0] + e[1]) / 2.0).collect();
        let seg: Vec<f64> = reps.iter().map(|&t| value_at(t)).collect();
        *base += seg[0];
        for (i, b) in bounds.iter().enumerate() {
            let r = raw(*b);
            let (condition, name) = match kind {
                NumKind::DaysBefore | NumKind::LocalDaysBefore(_) => (
                    format!("older_than_days = {}", fmt_num(r.max(0.0).round())),
                    format!("{} older than {} days", column, fmt_num(r.max(0.0).round())),
                ),
                _ => (format!("gt = {}", fmt_num(r)), format!("{label} > {}", fmt_num(r))),
            };
            let points = factor * (seg[i + 1] - seg[i]);
            out.push(RuleOut { name, field: column.to_string(), condition, points, and: Vec::new() });
        }
    }
    if *missing_flag {
        let reference =
            if *kind == NumKind::Flag { value_at(0.0) } else { base_part_reference(&value_at, *lo, cuts, *hi, t_med) };
        let missing = part.number_contribution(t_med, true, ws).unwrap_or(0.0);
        out.push(RuleOut {
            name: format!("{label} is missing"),
            field: column.to_string(),
            condition: "is_missing = true".into(),
            points: factor * (missing - reference),
            and: Vec::new(),
        });
    }
}

/// A level part's rules: one per listed level (but the reference) and `is_missing`, each
/// against the reference level, whose points are added to `base`.
fn level_rules(
    part_of: &crate::features::LevelPart,
    column: &str,
    ws: &[f64],
    factor: f64,
    base: &mut f64,
    out: &mut Vec<RuleOut>,
) {
    let crate::features::LevelPart { kind, label, levels, missing, .. } = part_of;
    // The part's own slots: a listed level's, (other)'s, (missing)'s.
    let at = |slot: Option<usize>| slot.map_or(0.0, |s| ws[s]);
    let weight = |name: &str| at(levels.iter().position(|l| l == name));
    let reference_level = kind.reference_level();
    let reference =
        if reference_level == "(other)" { at(part_of.other_slot()) } else { at(part_of.slot(Some(reference_level))) };
    *base += reference;
    for l in levels {
        if l == reference_level {
            continue;
        }
        let Some(condition) = kind.rule_condition(l) else { continue };
        out.push(RuleOut {
            name: format!("{label} = {l}"),
            field: column.to_string(),
            condition,
            points: factor * (weight(l) - reference),
            and: Vec::new(),
        });
    }
    if *missing {
        out.push(RuleOut {
            name: format!("{label} is missing"),
            field: column.to_string(),
            condition: "is_missing = true".into(),
            points: factor * (at(part_of.slot(None)) - reference),
            and: Vec::new(),
        });
    }
}

/// The points a non-missing value in the first segment gets (the reference for missing).
fn base_part_reference(value_at: &dyn Fn(f64) -> f64, lo: f64, cuts: &[f64], hi: f64, t_med: f64) -> f64 {
    let first_hi = cuts.first().copied().unwrap_or(if hi > lo { ((lo + hi) / 2.0).min(t_med.max(lo)) } else { hi });
    value_at((lo + first_hi) / 2.0)
}

/// One axis of a pair as indicators a rule can test: each element's conditions on the
/// column and its name, and each bin as a sum of elements (`of_bin[bin][element]`).
struct Basis {
    elements: Vec<(Vec<String>, String)>,
    of_bin: Vec<Vec<f64>>,
}

/// The basis of an axis: a number's or date's bins (ranges, then missing) each as
/// itself; a category's listed levels, "present" and "missing", its "(other)" bin being
/// present less every listed level. `None` for an axis no rule condition reads (yes/no).
fn basis(axis: &crate::features::pair::Axis) -> Option<Basis> {
    use crate::features::pair::Axis;
    let present = || vec!["is_missing = false".to_string()];
    let missing = || vec!["is_missing = true".to_string()];
    let unit = |n: usize| -> Vec<Vec<f64>> {
        (0..n).map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect()).collect()
    };
    match axis {
        Axis::Cuts { kind, cuts } => {
            if *kind == NumKind::Flag {
                return None;
            }
            let (above, up_to) =
                if kind.date_order().is_some() { ("older_than_days", "within_days") } else { ("gt", "lte") };
            let n = cuts.len();
            let mut elements = Vec::new();
            for b in 0..=n {
                let mut c = Vec::new();
                if b > 0 {
                    c.push(format!("{above} = {}", fmt_num(cuts[b - 1])));
                }
                if b < n {
                    c.push(format!("{up_to} = {}", fmt_num(cuts[b])));
                }
                if c.is_empty() {
                    c = present();
                }
                elements.push((c, axis.bin_label(b)));
            }
            elements.push((missing(), "(missing)".into()));
            Some(Basis { of_bin: unit(n + 2), elements })
        }
        Axis::Levels { kind, levels } => {
            let l = levels.len();
            let mut elements = Vec::new();
            for level in levels {
                elements.push((vec![kind.rule_condition(level)?], format!("= {level}")));
            }
            elements.push((present(), "present".into()));
            elements.push((missing(), "(missing)".into()));
            let mut of_bin = unit(l + 2);
            // (other): present, less each listed level.
            of_bin[l] = (0..l + 2)
                .map(|e| match e.cmp(&l) {
                    std::cmp::Ordering::Less => -1.0,
                    std::cmp::Ordering::Equal => 1.0,
                    std::cmp::Ordering::Greater => 0.0,
                })
                .collect();
            Some(Basis { elements, of_bin })
        }
    }
}

/// A pair's cells as combined rules, each the conditions of one element of each axis's
/// basis, worth the cells' contributions summed through the bases (exact); `false` when
/// an axis has no basis (nothing written).
fn pair_rules(
    pair: &crate::features::pair::PairTerm,
    columns: &[crate::features::FittedColumn],
    factor: f64,
    out: &mut Vec<RuleOut>,
) -> bool {
    let (Some(ba), Some(bb)) = (basis(&pair.axis_a), basis(&pair.axis_b)) else { return false };
    let name = |k: usize| columns.get(k).map_or("?".to_string(), |c| c.name.clone());
    let (na, nb) = (name(pair.a), name(pair.b));
    for (u, (ca, la)) in ba.elements.iter().enumerate() {
        for (v, (cb, lb)) in bb.elements.iter().enumerate() {
            let mut sum = 0.0;
            for (i, wa) in ba.of_bin.iter().enumerate() {
                for (j, wb) in bb.of_bin.iter().enumerate() {
                    sum += pair.table[pair.cell(i, j)] * wa[u] * wb[v];
                }
            }
            let mut and: Vec<(String, String)> = ca[1..].iter().map(|c| (na.clone(), c.clone())).collect();
            and.extend(cb.iter().map(|c| (nb.clone(), c.clone())));
            out.push(RuleOut {
                name: format!("{na} {la} x {nb} {lb}"),
                field: na.clone(),
                condition: ca[0].clone(),
                points: factor * sum,
                and,
            });
        }
    }
    true
}
