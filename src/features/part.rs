//! The two encodings every feature part is built from, as saved in the model file:
//! a number block ([`NumericPart`]: median imputation, missing flag, log1p, quantile
//! steps) and a level block ([`LevelPart`]: one-hot levels, "(other)", "(missing)").
//!
//! Each owns its fit on the training rows, its per-cell encoding into design values,
//! and its feature names. Which cells a part reads is its kind's business: [`NumKind`]
//! and [`CatKind`] route to the role files ([`super::number`], [`super::flag`],
//! [`super::date`], [`super::category`], [`super::email`], [`super::title`]). Training's
//! columnar driver and the row scorer both encode through [`Part::encode`] and
//! [`NumericPart::values`] / [`LevelPart::slot`], so a cell means the same everywhere.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

pub use super::kind::{CatKind, NumKind};
pub use super::numeric::{fmt_num, quantile_sorted};
pub(crate) use super::numeric::{ln_1p_boundary, ln_1p_nonneg, skewness};
use crate::cell::{Cell, Problem};
use crate::format::DateOrder;

impl NumKind {
    /// A cell's value (NaN: missing), read by this kind's role file.
    pub fn value(self, cell: Cell, as_of_day: i64) -> Result<f64, Problem> {
        match self {
            NumKind::Number => super::number::value(cell),
            NumKind::Flag => super::flag::value(cell),
            NumKind::DaysBefore => super::date::days_before(cell, None, as_of_day),
            NumKind::LocalNumber(f) => super::number::value_as(cell, f),
            NumKind::LocalDaysBefore(o) => super::date::days_before(cell, Some(o), as_of_day),
        }
    }

    /// Whether the part reads dates; with the order they are written in (`None`: ISO).
    pub fn date_order(self) -> Option<Option<DateOrder>> {
        match self {
            NumKind::DaysBefore => Some(None),
            NumKind::LocalDaysBefore(o) => Some(Some(o)),
            _ => None,
        }
    }

    /// The format a column's cells were found in, for summaries (`None`: plain).
    pub fn format_note(self) -> Option<String> {
        match self {
            NumKind::LocalNumber(f) => Some(f.describe()),
            NumKind::LocalDaysBefore(o) => Some(format!("dates {o}")),
            _ => None,
        }
    }
}

impl NumKind {
    /// A text to compute once per cell before [`Self::sql_value`] reads it, for the kinds
    /// that rewrite a local format into the plain one (`1.234,5` to `1234.5`,
    /// `24-04-2026` to `2026-04-24`): its SQL from the cleaned text cell (not NULL).
    pub fn sql_prepare(self, cell: &str, d: crate::dialect::sql::Dialect) -> Option<String> {
        match self {
            NumKind::LocalNumber(f) => Some(crate::format::sql_plain_number(cell, f, d)),
            NumKind::LocalDaysBefore(o @ (DateOrder::DayFirst | DateOrder::MonthFirst)) => {
                Some(crate::format::sql_iso_date(cell, o, d))
            }
            _ => None,
        }
    }

    /// The SQL reading of a cleaned text cell (NULL when missing; the prepared text where
    /// [`Self::sql_prepare`] gives one): the value, NULL when the cell is missing or has a
    /// problem ([`Self::sql_problem`] says which). `as_of` is a date expression.
    pub fn sql_value(self, cell: &str, as_of: &str, d: crate::dialect::sql::Dialect) -> String {
        match self {
            NumKind::Number | NumKind::LocalNumber(_) => super::number::sql_value(cell, d),
            NumKind::Flag => super::flag::sql_value(cell, d),
            NumKind::DaysBefore | NumKind::LocalDaysBefore(DateOrder::DayFirst | DateOrder::MonthFirst) => {
                super::date::sql_days_before(cell, as_of, d)
            }
            NumKind::LocalDaysBefore(DateOrder::ExcelSerial) => super::date::sql_days_before_serial(cell, as_of, d),
        }
    }

    /// The problem of `cell`, from the column `value` holding [`Self::sql_value`]'s
    /// reading: the value is NULL exactly when a present cell has a problem, so only the
    /// message needs the cell again (a number's "not a finite number"). Issue 37: each
    /// reader wrote its parsing again for the problem (a date's 2.5 KB in the sample query).
    pub fn sql_problem(self, cell: &str, value: &str, d: crate::dialect::sql::Dialect) -> String {
        let message = match self {
            NumKind::Number | NumKind::LocalNumber(_) => super::number::sql_problem_message(cell, d),
            NumKind::Flag => "'not a yes/no value'".to_string(),
            NumKind::DaysBefore | NumKind::LocalDaysBefore(_) => "'not a date'".to_string(),
        };
        format!("CASE WHEN {cell} IS NOT NULL AND {value} IS NULL THEN {message} END")
    }
}

impl CatKind {
    /// The SQL level of a cleaned text cell (NULL when missing stays NULL).
    pub fn sql_level(self, cell: &str, d: crate::dialect::sql::Dialect) -> String {
        use crate::keywords::{DEFAULT_FUNCTION, DEFAULT_SENIORITY, FUNCTIONS, SENIORITY};
        match self {
            CatKind::Text => super::category::sql_level(cell),
            CatKind::TitleSeniority => super::title::sql_class(cell, SENIORITY, DEFAULT_SENIORITY, d),
            CatKind::TitleFunction => super::title::sql_class(cell, FUNCTIONS, DEFAULT_FUNCTION, d),
            CatKind::EmailKind => super::email::sql_kind(cell, d),
        }
    }

    /// The level a cleaned cell stands for, read by this kind's role file.
    pub fn level(self, s: &str) -> Cow<'_, str> {
        match self {
            CatKind::Text => super::category::level(s),
            CatKind::TitleSeniority => Cow::Borrowed(super::title::seniority(s)),
            CatKind::TitleFunction => Cow::Borrowed(super::title::function(s)),
            CatKind::EmailKind => Cow::Borrowed(super::email::kind(s)),
        }
    }

    /// The level that a points table takes as zero (see `rules suggest`).
    pub fn reference_level(self) -> &'static str {
        match self {
            CatKind::Text => "(other)",
            CatKind::TitleSeniority => crate::keywords::DEFAULT_SENIORITY,
            CatKind::TitleFunction => crate::keywords::DEFAULT_FUNCTION,
            CatKind::EmailKind => "company",
        }
    }

    /// A rules-file condition that picks out a level, where one can be written.
    pub fn rule_condition(self, level: &str) -> Option<String> {
        match self {
            CatKind::Text => Some(super::category::rule_condition(level)),
            CatKind::TitleSeniority => super::title::rule_condition(crate::keywords::SENIORITY, level),
            CatKind::TitleFunction => super::title::rule_condition(crate::keywords::FUNCTIONS, level),
            CatKind::EmailKind => super::email::rule_condition(level),
        }
    }

    /// Whether caching a cell's level by its text pays (e-mail addresses are nearly
    /// all distinct: classified directly).
    pub fn cacheable(self) -> bool {
        self != CatKind::EmailKind
    }
}

/// One block of design columns derived from an input column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Part {
    Numeric(NumericPart),
    Levels(LevelPart),
    /// A number with a natural cubic spline basis instead of steps (issue 18). Added last,
    /// so that model files written before it still decode.
    Spline(SplinePart),
}

/// A number's smooth effect: the value, its missing flag and imputation as a
/// [`NumericPart`] without steps, then a natural cubic spline basis (restricted cubic
/// splines, Harrell's parametrisation) with knots at training quantiles of the value in
/// the part's scale: `k` knots give `k - 2` terms, cubic between the knots and linear
/// beyond the outer two, so that a value outside the training range is scored on the
/// line the fit ends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplinePart {
    pub base: NumericPart,
    /// Knots in the transformed (log1p) scale, increasing, at least 3.
    pub knots: Vec<f64>,
}

/// The knots' quantiles for `k` knots (Harrell, Regression Modeling Strategies, 2.4.6).
pub fn knot_quantiles(k: usize) -> &'static [f64] {
    match k {
        3 => &[0.10, 0.5, 0.90],
        4 => &[0.05, 0.35, 0.65, 0.95],
        5 => &[0.05, 0.275, 0.5, 0.725, 0.95],
        6 => &[0.05, 0.23, 0.41, 0.59, 0.77, 0.95],
        _ => &[0.025, 0.1833, 0.3417, 0.5, 0.6583, 0.8167, 0.975],
    }
}

/// The most knots a spline may have.
pub const MAX_KNOTS: usize = 7;

impl SplinePart {
    pub fn width(&self) -> usize {
        self.base.width() + self.knots.len() - 2
    }

    /// The raw design values: the base part's, then the spline terms of the transformed
    /// value (the median's when missing).
    pub fn values(&self, cell: f64, out: &mut [f64]) {
        self.values_noting(cell, out);
    }

    /// [`Self::values`], saying where the value lay beyond the training range (see
    /// [`NumericPart::values_noting`]).
    pub fn values_noting(&self, cell: f64, out: &mut [f64]) -> Option<Beyond> {
        let bw = self.base.width();
        let side = self.base.values_noting(cell, &mut out[..bw]);
        let t = out[0];
        self.terms(t, &mut out[bw..]);
        side
    }

    /// [`NumericPart::values_at`] for the spline: the base part's values of `t`, then
    /// its spline terms.
    pub fn values_at(&self, t: f64, missing: bool, out: &mut [f64]) {
        let bw = self.base.width();
        self.base.values_at(t, missing, &mut out[..bw]);
        self.terms(t, &mut out[bw..]);
    }

    /// The `k - 2` spline terms of `t` (in the transformed scale).
    pub fn terms(&self, t: f64, out: &mut [f64]) {
        let k = &self.knots;
        let n = k.len();
        let (a, b) = (k[n - 2], k[n - 1]);
        let norm = (b - k[0]) * (b - k[0]);
        let cube = |x: f64| {
            let p = if x > 0.0 { x } else { 0.0 };
            p * p * p
        };
        let (ca, cb) = (cube(t - a), cube(t - b));
        for (j, o) in out.iter_mut().enumerate().take(n - 2) {
            let kj = k[j];
            *o = (cube(t - kj) - ca * ((b - kj) / (b - a)) + cb * ((a - kj) / (b - a))) / norm;
        }
    }

    pub fn feature_names(&self) -> Vec<String> {
        let mut v = self.base.feature_names();
        for j in 0..self.knots.len() - 2 {
            let knot = fmt_num(self.base.untransformed(self.knots[j]));
            v.push(format!("{} spline term {} (knot {})", self.base.label, j + 1, knot));
        }
        v
    }

    /// Fit the base part (without steps) and knots at the quantiles for `knots` knots of
    /// the training values in the part's scale; `None` for a flag or when the values
    /// have fewer than five distinct values or fewer than three distinct knots.
    pub fn fit(kind: NumKind, label: String, v: &[f64], rows: &[usize], labels: &[bool], knots: usize) -> (Part, f64) {
        let (base, auc) = NumericPart::fit(kind, label, v, rows, labels, 0);
        if kind == NumKind::Flag || knots < 3 {
            return (Part::Numeric(base), auc);
        }
        let mut tr: Vec<f64> = rows
            .iter()
            .map(|&i| v[i])
            .filter(|x| !x.is_nan())
            .map(|x| if base.log1p { ln_1p_nonneg(x) } else { x })
            .collect();
        tr.sort_by(f64::total_cmp);
        let mut distinct = tr.clone();
        distinct.dedup();
        let mut ks: Vec<f64> = Vec::new();
        if distinct.len() >= 5 {
            for &q in knot_quantiles(knots.min(MAX_KNOTS)) {
                let c = quantile_sorted(&tr, q);
                if ks.last().is_none_or(|&l| c > l) {
                    ks.push(c);
                }
            }
        }
        if ks.len() < 3 {
            return (Part::Numeric(base), auc);
        }
        (Part::Spline(SplinePart { base, knots: ks }), auc)
    }

    /// The part's contribution to the log-odds in SQL (see
    /// [`NumericPart::sql_contribution`]): the base part's, then each spline term, from
    /// the column `t` holding the base part's transformed value.
    pub fn sql_contribution(&self, value: &str, t: &str, w: &[SqlWeight], d: crate::dialect::sql::Dialect) -> String {
        let bw = self.base.width();
        let mut terms = vec![self.base.sql_contribution(value, t, &w[..bw], d)];
        let k = &self.knots;
        let n = k.len();
        let (a, b) = (k[n - 2], k[n - 1]);
        let cube = |c: f64| {
            format!("(GREATEST({t} - {0}, 0.0) * GREATEST({t} - {0}, 0.0) * GREATEST({t} - {0}, 0.0))", d.float(c))
        };
        let norm = (b - k[0]) * (b - k[0]);
        for (j, wj) in w[bw..].iter().enumerate() {
            let kj = k[j];
            let term = format!(
                "(({} - {} * {} + {} * {}) / {})",
                cube(kj),
                cube(a),
                d.float((b - kj) / (b - a)),
                cube(b),
                d.float((a - kj) / (b - a)),
                d.float(norm)
            );
            terms.extend(wj.term(&term, d));
        }
        terms.retain(|t| t != "0.0");
        if terms.is_empty() {
            "0.0".into()
        } else {
            terms.join(" + ")
        }
    }
}

/// A number: the value (median when missing, log1p'd when skewed), a missing flag, and
/// 0/1 steps at quantile cut points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericPart {
    pub kind: NumKind,
    pub label: String,
    pub median: f64,
    pub missing_flag: bool,
    pub log1p: bool,
    /// Step points, in the transformed (log1p) scale.
    pub cuts: Vec<f64>,
    /// Smallest and largest training value, in the transformed scale.
    pub lo: f64,
    pub hi: f64,
    /// A value beyond `lo..=hi` is read as the edge (issue 36: shapes stay flat beyond
    /// what training saw). Not in the part's bytes: the model file keeps it beside the
    /// model (format version 6), so that models written before it decode and score as
    /// they did, extending their lines.
    #[serde(skip)]
    pub clamp: bool,
}

/// Which side of the training range a value lies beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beyond {
    Below,
    Above,
}

/// Levels, one-hot: the kept levels, then "(other)" and "(missing)" when present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelPart {
    pub kind: CatKind,
    pub label: String,
    pub levels: Vec<String>,
    pub other: bool,
    pub missing: bool,
}

impl Part {
    /// Number of design columns this part builds.
    pub fn width(&self) -> usize {
        match self {
            Part::Numeric(p) => p.width(),
            Part::Levels(p) => p.width(),
            Part::Spline(p) => p.width(),
        }
    }

    /// A number part's raw design values for one value (NaN: missing): steps or spline
    /// terms after the value and its missing flag. A level part writes nothing.
    pub fn number_values(&self, value: f64, out: &mut [f64]) {
        self.number_values_noting(value, out);
    }

    /// [`Self::number_values`], saying which side of the training range the value lay
    /// beyond when the part reads it as the edge.
    pub fn number_values_noting(&self, value: f64, out: &mut [f64]) -> Option<Beyond> {
        match self {
            Part::Numeric(p) => p.values_noting(value, out),
            Part::Spline(p) => p.values_noting(value, out),
            Part::Levels(_) => None,
        }
    }

    /// A number part's contribution to the log-odds at `t` (in the model's scale, see
    /// [`NumericPart::transformed`]), `missing` or not, given the part's weights on the
    /// raw (unstandardised) design values: its design values there, weighted. `None` for
    /// a level part.
    pub fn number_contribution(&self, t: f64, missing: bool, weights: &[f64]) -> Option<f64> {
        let mut v = vec![0.0; self.width()];
        match self {
            Part::Numeric(p) => p.values_at(t, missing, &mut v),
            Part::Spline(p) => p.values_at(t, missing, &mut v),
            Part::Levels(_) => return None,
        }
        let rest: f64 = v[1..].iter().zip(&weights[1..]).map(|(x, w)| x * w).sum();
        Some(v[0] * weights[0] + rest)
    }

    /// A number part's value, missing flag and imputation (a spline's base), else `None`.
    pub fn numeric(&self) -> Option<&NumericPart> {
        match self {
            Part::Numeric(p) | Part::Spline(SplinePart { base: p, .. }) => Some(p),
            Part::Levels(_) => None,
        }
    }

    /// The readable names of its design columns.
    pub fn feature_names(&self) -> Vec<String> {
        match self {
            Part::Numeric(p) => p.feature_names(),
            Part::Levels(p) => p.feature_names(),
            Part::Spline(p) => p.feature_names(),
        }
    }

    /// The per-cell arithmetic: one cell to this part's raw (unscaled) design values in
    /// `out` (its [`Self::width`] values). `as_of_day` anchors date parts. Returns which
    /// side of the training range a number lay beyond when the part read it as the edge
    /// (for its reason; `None` otherwise).
    pub fn encode(&self, cell: Cell, as_of_day: i64, out: &mut [f64]) -> Result<Option<Beyond>, Problem> {
        match self {
            Part::Numeric(p) | Part::Spline(SplinePart { base: p, .. }) => {
                Ok(self.number_values_noting(p.kind.value(cell, as_of_day)?, out))
            }
            Part::Levels(p) => {
                let slot = match cell {
                    Cell::Text(s) => p.slot(Some(&p.kind.level(s))),
                    Cell::Missing => p.slot(None),
                    // Typed values are read as their text (a level is text).
                    other => p.slot(Some(&p.kind.level(&typed_text(other)))),
                };
                p.one_hot(slot, out);
                Ok(None)
            }
        }
    }
}

/// What monitoring counts of one cell ([`Part::observe`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Observed<'a> {
    /// A number part's value before any transform (NaN when missing).
    Value(f64),
    /// A level part's level (`None` when missing).
    Level(Option<Cow<'a, str>>),
    /// The part cannot read the cell (the scorer sets such a lead aside).
    Unreadable,
}

impl Part {
    /// One cell as monitoring bins it: the value or level this part reads from it, before
    /// it is encoded (the reference bins of [`crate::monitor`] are drawn on these).
    pub fn observe<'a>(&self, cell: Cell<'a>, as_of_day: i64) -> Observed<'a> {
        match self {
            Part::Numeric(p) | Part::Spline(SplinePart { base: p, .. }) => {
                p.kind.value(cell, as_of_day).map_or(Observed::Unreadable, Observed::Value)
            }
            Part::Levels(p) => match cell {
                Cell::Missing => Observed::Level(None),
                Cell::Text(s) => Observed::Level(Some(p.kind.level(s))),
                other => Observed::Level(Some(Cow::Owned(p.kind.level(&typed_text(other)).into_owned()))),
            },
        }
    }
}

/// A typed cell as text, for the parts that read text.
pub(super) fn typed_text(cell: Cell) -> String {
    match cell {
        Cell::Missing => String::new(),
        Cell::Text(s) => s.to_string(),
        Cell::Number(x) => format!("{x}"),
        Cell::Bool(b) => b.to_string(),
        Cell::Day(d) => crate::cell::from_day_number(d).map(|d| d.to_string()).unwrap_or_default(),
    }
}

impl NumericPart {
    pub fn width(&self) -> usize {
        1 + self.missing_flag as usize + self.cuts.len()
    }

    /// The raw design values for one value (NaN: missing) into `out`: the value (the
    /// median when missing; log1p'd when skewed), the missing flag when kept, then 0/1
    /// for each step.
    pub fn values(&self, cell: f64, out: &mut [f64]) {
        self.values_noting(cell, out);
    }

    /// [`Self::values`], also saying which side of the training range the value lay
    /// beyond when the part reads it as the edge (the value transformed once for both).
    pub fn values_noting(&self, cell: f64, out: &mut [f64]) -> Option<Beyond> {
        let missing = cell.is_nan();
        let t = self.transformed(cell);
        // Beyond the training range, the edge's value (a present value only: a missing
        // one is the median, inside the range).
        let side = if self.clamp && !missing { self.side(t) } else { None };
        let t = match side {
            Some(Beyond::Above) => self.hi,
            Some(Beyond::Below) => self.lo,
            None => t,
        };
        self.values_at(t, missing, out);
        side
    }

    /// Which side of the training range a present value lies beyond, whether or not the
    /// part reads it as the edge (`monitor` counts these); `None` for a flag.
    pub fn outside(&self, cell: f64) -> Option<Beyond> {
        if cell.is_nan() || self.kind == NumKind::Flag {
            return None;
        }
        self.side(self.transformed(cell))
    }

    /// Which side of `lo..=hi` a value in the part's scale lies beyond.
    fn side(&self, t: f64) -> Option<Beyond> {
        if t > self.hi {
            Some(Beyond::Above)
        } else if t < self.lo {
            Some(Beyond::Below)
        } else {
            None
        }
    }

    /// What a reason says of a value beyond the training range: "above the 50892 seen in
    /// training", or, for a date, "older than the 400 days before the as-of date seen in
    /// training".
    pub fn beyond_note(&self, side: Beyond) -> String {
        let edge = fmt_num(self.untransformed(match side {
            Beyond::Above => self.hi,
            Beyond::Below => self.lo,
        }));
        match (self.kind.date_order().is_some(), side) {
            (false, Beyond::Above) => format!("above the {edge} seen in training"),
            (false, Beyond::Below) => format!("below the {edge} seen in training"),
            (true, Beyond::Above) => format!("older than the {edge} days before the as-of date seen in training"),
            (true, Beyond::Below) => format!("newer than the {edge} days before the as-of date seen in training"),
        }
    }

    /// A value in the scale the model reads it (log1p'd when skewed; the median when
    /// missing, NaN).
    pub fn transformed(&self, cell: f64) -> f64 {
        let x = if cell.is_nan() { self.median } else { cell };
        if self.log1p {
            ln_1p_nonneg(x)
        } else {
            x
        }
    }

    /// A value in the model's scale back in the column's own (the inverse of
    /// [`Self::transformed`] for a present value).
    pub fn untransformed(&self, t: f64) -> f64 {
        if self.log1p {
            t.exp() - 1.0
        } else {
            t
        }
    }

    /// The raw design values for a value `t` already in the model's scale
    /// ([`Self::transformed`]), `missing` for the missing flag.
    pub fn values_at(&self, t: f64, missing: bool, out: &mut [f64]) {
        out[0] = t;
        let mut j = 1;
        if self.missing_flag {
            out[j] = missing as u8 as f64;
            j += 1;
        }
        for c in &self.cuts {
            out[j] = (t > *c) as u8 as f64;
            j += 1;
        }
    }

    pub fn feature_names(&self) -> Vec<String> {
        let label = &self.label;
        let mut v = vec![label.clone()];
        if self.missing_flag {
            v.push(format!("{label} is missing"));
        }
        for c in &self.cuts {
            v.push(format!("{label} > {}", fmt_num(self.untransformed(*c))));
        }
        v
    }

    /// Learn median, missing flag, log1p and cut points from the values of the
    /// training `rows` (NaN: missing); also the single-column ROC AUC (oriented, at
    /// least 0.5) on those rows' `labels`.
    pub fn fit(kind: NumKind, label: String, v: &[f64], rows: &[usize], labels: &[bool], bins: usize) -> (Self, f64) {
        let mut present: Vec<f64> = rows.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
        present.sort_by(f64::total_cmp);
        let missing_flag = present.len() < rows.len();
        let median = if present.is_empty() { 0.0 } else { quantile_sorted(&present, 0.5) };
        let can_log = kind != NumKind::Flag && present.first().is_some_and(|&x| x >= 0.0);
        let log1p = can_log && skewness(&present) > 1.0;
        let mut cuts = Vec::new();
        if kind != NumKind::Flag && bins >= 2 && !present.is_empty() {
            let tr: Vec<f64> = present.iter().map(|&x| if log1p { x.ln_1p() } else { x }).collect();
            let lo = tr[0];
            let hi = tr[tr.len() - 1];
            let mut distinct = tr.clone();
            distinct.dedup();
            if distinct.len() >= 5 {
                for k in 1..bins {
                    let c = quantile_sorted(&tr, k as f64 / bins as f64);
                    if c > lo && c < hi && cuts.last().is_none_or(|&l| c > l) {
                        cuts.push(c);
                    }
                }
                // A step at the lowest value would separate only ties at the minimum.
                cuts.retain(|&c| c > lo);
            }
        }
        let (lo, hi) = match (present.first(), present.last()) {
            (Some(&a), Some(&b)) if log1p => (a.ln_1p(), b.ln_1p()),
            (Some(&a), Some(&b)) => (a, b),
            _ => (median, median),
        };
        let part = NumericPart { kind, label, median, missing_flag, log1p, cuts, lo, hi, clamp: false };
        let scores: Vec<f64> = rows.iter().map(|&i| if v[i].is_nan() { median } else { v[i] }).collect();
        let auc = crate::metrics::roc_auc(&scores, labels).unwrap_or(0.5);
        (part, auc.max(1.0 - auc))
    }
}

/// One design column's weight in SQL: its coefficient, scale and centre.
#[derive(Debug, Clone, Copy)]
pub struct SqlWeight {
    pub coef: f64,
    pub scale: f64,
    pub center: f64,
}

impl SqlWeight {
    /// `coef * ((x - center) * scale)`, the order the row scorer multiplies in.
    fn term(&self, x: &str, d: crate::dialect::sql::Dialect) -> Option<String> {
        (self.coef != 0.0)
            .then(|| format!("{} * (({x} - {}) * {})", d.float(self.coef), d.float(self.center), d.float(self.scale)))
    }

    fn value(&self, x: f64) -> f64 {
        if self.coef == 0.0 {
            0.0
        } else {
            self.coef * ((x - self.center) * self.scale)
        }
    }
}

impl NumericPart {
    /// This part's contribution to the log-odds in SQL, from the column `value` (the
    /// number, NULL when missing) and its design columns' weights: the value (the median
    /// when missing, log1p'd when the part says), the missing flag, the steps.
    /// The value in the part's scale in SQL: the median when missing, log1p'd when the
    /// part says.
    pub fn sql_transformed(&self, value: &str, d: crate::dialect::sql::Dialect) -> String {
        let t_median = if self.log1p { ln_1p_nonneg(self.median) } else { self.median };
        let present = if self.log1p { format!("LN(1 + GREATEST({value}, 0))") } else { value.to_string() };
        // Beyond the training range, the edge (compared on the raw value, so that an
        // engine's LN cannot move a value across an edge).
        let edges = match self.sql_beyond_tests(value, d) {
            Some((below, above)) => {
                let below = below.map(|b| format!(" WHEN {b} THEN {}", d.float(self.lo))).unwrap_or_default();
                format!(" WHEN {above} THEN {}{below}", d.float(self.hi))
            }
            None => String::new(),
        };
        format!("(CASE WHEN {value} IS NULL THEN {}{edges} ELSE {present} END)", d.float(t_median))
    }

    /// SQL tests of a present raw `value` lying below and above the training range, as
    /// [`Self::values_noting`] decides, when the part reads such values as the edge: (below, or
    /// `None` when no value can lie below; above).
    fn sql_beyond_tests(&self, value: &str, d: crate::dialect::sql::Dialect) -> Option<(Option<String>, String)> {
        if !self.clamp {
            return None;
        }
        if self.log1p {
            // t > hi exactly when x > ln_1p_boundary(hi); t < lo exactly when t <= the
            // float below lo, i.e. x <= its boundary (nothing is below 0).
            let above = format!("{value} > {}", d.float(ln_1p_boundary(self.hi)));
            let below = (self.lo > 0.0)
                .then(|| format!("{value} <= {}", d.float(ln_1p_boundary(f64::from_bits(self.lo.to_bits() - 1)))));
            Some((below, above))
        } else {
            Some((Some(format!("{value} < {}", d.float(self.lo))), format!("{value} > {}", d.float(self.hi))))
        }
    }

    /// The note a reason carries in SQL for a value beyond the training range (NULL
    /// inside it or missing), as [`Self::beyond_note`] writes it; `None` for a part that
    /// extends its line.
    pub fn sql_beyond_note(&self, value: &str, d: crate::dialect::sql::Dialect) -> Option<String> {
        let (below, above) = self.sql_beyond_tests(value, d)?;
        let mut e = format!("CASE WHEN {above} THEN {}", d.string(&self.beyond_note(Beyond::Above)));
        if let Some(b) = below {
            e.push_str(&format!(" WHEN {b} THEN {}", d.string(&self.beyond_note(Beyond::Below))));
        }
        Some(e + " END")
    }

    /// `t` names the column holding [`Self::sql_transformed`]'s value (computed once, in its
    /// own step: issue 37).
    pub fn sql_contribution(&self, value: &str, t: &str, w: &[SqlWeight], d: crate::dialect::sql::Dialect) -> String {
        // A step compares the value with its cut. On the log1p scale an engine's LN(1 + x)
        // can land an ulp off Rust's ln_1p exactly at a cut (cuts are transformed
        // training values), so the step compares the raw value with the largest raw value
        // whose ln_1p is at most the cut: the same answer for every value.
        let raw =
            format!("(CASE WHEN {value} IS NULL THEN {} ELSE GREATEST({value}, 0) END)", d.float(self.median.max(0.0)));
        let step = |c: f64| -> String {
            if self.log1p {
                format!("(CASE WHEN {raw} > {} THEN 1.0 ELSE 0.0 END)", d.float(ln_1p_boundary(c)))
            } else {
                format!("(CASE WHEN {t} > {} THEN 1.0 ELSE 0.0 END)", d.float(c))
            }
        };
        let mut terms: Vec<String> = Vec::new();
        terms.extend(w[0].term(t, d));
        let mut j = 1;
        if self.missing_flag {
            terms.extend(w[j].term(&format!("(CASE WHEN {value} IS NULL THEN 1.0 ELSE 0.0 END)"), d));
            j += 1;
        }
        for c in &self.cuts {
            terms.extend(w[j].term(&step(*c), d));
            j += 1;
        }
        if terms.is_empty() {
            return "0.0".into();
        }
        terms.join(" + ")
    }
}

impl LevelPart {
    /// This part's contribution to the log-odds in SQL, from the column `level` (NULL
    /// when missing): a constant per level (the one-hot block's weighted sum).
    pub fn sql_contribution(&self, level: &str, w: &[SqlWeight], d: crate::dialect::sql::Dialect) -> String {
        let mut row = vec![0.0; self.width()];
        let mut constant = |slot: Option<usize>| {
            self.one_hot(slot, &mut row);
            d.float(row.iter().zip(w).map(|(&x, w)| w.value(x)).sum::<f64>())
        };
        let mut out = format!("CASE WHEN {level} IS NULL THEN {}", constant(self.slot(None)));
        for l in &self.levels {
            out.push_str(&format!(" WHEN {level} = {} THEN {}", d.string(l), constant(self.slot(Some(l)))));
        }
        let unseen = self.other.then_some(self.levels.len());
        out.push_str(&format!(" ELSE {} END", constant(unseen)));
        out
    }
}

/// What a level part's fit learns besides the part: the oriented single-column AUC and,
/// when found, levels that are almost always won.
pub struct LevelFit {
    pub part: LevelPart,
    pub auc: f64,
    pub pure: Option<PureLevels>,
}

/// Limits on the levels kept (from the feature params).
#[derive(Debug, Clone, Copy)]
pub struct LevelLimits {
    pub max_levels: usize,
    pub min_level_share: f64,
    pub min_level_count: usize,
}

/// Levels of one column whose training rows are almost all won.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PureLevels {
    pub column: String,
    /// (level, rows, win rate)
    pub levels: Vec<(String, usize, f64)>,
    /// Share of all won training leads that fall in these levels.
    pub share_of_won: f64,
}

/// A level counts as almost always won at this win rate or above...
pub const PURE_RATE: f64 = 0.95;
/// ...and the column is named when such levels hold this share of all won leads.
pub const PURE_SHARE_OF_WON: f64 = 0.3;

/// A column's cells read as level codes into a dictionary of levels.
#[derive(Clone)]
pub struct Values {
    pub dict: Vec<String>,
    pub codes: Vec<u32>,
}

/// The code of a missing cell in [`Values::codes`].
pub const MISSING: u32 = u32::MAX;

impl LevelPart {
    pub fn width(&self) -> usize {
        self.levels.len() + self.other as usize + self.missing as usize
    }

    /// The design column (within the block) for a level, `None` meaning missing: the
    /// level's own column, else "(other)", else the missing column; `None` when the part
    /// has no such column.
    /// The slot of the levels outside the list, when the part keeps one.
    pub fn other_slot(&self) -> Option<usize> {
        self.other.then_some(self.levels.len())
    }

    pub fn slot(&self, level: Option<&str>) -> Option<usize> {
        let other_slot = self.other_slot();
        match level {
            Some(l) => self.levels.iter().position(|k| k == l).or(other_slot),
            None => self.missing.then_some(self.levels.len() + self.other as usize),
        }
    }

    /// The block's raw values for a slot: 1 there, 0 elsewhere.
    pub fn one_hot(&self, slot: Option<usize>, out: &mut [f64]) {
        out.fill(0.0);
        if let Some(s) = slot {
            out[s] = 1.0;
        }
    }

    pub fn feature_names(&self) -> Vec<String> {
        let label = &self.label;
        let mut v: Vec<String> = self.levels.iter().map(|l| format!("{label} = {l}")).collect();
        if self.other {
            v.push(format!("{label} = (other)"));
        }
        if self.missing {
            v.push(format!("{label} = (missing)"));
        }
        v
    }

    /// Keep the levels frequent enough on the training `rows`, and measure the column
    /// alone (AUC) and its almost-always-won levels on those rows' `labels`.
    pub fn fit(
        kind: CatKind,
        label: String,
        vals: &Values,
        rows: &[usize],
        labels: &[bool],
        limits: LevelLimits,
    ) -> LevelFit {
        let Values { dict, codes } = vals;
        let mut counts = vec![0usize; dict.len()];
        let mut missing = 0usize;
        for &i in rows {
            match codes[i] {
                MISSING => missing += 1,
                c => counts[c as usize] += 1,
            }
        }
        let min_count = limits.min_level_count.max((limits.min_level_share * rows.len() as f64).ceil() as usize);
        let mut order: Vec<usize> = (0..dict.len()).filter(|&c| counts[c] > 0).collect();
        order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(dict[a].cmp(&dict[b])));
        let kept: Vec<usize> =
            order.iter().copied().filter(|&c| counts[c] >= min_count).take(limits.max_levels).collect();
        let other = order.len() > kept.len();
        let levels: Vec<String> = kept.iter().map(|&c| dict[c].clone()).collect();
        // Single-column AUC: each row scored by its level's conversion rate.
        let mut slot = vec![kept.len(); dict.len()]; // other
        for (k, &c) in kept.iter().enumerate() {
            slot[c] = k;
        }
        let miss_slot = kept.len() + 1;
        let mut won = vec![0usize; kept.len() + 2];
        let mut all = vec![0usize; kept.len() + 2];
        let slot_of = |code: u32| if code == MISSING { miss_slot } else { slot[code as usize] };
        for (&i, &y) in rows.iter().zip(labels) {
            let s = slot_of(codes[i]);
            all[s] += 1;
            won[s] += y as usize;
        }
        // Every row of a slot scores the slot's rate: the AUC from the slots' counts.
        let groups = (0..all.len()).map(|s| (won[s] as f64 / all[s].max(1) as f64, all[s], won[s])).collect();
        let auc = crate::metrics::roc_auc_grouped(groups).unwrap_or(0.5);
        let total_won = labels.iter().filter(|&&y| y).count();
        let min_rows = 20usize.max(rows.len() / 100);
        let pure: Vec<(String, usize, f64)> = kept
            .iter()
            .enumerate()
            .filter(|&(k, _)| all[k] >= min_rows && won[k] as f64 >= PURE_RATE * all[k] as f64)
            .map(|(k, &c)| (dict[c].clone(), all[k], won[k] as f64 / all[k] as f64))
            .collect();
        let pure_won: f64 = pure.iter().map(|(_, n, r)| *n as f64 * r).sum();
        let share = pure_won / total_won.max(1) as f64;
        let pure = (share >= PURE_SHARE_OF_WON).then(|| PureLevels {
            column: String::new(),
            levels: pure,
            share_of_won: share,
        });
        LevelFit { part: LevelPart { kind, label, levels, other, missing: missing > 0 }, auc: auc.max(1.0 - auc), pure }
    }
}
