//! Automatic feature engineering: from a raw CRM table to the model's design matrix.
//!
//! Sits between loading ([`crate::data`]) and fitting ([`crate::train`]). The flow follows
//! scikit-learn's: [`FeatureParams`] (what the analyst asked for) are validated, then
//! [`FeatureParams::fit`] looks at the table to give every column a role (number, flag,
//! date, category, e-mail, job title) and learns its statistics on the training rows only
//! (medians, levels, quantile cut points, scaling). The result, [`FittedFeatures`],
//! remembers its input schema and is saved inside the model file, so that
//! [`FittedFeatures::transform`] rebuilds exactly the same columns at scoring time and
//! refuses data that does not match before anything can go wrong.
//!
//! Every design column is standardised with the training mean and standard deviation, so
//! that a coefficient times a lead's value is that feature's contribution to its log-odds.

pub mod text;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use ndarray::{Array2, ShapeBuilder};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Table;
use crate::error::{polars_err, Error, Result};
use text::{clean, parse_number, NumCell};

/// What a column is, and so which transforms it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Median imputation + missing flag, log1p when skewed, quantile steps, scaling.
    Number,
    /// yes/no, true/false, 0/1 as 0/1.
    Flag,
    /// Days before the as-of date, then treated as a number.
    Date,
    /// Trimmed, case-folded levels; rare levels pooled as "other"; one-hot.
    Category,
    /// free-mail / company / education domain, never the raw address.
    Email,
    /// Seniority and function from keyword tables.
    Title,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Number => "number",
            Role::Flag => "flag",
            Role::Date => "date",
            Role::Category => "category",
            Role::Email => "email",
            Role::Title => "title",
        }
    }
}

/// A role as written in a feature spec: a [`Role`], or "ignore".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChoice {
    Use(Role),
    Ignore,
}

impl std::str::FromStr for RoleChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "number" | "numeric" => RoleChoice::Use(Role::Number),
            "flag" | "bool" | "boolean" => RoleChoice::Use(Role::Flag),
            "date" => RoleChoice::Use(Role::Date),
            "category" | "categorical" | "text" => RoleChoice::Use(Role::Category),
            "email" | "e-mail" => RoleChoice::Use(Role::Email),
            "title" | "job_title" => RoleChoice::Use(Role::Title),
            "ignore" | "id" | "exclude" => RoleChoice::Ignore,
            other => {
                return Err(format!(
                    "unknown role {other:?}; use number, flag, date, category, email, title or ignore"
                ))
            }
        })
    }
}

/// The optional feature spec file (TOML):
///
/// ```toml
/// max_levels = 30          # most one-hot levels kept per category column
/// min_level_share = 0.005  # a level rarer than this share of rows is pooled as "other"
/// bins = 5                 # quantile groups for the nonlinear steps of a number
/// [roles]
/// employees = "number"
/// zip_code = "category"
/// notes = "ignore"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    pub max_levels: Option<usize>,
    pub min_level_share: Option<f64>,
    pub bins: Option<usize>,
}

impl FeatureSpec {
    pub fn from_file(path: &Path) -> Result<FeatureSpec> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
        toml::from_str(&text).map_err(|e: toml::de::Error| Error::malformed(path, format!("feature spec: {}", e.message())))
    }
}

/// What the analyst asks of the feature pipeline, before it has seen data.
#[derive(Debug, Clone)]
pub struct FeatureParams {
    label: String,
    id: Option<String>,
    exclude: Vec<String>,
    roles: BTreeMap<String, RoleChoice>,
    as_of: Option<NaiveDate>,
    max_levels: usize,
    min_level_share: f64,
    min_level_count: usize,
    bins: usize,
}

impl FeatureParams {
    /// Params for a table whose outcome is in `label`.
    pub fn new(label: &str) -> Self {
        FeatureParams {
            label: label.to_string(),
            id: None,
            exclude: Vec::new(),
            roles: BTreeMap::new(),
            as_of: None,
            max_levels: 30,
            min_level_share: 0.005,
            min_level_count: 5,
            bins: 5,
        }
    }

    /// The id column: carried to outputs, never a feature. Default: none.
    pub fn id(mut self, id: Option<String>) -> Self {
        self.id = id;
        self
    }

    /// Columns never used as features. Default: none.
    pub fn exclude(mut self, cols: Vec<String>) -> Self {
        self.exclude = cols;
        self
    }

    /// Add one column to those never used as features.
    pub fn also_exclude(mut self, col: &str) -> Self {
        if !self.exclude.iter().any(|c| c == col) {
            self.exclude.push(col.to_string());
        }
        self
    }

    /// The date that date columns count days back from. Default: the latest date in the data.
    pub fn as_of(mut self, as_of: Option<NaiveDate>) -> Self {
        self.as_of = as_of;
        self
    }

    /// Apply a feature spec: explicit roles and the limits below.
    pub fn spec(mut self, spec: &FeatureSpec) -> Result<Self> {
        for (col, role) in &spec.roles {
            let choice: RoleChoice = role
                .parse()
                .map_err(|m: String| Error::usage(format!("feature spec, column {col:?}"), m))?;
            self.roles.insert(col.clone(), choice);
        }
        if let Some(m) = spec.max_levels {
            self.max_levels = m;
        }
        if let Some(s) = spec.min_level_share {
            self.min_level_share = s;
        }
        if let Some(b) = spec.bins {
            self.bins = b;
        }
        Ok(self)
    }

    /// Most one-hot levels kept per category column. Default: 30.
    pub fn max_levels(mut self, n: usize) -> Self {
        self.max_levels = n;
        self
    }

    /// Quantile groups for a number's nonlinear steps (0 or 1 turns them off). Default: 5.
    pub fn bins(mut self, n: usize) -> Self {
        self.bins = n;
        self
    }

    fn check(&self) -> Result<()> {
        if self.max_levels == 0 || self.max_levels > 1000 {
            return Err(Error::usage("max_levels", format!("must be 1 to 1000, got {}", self.max_levels)));
        }
        if !(0.0..0.5).contains(&self.min_level_share) {
            return Err(Error::usage(
                "min_level_share",
                format!("must be at least 0 and below 0.5, got {}", self.min_level_share),
            ));
        }
        if self.bins > 20 {
            return Err(Error::usage("bins", format!("must be 0 to 20, got {}", self.bins)));
        }
        Ok(())
    }
}

/// How a numeric part reads its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NumKind {
    Number,
    Flag,
    DaysBefore,
}

/// How a level part reads its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CatKind {
    Text,
    TitleSeniority,
    TitleFunction,
    EmailKind,
}

/// One block of design columns derived from an input column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Part {
    Numeric {
        kind: NumKind,
        label: String,
        median: f64,
        missing_flag: bool,
        log1p: bool,
        /// Step points, in the transformed (log1p) scale.
        cuts: Vec<f64>,
        /// Smallest and largest training value, in the transformed scale.
        lo: f64,
        hi: f64,
    },
    Levels {
        kind: CatKind,
        label: String,
        levels: Vec<String>,
        other: bool,
        missing: bool,
    },
}

impl Part {
    /// Number of design columns this part builds.
    pub fn width(&self) -> usize {
        match self {
            Part::Numeric {
                missing_flag, cuts, ..
            } => 1 + *missing_flag as usize + cuts.len(),
            Part::Levels {
                levels,
                other,
                missing,
                ..
            } => levels.len() + *other as usize + *missing as usize,
        }
    }

    /// A numeric part's raw design values for one cell (NaN: missing) into `out` (its
    /// [`Self::width`] values): the value (the median when missing; log1p'd when
    /// skewed), the missing flag when kept, then 0/1 for each step. Both training
    /// (`fill_numeric`) and the fast scorer build rows with it.
    pub(crate) fn numeric_values(&self, cell: f64, out: &mut [f64]) {
        if let Part::Numeric { median, missing_flag, log1p, cuts, .. } = self {
            let missing = cell.is_nan();
            let x = if missing { *median } else { cell };
            let t = if *log1p { ln_1p_nonneg(x) } else { x };
            out[0] = t;
            let mut j = 1;
            if *missing_flag {
                out[j] = missing as u8 as f64;
                j += 1;
            }
            for c in cuts {
                out[j] = (t > *c) as u8 as f64;
                j += 1;
            }
        }
    }

    /// A level part's design column (within its block) for a level, `None` meaning
    /// missing: the level's own column, else "(other)", else the missing column; `None`
    /// when the part has no such column. Shared by `fill_levels` and the fast scorer.
    pub(crate) fn level_slot(&self, level: Option<&str>) -> Option<usize> {
        let Part::Levels { levels, other, missing, .. } = self else { return None };
        let other_slot = other.then_some(levels.len());
        match level {
            Some(l) => levels.iter().position(|k| k == l).or(other_slot),
            None => missing.then_some(levels.len() + *other as usize),
        }
    }

    fn feature_names(&self) -> Vec<String> {
        match self {
            Part::Numeric {
                label,
                missing_flag,
                log1p,
                cuts,
                ..
            } => {
                let mut v = vec![label.clone()];
                if *missing_flag {
                    v.push(format!("{label} is missing"));
                }
                for c in cuts {
                    let raw = if *log1p { c.exp() - 1.0 } else { *c };
                    v.push(format!("{label} > {}", fmt_num(raw)));
                }
                v
            }
            Part::Levels {
                label,
                levels,
                other,
                missing,
                ..
            } => {
                let mut v: Vec<String> = levels.iter().map(|l| format!("{label} = {l}")).collect();
                if *other {
                    v.push(format!("{label} = (other)"));
                }
                if *missing {
                    v.push(format!("{label} = (missing)"));
                }
                v
            }
        }
    }
}

pub(crate) fn fmt_num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 && x.abs() < 1e15 {
        format!("{}", x.round() as i64)
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// An input column the pipeline uses, and the parts built from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedColumn {
    pub name: String,
    pub role: Role,
    pub parts: Vec<Part>,
}

/// One design column: its readable name and the input column it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureInfo {
    pub name: String,
    /// Index into [`FittedFeatures::columns`].
    pub column: usize,
}

/// The fitted pipeline: the input schema, every learned statistic, and the scaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedFeatures {
    pub columns: Vec<FittedColumn>,
    pub features: Vec<FeatureInfo>,
    /// Training mean of each raw design column.
    pub center: Vec<f64>,
    /// 1 / training standard deviation (0 for a column that was constant in training).
    pub scale: Vec<f64>,
    /// The as-of date used in training (days from the common era), if any date column.
    pub as_of_day: Option<i64>,
}

/// A column left out of the model, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Skipped {
    pub column: String,
    pub reason: String,
}

/// What fitting learned that the analyst should hear about.
#[derive(Debug, Clone, Default)]
pub struct FitReport {
    pub skipped: Vec<Skipped>,
    /// (column, ROC AUC of the column alone on the training rows)
    pub single_column_auc: Vec<(String, f64)>,
    /// Columns with levels that are almost always won and hold a large share of all won
    /// leads: the mark of a field filled in after the sale.
    pub pure_levels: Vec<PureLevels>,
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
struct Values {
    dict: Vec<String>,
    codes: Vec<u32>,
}

const MISSING: u32 = u32::MAX;

fn row_no(i: usize) -> u64 {
    i as u64 + 1
}

fn is_numeric_dtype(dt: &DataType) -> bool {
    dt.is_primitive_numeric()
}

fn is_temporal(dt: &DataType) -> bool {
    matches!(dt, DataType::Date | DataType::Datetime(_, _))
}

/// The column's cells as text (cast if needed).
fn text_cells(table: &Table, col: &Column) -> Result<StringChunked> {
    let c = col
        .cast(&DataType::String)
        .map_err(|e| polars_err(&table.path, e))?;
    Ok(c.str().map_err(|e| polars_err(&table.path, e))?.clone())
}

/// The column's cells as f64 from a numeric-typed (Parquet) column; NaN for null.
fn numeric_cells(table: &Table, col: &Column) -> Result<Vec<f64>> {
    let c = col
        .cast(&DataType::Float64)
        .map_err(|e| polars_err(&table.path, e))?;
    let ca = c.f64().map_err(|e| polars_err(&table.path, e))?;
    let mut out = Vec::with_capacity(ca.len());
    for (i, v) in ca.iter().enumerate() {
        match v {
            Some(x) if !x.is_finite() => {
                return Err(Error::NonFinite {
                    path: table.path.clone(),
                    column: col.name().to_string(),
                    row: row_no(i),
                    value: format!("{x}"),
                })
            }
            Some(x) => out.push(x),
            None => out.push(f64::NAN),
        }
    }
    Ok(out)
}

/// Days (from the common era) of a temporal-typed column; None for null.
fn temporal_days(table: &Table, col: &Column) -> Result<Vec<Option<i64>>> {
    let c = col
        .cast(&DataType::Date)
        .map_err(|e| polars_err(&table.path, e))?;
    let phys = c
        .cast(&DataType::Int32)
        .map_err(|e| polars_err(&table.path, e))?;
    let ca = phys.i32().map_err(|e| polars_err(&table.path, e))?;
    // Polars dates count from 1970-01-01, which is day 719163 from the common era.
    Ok(ca.iter().map(|v| v.map(|d| d as i64 + 719_163)).collect())
}

/// Days (from the common era) of a date column, text or temporal; `None` where missing.
pub(crate) fn read_dates(table: &Table, col: &Column) -> Result<Vec<Option<i64>>> {
    date_days(table, col)
}

fn date_days(table: &Table, col: &Column) -> Result<Vec<Option<i64>>> {
    if is_temporal(col.dtype()) {
        return temporal_days(table, col);
    }
    let ca = text_cells(table, col)?;
    let mut out = Vec::with_capacity(ca.len());
    // Dates repeat: parse each distinct cell once.
    let mut cache: foldhash::HashMap<&str, Option<i64>> = foldhash::HashMap::default();
    for (i, v) in ca.iter().enumerate() {
        match clean(v) {
            None => out.push(None),
            Some(s) => match *cache
                .entry(s)
                .or_insert_with(|| text::parse_day(s))
            {
                Some(d) => out.push(Some(d)),
                None => {
                    return Err(Error::BadDate {
                        path: table.path.clone(),
                        column: col.name().to_string(),
                        row: row_no(i),
                        value: crate::error::clip(s),
                    })
                }
            },
        }
    }
    Ok(out)
}

fn read_numbers(table: &Table, col: &Column, kind: NumKind, as_of_day: Option<i64>) -> Result<Vec<f64>> {
    let name = col.name().to_string();
    match kind {
        NumKind::Number if is_numeric_dtype(col.dtype()) => numeric_cells(table, col),
        NumKind::Number => {
            let ca = text_cells(table, col)?;
            let mut out = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                match clean(v) {
                    None => out.push(f64::NAN),
                    Some(s) => match parse_number(s) {
                        NumCell::Value(x) => out.push(x),
                        NumCell::NonFinite => {
                            return Err(Error::NonFinite {
                                path: table.path.clone(),
                                column: name,
                                row: row_no(i),
                                value: crate::error::clip(s),
                            })
                        }
                        NumCell::NotANumber => {
                            return Err(Error::TextInNumeric {
                                path: table.path.clone(),
                                column: name,
                                row: row_no(i),
                                value: crate::error::clip(s),
                                why: "the model reads this column as numbers".into(),
                            })
                        }
                    },
                }
            }
            Ok(out)
        }
        NumKind::Flag if col.dtype() == &DataType::Boolean => {
            let ca = col.bool().map_err(|e| polars_err(&table.path, e))?;
            Ok(ca
                .iter()
                .map(|v| v.map(|b| b as u8 as f64).unwrap_or(f64::NAN))
                .collect())
        }
        NumKind::Flag => {
            let ca = text_cells(table, col)?;
            let mut out = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                match clean(v) {
                    None => out.push(f64::NAN),
                    Some(s) => match text::parse_flag(s) {
                        Some(x) => out.push(x),
                        None => {
                            return Err(Error::BadFlag {
                                path: table.path.clone(),
                                column: name,
                                row: row_no(i),
                                value: crate::error::clip(s),
                            })
                        }
                    },
                }
            }
            Ok(out)
        }
        NumKind::DaysBefore => {
            let as_of = as_of_day.unwrap_or(0);
            Ok(date_days(table, col)?
                .into_iter()
                .map(|d| d.map(|d| (as_of - d) as f64).unwrap_or(f64::NAN))
                .collect())
        }
    }
}

/// The level a cleaned cell stands for in a level part (shared with the fast scorer).
pub(crate) fn level_of(kind: CatKind, s: &str) -> String {
    match kind {
        CatKind::Text => s.to_lowercase(),
        CatKind::TitleSeniority => text::title_seniority(s).to_string(),
        CatKind::TitleFunction => text::title_function(s).to_string(),
        CatKind::EmailKind => text::email_kind(s).to_string(),
    }
}

fn read_levels(table: &Table, col: &Column, kind: CatKind) -> Result<Values> {
    let ca = text_cells(table, col)?;
    let mut dict: Vec<String> = Vec::new();
    let mut index: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
    // Cache by raw cell text so each distinct title or category value is read once.
    let mut raw_cache: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    let mut codes = Vec::with_capacity(ca.len());
    for v in ca.iter() {
        match clean(v) {
            None => codes.push(MISSING),
            Some(s) => {
                // E-mail addresses are nearly all distinct: classify each directly.
                let cacheable = kind != CatKind::EmailKind;
                if let Some(&c) = raw_cache.get(s).filter(|_| cacheable) {
                    codes.push(c);
                    continue;
                }
                let level = level_of(kind, s);
                let next = dict.len() as u32;
                let code = *index.entry(level.clone()).or_insert_with(|| {
                    dict.push(level);
                    next
                });
                if cacheable {
                    raw_cache.insert(s, code);
                }
                codes.push(code);
            }
        }
    }
    Ok(Values { dict, codes })
}

/// What the data says a column is, or why it is left out.
enum Inferred {
    Role(Role),
    Skip(String),
}

fn infer_role(table: &Table, col: &Column) -> Result<Inferred> {
    let name = col.name().to_string();
    let n = col.len();
    let dt = col.dtype();
    if is_temporal(dt) {
        return Ok(Inferred::Role(Role::Date));
    }
    if dt == &DataType::Boolean {
        return Ok(Inferred::Role(Role::Flag));
    }
    if is_numeric_dtype(dt) {
        let v = numeric_cells(table, col)?;
        let present = v.into_iter().filter(|x| !x.is_nan()).map(|x| (x, 1)).collect();
        return Ok(numeric_verdict(present, n));
    }
    let ca = text_cells(table, col)?;
    // Each distinct cleaned cell once, with its first row and count: the tests below run
    // per distinct value (a CRM column holds far fewer values than rows).
    let mut seen: foldhash::HashMap<&str, (usize, usize)> = foldhash::HashMap::default();
    let mut m = 0usize;
    for (i, v) in ca.iter().enumerate() {
        let Some(s) = clean(v) else { continue };
        m += 1;
        seen.entry(s).and_modify(|e| e.1 += 1).or_insert((i, 1));
    }
    let mut cells: Vec<(&str, usize, usize)> = seen.into_iter().map(|(s, (first, count))| (s, first, count)).collect();
    cells.sort_unstable_by_key(|c| c.1);
    let mut numeric = 0usize;
    let mut first_text: Option<(usize, String)> = None;
    let mut first_nonfinite: Option<(usize, String)> = None;
    let mut flags = 0usize;
    let mut dates = 0usize;
    let mut first_nondate: Option<(usize, String)> = None;
    let mut emails = 0usize;
    let mut nums: Vec<(f64, usize)> = Vec::new();
    for &(s, i, count) in &cells {
        match parse_number(s) {
            NumCell::Value(x) => {
                numeric += count;
                nums.push((x, count));
            }
            NumCell::NonFinite => {
                numeric += count;
                if first_nonfinite.is_none() {
                    first_nonfinite = Some((i, crate::error::clip(s)));
                }
            }
            NumCell::NotANumber => {
                if first_text.is_none() {
                    first_text = Some((i, crate::error::clip(s)));
                }
            }
        }
        if text::parse_flag(s).is_some() {
            flags += count;
        }
        if text::parse_date(s).is_some() {
            dates += count;
        } else if first_nondate.is_none() {
            first_nondate = Some((i, crate::error::clip(s)));
        }
        if text::looks_like_email(s) {
            emails += count;
        }
    }
    if m == 0 {
        return Ok(Inferred::Skip("empty in every row".into()));
    }
    if numeric == m {
        if let Some((row, value)) = first_nonfinite {
            return Err(Error::NonFinite {
                path: table.path.clone(),
                column: name,
                row: row_no(row),
                value,
            });
        }
        return Ok(numeric_verdict(nums, n));
    }
    if numeric as f64 >= 0.9 * m as f64 {
        if let Some((row, value)) = first_text {
            return Err(Error::TextInNumeric {
                path: table.path.clone(),
                column: name,
                row: row_no(row),
                value,
                why: format!(
                    "{:.1}% of the column's filled cells are numbers",
                    100.0 * numeric as f64 / m as f64
                ),
            });
        }
    }
    if flags == m {
        return Ok(Inferred::Role(Role::Flag));
    }
    if dates == m {
        return Ok(Inferred::Role(Role::Date));
    }
    if dates as f64 >= 0.9 * m as f64 {
        if let Some((row, value)) = first_nondate {
            return Err(Error::BadDate {
                path: table.path.clone(),
                column: name,
                row: row_no(row),
                value,
            });
        }
    }
    if emails as f64 >= 0.8 * m as f64 {
        return Ok(Inferred::Role(Role::Email));
    }
    let lname = name.to_lowercase();
    if ["title", "position", "designation"]
        .iter()
        .any(|k| lname.contains(k))
    {
        return Ok(Inferred::Role(Role::Title));
    }
    // Distinct values ignoring case: needed only for the identifier test, so counted only
    // when it is reached (not for an e-mail column of a million addresses).
    let d = cells.iter().map(|c| c.0.to_lowercase()).collect::<foldhash::HashSet<String>>().len();
    if d == 1 && m == n {
        return Ok(Inferred::Skip("the same value in every row".into()));
    }
    if m >= 20 && d as f64 >= 0.9 * m as f64 {
        return Ok(Inferred::Skip(format!(
            "identifier-like: {d} distinct values in {m} filled rows"
        )));
    }
    Ok(Inferred::Role(Role::Category))
}

/// The role of a column of numbers, from its present values with their counts, of `n`
/// rows in all.
fn numeric_verdict(mut values: Vec<(f64, usize)>, n: usize) -> Inferred {
    let m: usize = values.iter().map(|v| v.1).sum();
    if m == 0 {
        return Inferred::Skip("empty in every row".into());
    }
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut sorted: Vec<f64> = values.iter().map(|v| v.0).collect();
    sorted.dedup();
    let d = sorted.len();
    if d == 1 && m == n {
        return Inferred::Skip("the same value in every row".into());
    }
    if sorted.iter().all(|&x| x == 0.0 || x == 1.0) {
        return Inferred::Role(Role::Flag);
    }
    let integers = sorted.iter().all(|x| x.fract() == 0.0);
    if integers && m >= 20 && d == m {
        return Inferred::Skip(format!(
            "identifier-like: {d} distinct whole numbers in {m} filled rows"
        ));
    }
    Inferred::Role(Role::Number)
}

/// The latest date in the named columns of the table that have the date role (days
/// from the common era).
fn latest_day<'a>(table: &Table, cols: impl IntoIterator<Item = (&'a str, Role)>) -> Result<Option<i64>> {
    let mut best: Option<i64> = None;
    for (name, role) in cols {
        if role != Role::Date {
            continue;
        }
        let col = table.column(name)?;
        for d in date_days(table, col)?.into_iter().flatten() {
            best = Some(best.map_or(d, |b: i64| b.max(d)));
        }
    }
    Ok(best)
}

fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn skewness(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if n < 3.0 {
        return 0.0;
    }
    let mean = v.iter().sum::<f64>() / n;
    let m2 = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = v.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    if m2 <= 0.0 {
        0.0
    } else {
        m3 / m2.powf(1.5)
    }
}

impl FeatureParams {
    /// Decide each column's role from the whole table, learn each part's statistics on
    /// `train_rows` (with their labels), and fit the scaling.
    pub fn fit(
        &self,
        table: &Table,
        train_rows: &[usize],
        train_labels: &[bool],
    ) -> Result<(FittedFeatures, FitReport)> {
        let (fitted, report, _) = self.fit_transform(table, train_rows, train_labels, train_rows)?;
        Ok((fitted, report))
    }

    /// [`Self::fit`], also returning the standardised design matrix (as
    /// [`FittedFeatures::transform`] would build it) of the table rows `out_rows`, in that
    /// order, built from the cells read once. `out_rows` must begin with `train_rows`, so
    /// that the training rows are the matrix's first rows (a view, no copy).
    pub fn fit_transform(
        &self,
        table: &Table,
        train_rows: &[usize],
        train_labels: &[bool],
        out_rows: &[usize],
    ) -> Result<(FittedFeatures, FitReport, Array2<f64>)> {
        self.fit_transform_with_spare(table, train_rows, train_labels, out_rows, 0)
    }

    /// [`Self::fit_transform`] with `spare` zero columns after the design columns, in the
    /// same allocation: room for the solver, which whitens the training rows in place
    /// ([`crate::fit::LogisticParams::fit_in_place`]) instead of in a copy.
    pub fn fit_transform_with_spare(
        &self,
        table: &Table,
        train_rows: &[usize],
        train_labels: &[bool],
        out_rows: &[usize],
        spare: usize,
    ) -> Result<(FittedFeatures, FitReport, Array2<f64>)> {
        self.check()?;
        if out_rows.get(..train_rows.len()) != Some(train_rows) {
            return Err(Error::Internal("fit_transform: the output rows must begin with the training rows".into()));
        }
        let nout = out_rows.len();
        let mut cells: Vec<Cells> = Vec::new();
        let mut report = FitReport::default();
        for ex in self.exclude.iter().chain(self.id.iter()) {
            table.column(ex)?;
        }
        for col in self.roles.keys() {
            table.column(col)?;
        }
        // 1. Roles, inferred for the columns in parallel, taken in column order (so the
        // first error in column order is the one reported).
        let candidates: Vec<&Column> = table
            .df
            .columns()
            .iter()
            .filter(|col| {
                let name = col.name().as_str();
                name != self.label
                    && self.id.as_deref() != Some(name)
                    && !self.exclude.iter().any(|e| e == name)
                    && self.roles.get(name) != Some(&RoleChoice::Ignore)
            })
            .collect();
        let inferred: Vec<Result<Inferred>> = candidates
            .par_iter()
            .map(|col| match self.roles.get(col.name().as_str()) {
                Some(RoleChoice::Use(r)) => Ok(Inferred::Role(*r)),
                _ => infer_role(table, col),
            })
            .collect();
        let mut roles: Vec<(String, Role)> = Vec::new();
        for (col, inf) in candidates.iter().zip(inferred) {
            let name = col.name().to_string();
            match inf? {
                Inferred::Role(r) => roles.push((name, r)),
                Inferred::Skip(reason) => report.skipped.push(Skipped { column: name, reason }),
            }
        }
        if roles.is_empty() {
            let detail = if report.skipped.is_empty() {
                "every column is the label, the id or excluded".to_string()
            } else {
                report
                    .skipped
                    .iter()
                    .map(|s| format!("{} ({})", s.column, s.reason))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            return Err(Error::NoFeatures {
                path: table.path.clone(),
                detail,
            });
        }
        // 2. The as-of date.
        let as_of_day = match self.as_of {
            Some(d) => Some(text::day_number(d)),
            None => latest_day(table, roles.iter().map(|(n, r)| (n.as_str(), *r)))?,
        };
        // 3. Parts, fitted on the training rows: the columns in parallel, the results
        // (and their errors and report lines) taken in column order.
        type Fitted = (FittedColumn, Vec<Cells>, f64, Vec<PureLevels>);
        let fitted_cols: Vec<Result<Fitted>> = roles
            .par_iter()
            .map(|(name, role)| -> Result<Fitted> {
                let col = table.column(name)?;
                let mut parts = Vec::new();
                let mut cells = Vec::new();
                let mut pure_levels = Vec::new();
                let mut best_auc: f64 = 0.5;
                let specs: Vec<(Option<NumKind>, Option<CatKind>, String)> = match role {
                    Role::Number => vec![(Some(NumKind::Number), None, name.clone())],
                    Role::Flag => vec![(Some(NumKind::Flag), None, name.clone())],
                    Role::Date => vec![(Some(NumKind::DaysBefore), None, format!("{name} (days before as-of)"))],
                    Role::Category => vec![(None, Some(CatKind::Text), name.clone())],
                    Role::Email => vec![(None, Some(CatKind::EmailKind), format!("{name} kind"))],
                    Role::Title => vec![
                        (None, Some(CatKind::TitleSeniority), format!("{name} seniority")),
                        (None, Some(CatKind::TitleFunction), format!("{name} function")),
                    ],
                };
                for (nk, ck, label) in specs {
                    let (part, auc) = if let Some(kind) = nk {
                        let v = read_numbers(table, col, kind, as_of_day)?;
                        let (part, auc) = self.fit_numeric(kind, label, &v, train_rows, train_labels);
                        cells.push(Cells::Numbers(v));
                        (part, auc)
                    } else if let Some(kind) = ck {
                        let vals = read_levels(table, col, kind)?;
                        let (part, auc, pure) = self.fit_levels(kind, label, &vals, train_rows, train_labels);
                        if let Some(mut pure) = pure {
                            pure.column = name.clone();
                            pure_levels.push(pure);
                        }
                        cells.push(Cells::Levels(vals));
                        (part, auc)
                    } else {
                        continue;
                    };
                    best_auc = best_auc.max(auc);
                    parts.push(part);
                }
                Ok((FittedColumn { name: name.clone(), role: *role, parts }, cells, best_auc, pure_levels))
            })
            .collect();
        let mut columns = Vec::new();
        for r in fitted_cols {
            let (column, col_cells, auc, pure) = r?;
            report.single_column_auc.push((column.name.clone(), auc));
            report.pure_levels.extend(pure);
            cells.extend(col_cells);
            columns.push(column);
        }
        let mut features = Vec::new();
        for (ci, c) in columns.iter().enumerate() {
            for p in &c.parts {
                for name in p.feature_names() {
                    features.push(FeatureInfo { name, column: ci });
                }
            }
        }
        let mut fitted = FittedFeatures {
            center: vec![0.0; features.len()],
            scale: vec![1.0; features.len()],
            columns,
            features,
            as_of_day,
        };
        // 4. The raw design matrix, allocated once, column-major, rows in `out_rows`
        // order; each part fills its own block of columns, the parts in parallel.
        let width = fitted.features.len();
        let mut raw = vec![0.0f64; (width + spare) * nout];
        let parts: Vec<&Part> = fitted.columns.iter().flat_map(|c| c.parts.iter()).collect();
        if parts.len() != cells.len() {
            return Err(Error::Internal("fit_transform: cells and parts differ in number".into()));
        }
        let mut blocks: Vec<&mut [f64]> = Vec::with_capacity(parts.len());
        let mut rest: &mut [f64] = &mut raw;
        for part in &parts {
            let (block, tail) = rest.split_at_mut(part.width() * nout);
            blocks.push(block);
            rest = tail;
        }
        blocks
            .into_par_iter()
            .zip(parts.par_iter())
            .zip(cells.par_iter())
            .for_each(|((block, part), cell)| match cell {
                Cells::Numbers(v) => fill_numeric(part, v, Some(out_rows), block, nout),
                Cells::Levels(vals) => fill_levels(part, vals, Some(out_rows), block, nout),
            });
        drop(cells);
        // 5. Scaling, from the training rows (the first rows), applied to every row; the
        // columns in parallel.
        let m = train_rows.len();
        let scaling: Vec<(f64, f64)> = raw[..width * nout]
            .par_chunks_mut(nout.max(1))
            .map(|col| {
                let mean = col[..m].iter().sum::<f64>() / m as f64;
                let var = col[..m].iter().map(|&x| (x - mean).powi(2)).sum::<f64>() / m as f64;
                let scale = if var > 1e-18 { 1.0 / var.sqrt() } else { 0.0 };
                for x in col.iter_mut() {
                    *x = (*x - mean) * scale;
                }
                (mean, scale)
            })
            .collect();
        for (j, (mean, scale)) in scaling.into_iter().enumerate().take(width) {
            fitted.center[j] = mean;
            fitted.scale[j] = scale;
        }
        let x = Array2::from_shape_vec((nout, width + spare).f(), raw)
            .map_err(|e| Error::Internal(format!("design matrix shape: {e}")))?;
        Ok((fitted, report, x))
    }

    fn fit_numeric(
        &self,
        kind: NumKind,
        label: String,
        v: &[f64],
        rows: &[usize],
        labels: &[bool],
    ) -> (Part, f64) {
        let mut present: Vec<f64> = rows.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
        present.sort_by(f64::total_cmp);
        let missing_flag = present.len() < rows.len();
        let median = if present.is_empty() {
            0.0
        } else {
            quantile_sorted(&present, 0.5)
        };
        let can_log = kind != NumKind::Flag && present.first().is_some_and(|&x| x >= 0.0);
        let log1p = can_log && skewness(&present) > 1.0;
        let mut cuts = Vec::new();
        if kind != NumKind::Flag && self.bins >= 2 && !present.is_empty() {
            let tr: Vec<f64> = present.iter().map(|&x| if log1p { x.ln_1p() } else { x }).collect();
            let lo = tr[0];
            let hi = tr[tr.len() - 1];
            let mut distinct = tr.clone();
            distinct.dedup();
            if distinct.len() >= 5 {
                for k in 1..self.bins {
                    let c = quantile_sorted(&tr, k as f64 / self.bins as f64);
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
        let part = Part::Numeric {
            kind,
            label,
            median,
            missing_flag,
            log1p,
            cuts,
            lo,
            hi,
        };
        let scores: Vec<f64> = rows
            .iter()
            .map(|&i| if v[i].is_nan() { median } else { v[i] })
            .collect();
        let auc = crate::metrics::roc_auc(&scores, labels).unwrap_or(0.5);
        (part, auc.max(1.0 - auc))
    }

    fn fit_levels(
        &self,
        kind: CatKind,
        label: String,
        vals: &Values,
        rows: &[usize],
        labels: &[bool],
    ) -> (Part, f64, Option<PureLevels>) {
        let Values { dict, codes } = vals;
        let mut counts = vec![0usize; dict.len()];
        let mut missing = 0usize;
        for &i in rows {
            match codes[i] {
                MISSING => missing += 1,
                c => counts[c as usize] += 1,
            }
        }
        let min_count = self
            .min_level_count
            .max((self.min_level_share * rows.len() as f64).ceil() as usize);
        let mut order: Vec<usize> = (0..dict.len()).filter(|&c| counts[c] > 0).collect();
        order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(dict[a].cmp(&dict[b])));
        let kept: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&c| counts[c] >= min_count)
            .take(self.max_levels)
            .collect();
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
        (
            Part::Levels {
                kind,
                label,
                levels,
                other,
                missing: missing > 0,
            },
            auc.max(1.0 - auc),
            pure,
        )
    }
}

impl FittedFeatures {
    /// The input columns the model reads.
    pub fn input_columns(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// The as-of date for scoring `table` when none is given: the latest date in its date
    /// columns (as in training), else the training as-of date.
    pub fn default_as_of(&self, table: &Table) -> Result<Option<i64>> {
        Ok(self.latest_date(table)?.or(self.as_of_day))
    }

    /// The latest date in `table`'s columns that the model reads as dates, if any.
    pub fn latest_date(&self, table: &Table) -> Result<Option<i64>> {
        latest_day(table, self.columns.iter().map(|c| (c.name.as_str(), c.role)))
    }

    /// Check that `table` has every input column; name all that are missing.
    pub fn check_schema(&self, table: &Table) -> Result<()> {
        let have = table.column_names();
        let missing: Vec<String> = self
            .columns
            .iter()
            .filter(|c| !have.contains(&c.name))
            .map(|c| c.name.clone())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::MissingModelColumns {
                path: table.path.clone(),
                missing,
            })
        }
    }

    /// Raw (unscaled) design columns, column-major, `n_rows * n_features`.
    fn raw_matrix(&self, table: &Table, as_of_day: Option<i64>) -> Result<Vec<f64>> {
        let n = table.height();
        let mut out = vec![0.0f64; n * self.features.len()];
        let mut j = 0usize;
        for fc in &self.columns {
            let col = table.column(&fc.name)?;
            for part in &fc.parts {
                let w = part.width();
                let block = &mut out[j * n..(j + w) * n];
                match part {
                    Part::Numeric { kind, .. } => {
                        let v = read_numbers(table, col, *kind, as_of_day)?;
                        fill_numeric(part, &v, None, block, n);
                    }
                    Part::Levels { kind, .. } => {
                        let vals = read_levels(table, col, *kind)?;
                        fill_levels(part, &vals, None, block, n);
                    }
                }
                j += w;
            }
        }
        Ok(out)
    }

    /// The standardised design matrix for every row of `table` (column-major, as the
    /// solver prefers). `as_of_day` anchors date columns; see [`Self::default_as_of`].
    pub fn transform(&self, table: &Table, as_of_day: Option<i64>) -> Result<Array2<f64>> {
        self.check_schema(table)?;
        let n = table.height();
        let mut raw = self.raw_matrix(table, as_of_day)?;
        for j in 0..self.features.len() {
            let (c, s) = (self.center[j], self.scale[j]);
            for x in &mut raw[j * n..(j + 1) * n] {
                *x = (*x - c) * s;
            }
        }
        Array2::from_shape_vec((n, self.features.len()).f(), raw)
            .map_err(|e| Error::Internal(format!("design matrix shape: {e}")))
    }
}

/// The cells of one part, read once during fitting.
enum Cells {
    Numbers(Vec<f64>),
    Levels(Values),
}

/// Write a numeric part's design columns from its cells (NaN = missing) for the table
/// rows `rows` (every row when `None`), `n` of them.
fn fill_numeric(part: &Part, v: &[f64], rows: Option<&[usize]>, block: &mut [f64], n: usize) {
    let mut row = vec![0.0f64; part.width()];
    for k in 0..n {
        part.numeric_values(v[rows.map_or(k, |r| r[k])], &mut row);
        for (c, &x) in row.iter().enumerate() {
            block[c * n + k] = x;
        }
    }
}

/// Write a level part's one-hot design columns from its level codes, for the table rows
/// `rows` (every row when `None`).
fn fill_levels(part: &Part, vals: &Values, rows: Option<&[usize]>, block: &mut [f64], n: usize) {
    let Values { dict, codes } = vals;
    // Each dictionary code's design column within the block.
    let slots: Vec<Option<usize>> = dict.iter().map(|d| part.level_slot(Some(d))).collect();
    let miss_slot = part.level_slot(None);
    for k in 0..n {
        let code = codes[rows.map_or(k, |r| r[k])];
        let s = if code == MISSING { miss_slot } else { slots[code as usize] };
        if let Some(s) = s {
            block[s * n + k] = 1.0;
        }
    }
}

/// `x.max(0.0).ln_1p()`, from a table for the small whole numbers that counts mostly are
/// (the same bits: the table holds `ln_1p` of each).
pub(crate) fn ln_1p_nonneg(x: f64) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| (0..4096).map(|k| (k as f64).ln_1p()).collect());
    let k = x as usize;
    // -0.0 keeps its sign through ln_1p: not from the table.
    if k as f64 == x && k < table.len() && x.is_sign_positive() {
        table[k]
    } else {
        x.max(0.0).ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_1p_table_gives_the_same_bits() {
        for x in [0.0, 1.0, 2.0, 17.0, 4095.0, 4096.0, 1e6, 0.5, -0.0, -3.0, 2.5] {
            assert_eq!(ln_1p_nonneg(x).to_bits(), x.max(0.0).ln_1p().to_bits(), "{x}");
        }
    }
}
