//! Automatic feature engineering: from a raw CRM table to the model's design matrix.
//!
//! Sits between loading ([`crate::data`]) and fitting ([`crate::train`]). The flow follows
//! scikit-learn's: [`FeatureParams`] (what the analyst asked for) are validated, then
//! [`FeatureParams::fit`] gives every column a role ([`infer`], or the feature spec) and
//! routes it to that role's parts, which learn their statistics on the training rows only
//! (medians, levels, quantile cut points); then the scaling is fitted. The result,
//! [`FittedFeatures`], remembers its input schema and is saved inside the model file.
//!
//! This module only routes columns. What a role *is* lives in its own file, like a
//! transformer inside scikit-learn's `ColumnTransformer`: [`number`], [`flag`], [`date`],
//! [`category`], [`email`], [`title`], each a [`Kind`] saying which parts it builds and how
//! its reasons show a value, with its cell readers; the parts' encodings (fit, per-cell
//! values, feature names) are in [`part`]; cell text in [`cell`]; word tables in
//! [`keywords`]. Adding a role is a new file and a line in [`kind_of`] (and, when it reads
//! cells in a new way, a variant of [`NumKind`] or [`CatKind`]).
//!
//! Every design column is standardised with the training mean and standard deviation, so
//! that a coefficient times a lead's value is that feature's contribution to its log-odds.
//! The per-lead arithmetic built on this is [`crate::score::row`]; training's columnar
//! driver here encodes every cell with the same [`Part`] functions.

pub mod category;
mod column;
// The cell readers sit below the features (they are read by `data` too); their old
// paths stay valid.
pub use crate::{cell, format, keywords};
pub mod date;
pub mod email;
pub mod flag;
pub(crate) mod infer;
pub mod kind;
pub mod number;
pub mod part;
pub mod profile;
pub mod read;
pub mod screen;
pub mod title;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use ndarray::{Array2, ShapeBuilder};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Table;
use crate::error::{Error, Result};
use cell::{clean, Cell};
pub use column::FittedColumn;
use column::{Cells, FittedCol};
pub use format::{ColumnFormat, DateOrder, NumberFormat};
use infer::{infer_role, Inferred};
pub use kind::{CatKind, Kind, NumKind, PartSpec, Role};
pub use part::{fmt_num, LevelPart, NumericPart, Part, PureLevels, SplinePart, PURE_RATE, PURE_SHARE_OF_WON};
use part::{LevelLimits, Values, MISSING};
use read::{internal, is_temporal, row_no, temporal_days};
pub use read::{numeric_cells, read_dates_as, text_cells};

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
                return Err(format!("unknown role {other:?}; use number, flag, date, category, email, title or ignore"))
            }
        })
    }
}

/// How finely a number's effect may bend: steps at quantiles, or a natural cubic spline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Quantile groups (0 or 1: a straight line).
    Steps(usize),
    /// Knots of a natural cubic spline (3 to 7).
    Spline(usize),
}

impl Resolution {
    /// As `train --resolution` spells it: `steps:5`, `spline:4`.
    pub fn flag(&self) -> String {
        match self {
            Resolution::Steps(b) => format!("steps:{b}"),
            Resolution::Spline(k) => format!("spline:{k}"),
        }
    }
}

impl std::fmt::Display for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resolution::Steps(b) if *b < 2 => write!(f, "straight lines"),
            Resolution::Steps(b) => write!(f, "steps at {b} quantile groups"),
            Resolution::Spline(k) => write!(f, "splines with {k} knots"),
        }
    }
}

/// The optional feature spec file (TOML):
///
/// ```toml
/// max_levels = 30          # most one-hot levels kept per category column
/// min_level_share = 0.005  # a level rarer than this share of rows is pooled as "other"
/// bins = 5                 # quantile groups for the nonlinear steps of a number
/// knots = 5                # or: a natural cubic spline with this many knots (3 to 7)
/// [roles]
/// employees = "number"
/// zip_code = "category"
/// notes = "ignore"
/// [formats]
/// created = "dd-mm-yyyy"   # or mm/dd/yyyy, yyyy-mm-dd, excel (serial day numbers)
/// revenue = "1.234,5"      # or 1,234.5, 1234.5
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    pub max_levels: Option<usize>,
    pub min_level_share: Option<f64>,
    pub bins: Option<usize>,
    pub knots: Option<usize>,
    /// How a column writes its dates or numbers, where inference should not decide:
    /// `created = "dd-mm-yyyy"`, `revenue = "1.234,5"` ([`ColumnFormat`]).
    #[serde(default)]
    pub formats: BTreeMap<String, String>,
}

impl FeatureSpec {
    pub fn from_file(path: &Path) -> Result<FeatureSpec> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
        toml::from_str(&text)
            .map_err(|e: toml::de::Error| Error::malformed(path, format!("feature spec: {}", e.message())))
    }
}

/// What the analyst asks of the feature pipeline, before it has seen data.
#[derive(Debug, Clone)]
pub struct FeatureParams {
    label: String,
    id: Option<String>,
    exclude: Vec<String>,
    roles: BTreeMap<String, RoleChoice>,
    formats: BTreeMap<String, ColumnFormat>,
    date_order: Option<DateOrder>,
    screen: screen::Screen,
    /// Columns screening leaves alone (the activity log's aggregates: engineered here,
    /// not an export's properties).
    not_screened: Vec<String>,
    as_of: Option<NaiveDate>,
    max_levels: usize,
    min_level_share: f64,
    min_level_count: usize,
    bins: usize,
    /// Spline knots per number (0: steps of `bins` instead).
    knots: usize,
    /// The spec fixed `bins` or `knots`: training does not choose the resolution.
    resolution_given: bool,
}

impl FeatureParams {
    /// Params for a table whose outcome is in `label`.
    pub fn new(label: &str) -> Self {
        FeatureParams {
            label: label.to_string(),
            id: None,
            exclude: Vec::new(),
            roles: BTreeMap::new(),
            formats: BTreeMap::new(),
            date_order: None,
            screen: screen::Screen::Auto,
            not_screened: Vec::new(),
            as_of: None,
            max_levels: 30,
            min_level_share: 0.005,
            min_level_count: 5,
            bins: 5,
            knots: 0,
            resolution_given: false,
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

    /// Give `col` the role `role` unless the feature spec gave it one.
    pub fn default_role(mut self, col: &str, role: Role) -> Self {
        self.roles.entry(col.to_string()).or_insert(RoleChoice::Use(role));
        self
    }

    /// Whether `col` was excluded from the features by name.
    pub fn is_excluded(&self, col: &str) -> bool {
        self.exclude.iter().any(|e| e == col) || self.roles.get(col) == Some(&RoleChoice::Ignore)
    }

    /// The as-of date given, if any.
    pub fn given_as_of(&self) -> Option<NaiveDate> {
        self.as_of
    }

    /// Apply a feature spec: explicit roles and the limits below.
    pub fn spec(mut self, spec: &FeatureSpec) -> Result<Self> {
        for (col, role) in &spec.roles {
            let choice: RoleChoice =
                role.parse().map_err(|m: String| Error::usage(format!("feature spec, column {col:?}"), m))?;
            self.roles.insert(col.clone(), choice);
        }
        for (col, f) in &spec.formats {
            let format: ColumnFormat =
                f.parse().map_err(|m: String| Error::usage(format!("feature spec, [formats] {col:?}"), m))?;
            self = self.format(col, format)?;
        }
        if let Some(m) = spec.max_levels {
            self.max_levels = m;
        }
        if let Some(s) = spec.min_level_share {
            self.min_level_share = s;
        }
        if let Some(b) = spec.bins {
            self.bins = b;
            self.resolution_given = true;
        }
        if let Some(k) = spec.knots {
            if spec.bins.is_some() && k > 0 {
                return Err(Error::usage(
                    "feature spec",
                    "give bins (steps) or knots (a spline), not both".to_string(),
                ));
            }
            self.knots = k;
            self.resolution_given = true;
        }
        Ok(self)
    }

    /// Read `col` as written in `format` (which also makes it a date or number column).
    /// Default: inferred from the column's values. A role given for the column must fit.
    pub fn format(mut self, col: &str, format: ColumnFormat) -> Result<Self> {
        let implied = match format {
            ColumnFormat::Date(_) => Role::Date,
            ColumnFormat::Number(_) => Role::Number,
        };
        match self.roles.get(col) {
            Some(RoleChoice::Use(r)) if *r != implied => {
                return Err(Error::usage(
                    format!("format of column {col:?}"),
                    format!("a {} format was given for a column given the role {}", implied.name(), r.name()),
                ))
            }
            _ => {}
        }
        self.formats.insert(col.to_string(), format);
        Ok(self)
    }

    /// The order of every date column written day-first or month-first (`dd-mm-yyyy`
    /// or `mm/dd/yyyy`) whose order is not given per column. Default: inferred from
    /// each column's values (a day above 12), day-first for `.` and `-`.
    pub fn date_order(mut self, order: Option<DateOrder>) -> Self {
        self.date_order = order;
        self
    }

    /// Whether columns without signal are left out before the fit ([`screen`]).
    /// Default: `Auto`, screening tables of more than [`screen::AUTO_MIN_COLUMNS`]
    /// candidate columns.
    pub fn screen(mut self, screen: screen::Screen) -> Self {
        self.screen = screen;
        self
    }

    /// Leave `col` out of screening: always fitted, and not counted towards `Auto`'s
    /// column count. Default: none (train adds the activity-log aggregates).
    pub fn never_screen(mut self, col: &str) -> Self {
        self.not_screened.push(col.to_string());
        self
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

    /// A natural cubic spline with `n` knots (3 to 7) for each number and date instead
    /// of steps; 0 keeps the steps. Default: 0.
    pub fn knots(mut self, n: usize) -> Self {
        self.knots = n;
        self
    }

    /// The resolution of numbers: (steps' bins, spline knots).
    pub fn resolution(&self) -> Resolution {
        if self.knots >= 3 {
            Resolution::Spline(self.knots)
        } else {
            Resolution::Steps(self.bins)
        }
    }

    /// Use `r` for every number and date.
    pub fn with_resolution(mut self, r: Resolution) -> Self {
        match r {
            Resolution::Steps(b) => {
                self.bins = b;
                self.knots = 0;
            }
            Resolution::Spline(k) => self.knots = k,
        }
        self
    }

    /// Fix the resolution of numbers to `r`: training does not choose it.
    pub fn fixed_resolution(self, r: Resolution) -> Self {
        let mut s = self.with_resolution(r);
        s.resolution_given = true;
        s
    }

    /// Let training choose the resolution after all (`train --resolution auto`).
    pub fn unfix_resolution(mut self) -> Self {
        self.resolution_given = false;
        self
    }

    /// Whether the feature spec fixed the resolution (`bins` or `knots`).
    pub fn resolution_given(&self) -> bool {
        self.resolution_given
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
        if self.knots != 0 && !(3..=part::MAX_KNOTS).contains(&self.knots) {
            return Err(Error::usage("knots", format!("must be 0 (steps) or 3 to 7, got {}", self.knots)));
        }
        Ok(())
    }
}

/// The registry: each role's [`Kind`].
pub fn kind_of(role: Role) -> &'static dyn Kind {
    match role {
        Role::Number => &number::Number,
        Role::Flag => &flag::Flag,
        Role::Date => &date::Date,
        Role::Category => &category::Category,
        Role::Email => &email::Email,
        Role::Title => &title::Title,
    }
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
    /// Columns left out by screening ([`screen`]), with the numbers behind each.
    pub screened: Vec<Skipped>,
    /// Whether screening ran.
    pub screening: bool,
    /// Each part's reference bins on the training rows, for `monitor` (when asked for).
    pub profile: Vec<profile::PartProfile>,
}

/// Days (from the common era) of a column the user named as a date column (a split or
/// cut-off column), in the order its values show ([`infer::date_format`]).
pub(crate) fn read_dates(table: &Table, col: &Column) -> Result<Vec<Option<i64>>> {
    let order = match infer::format_for(table, col, Role::Date, None)? {
        Some(ColumnFormat::Date(o)) => o,
        _ => None,
    };
    read_dates_as(table, col, order)
}

/// A column's cells as the row scorer reads them: typed where the column is typed and
/// its role reads numbers (as training read it), else the text; and always the text,
/// for the reasons.
pub struct ColumnCells {
    typed: Option<Typed>,
    pub text: StringChunked,
}

enum Typed {
    Numbers(Vec<f64>),
    Bools(Vec<Option<bool>>),
    Days(Vec<Option<i64>>),
}

impl ColumnCells {
    /// Read `column` of `table` for the model column `fc`.
    pub fn read(table: &Table, fc: &FittedColumn) -> Result<ColumnCells> {
        Self::read_with(table, fc, true)
    }

    /// [`Self::read`] without the text of a typed column: for counting values, where no
    /// reason is written (`monitor`).
    pub fn read_values(table: &Table, fc: &FittedColumn) -> Result<ColumnCells> {
        Self::read_with(table, fc, false)
    }

    fn read_with(table: &Table, fc: &FittedColumn, always_text: bool) -> Result<ColumnCells> {
        let col = table.column(&fc.name)?;
        let dt = col.dtype();
        let typed = match fc.role {
            Role::Number if dt.is_primitive_numeric() => Some(Typed::Numbers(numeric_cells(table, col)?)),
            Role::Flag if dt == &DataType::Boolean => {
                Some(Typed::Bools(col.bool().map_err(|e| internal(table, e))?.iter().collect()))
            }
            Role::Date if is_temporal(dt) => Some(Typed::Days(temporal_days(table, col)?)),
            _ => None,
        };
        let text = if always_text || typed.is_none() { text_cells(table, col)? } else { StringChunked::default() };
        Ok(ColumnCells { typed, text })
    }

    /// Every row's cell (`text` holds the text column's values, from [`Self::texts`]).
    pub fn cell<'a>(&self, texts: &[Option<&'a str>], i: usize) -> Cell<'a> {
        match &self.typed {
            Some(Typed::Numbers(v)) if v[i].is_nan() => Cell::Missing,
            Some(Typed::Numbers(v)) => Cell::Number(v[i]),
            Some(Typed::Bools(v)) => v[i].map_or(Cell::Missing, Cell::Bool),
            Some(Typed::Days(v)) => v[i].map_or(Cell::Missing, Cell::Day),
            None => Cell::text(texts[i]),
        }
    }

    /// The text of every row.
    pub fn texts(&self) -> Vec<Option<&str>> {
        self.text.iter().collect()
    }
}

/// A number part's cells (NaN: missing), read by its kind.
fn read_numbers(table: &Table, col: &Column, kind: NumKind, as_of_day: Option<i64>) -> Result<Vec<f64>> {
    let dt = col.dtype();
    match kind {
        NumKind::Number if dt.is_primitive_numeric() => numeric_cells(table, col),
        NumKind::Flag if dt == &DataType::Boolean => {
            let ca = col.bool().map_err(|e| internal(table, e))?;
            Ok(ca.iter().map(|v| v.map(|b| b as u8 as f64).unwrap_or(f64::NAN)).collect())
        }
        NumKind::DaysBefore | NumKind::LocalDaysBefore(_) => {
            let as_of = as_of_day.unwrap_or(0);
            Ok(read_dates_as(table, col, kind.date_order().flatten())?
                .into_iter()
                .map(|d| d.map(|d| (as_of - d) as f64).unwrap_or(f64::NAN))
                .collect())
        }
        _ => {
            let ca = text_cells(table, col)?;
            let mut out = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                let c = Cell::text(v);
                match kind.value(c, 0) {
                    Ok(x) => out.push(x),
                    Err(p) => return Err(p.at(&table.path, col.name(), row_no(i), clean(v).unwrap_or(""))),
                }
            }
            Ok(out)
        }
    }
}

/// A level part's cells as codes into a dictionary of levels, read by its kind.
fn read_levels(table: &Table, col: &Column, kind: CatKind) -> Result<Values> {
    let ca = text_cells(table, col)?;
    let mut dict: Vec<String> = Vec::new();
    let mut index: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
    // Cache by raw cell text so each distinct title or category value is read once.
    let mut raw_cache: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    let mut codes = Vec::with_capacity(ca.len());
    let cacheable = kind.cacheable();
    for v in ca.iter() {
        match clean(v) {
            None => codes.push(MISSING),
            Some(s) => {
                if let Some(&c) = raw_cache.get(s).filter(|_| cacheable) {
                    codes.push(c);
                    continue;
                }
                let level = kind.level(s).into_owned();
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

/// The latest date in the named date columns of the table, each written in its order
/// (days from the common era).
pub(crate) fn latest_day<'a>(
    table: &Table,
    cols: impl IntoIterator<Item = (&'a str, Option<DateOrder>)>,
) -> Result<Option<i64>> {
    let mut best: Option<i64> = None;
    for (name, order) in cols {
        let col = table.column(name)?;
        for d in read_dates_as(table, col, order)?.into_iter().flatten() {
            best = Some(best.map_or(d, |b: i64| b.max(d)));
        }
    }
    Ok(best)
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
        self.fit_transform_with_spare(table, train_rows, train_labels, out_rows, 0, false)
    }

    /// The columns that may be features: not the label, the id, excluded or ignored.
    fn candidates<'t>(&self, table: &'t Table) -> Vec<&'t Column> {
        table
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
            .collect()
    }

    /// Every candidate column's role (given, or inferred in parallel), taken in column
    /// order so that the first error in column order is the one reported.
    fn roles(&self, table: &Table, report: &mut FitReport) -> Result<Vec<(String, Role, Option<ColumnFormat>)>> {
        let candidates = self.candidates(table);
        let inferred: Vec<Result<Inferred>> = candidates
            .par_iter()
            .map(|col| {
                let name = col.name().as_str();
                match (self.roles.get(name), self.formats.get(name)) {
                    (_, Some(f @ ColumnFormat::Date(_))) => Ok(Inferred::Role(Role::Date, Some(*f))),
                    (_, Some(f @ ColumnFormat::Number(_))) => Ok(Inferred::Role(Role::Number, Some(*f))),
                    (Some(RoleChoice::Use(r)), None) => {
                        Ok(Inferred::Role(*r, infer::format_for(table, col, *r, self.date_order)?))
                    }
                    _ => infer_role(table, col, self.date_order),
                }
            })
            .collect();
        let mut roles: Vec<(String, Role, Option<ColumnFormat>)> = Vec::new();
        for (col, inf) in candidates.iter().zip(inferred) {
            let name = col.name().to_string();
            match inf? {
                Inferred::Role(r, f) => roles.push((name, r, f)),
                Inferred::Skip(reason) => report.skipped.push(Skipped { column: name, reason }),
            }
        }
        if roles.is_empty() {
            let detail = if report.skipped.is_empty() {
                "every column is the label, the id or excluded".to_string()
            } else {
                report.skipped.iter().map(|s| format!("{} ({})", s.column, s.reason)).collect::<Vec<_>>().join("; ")
            };
            return Err(Error::NoFeatures { path: table.path.clone(), detail });
        }
        Ok(roles)
    }

    /// One column's parts, fitted on the training rows, with the cells read for them.
    fn fit_column(
        &self,
        table: &Table,
        (name, role, format): (&str, Role, Option<ColumnFormat>),
        as_of_day: Option<i64>,
        rows: &[usize],
        labels: &[bool],
    ) -> Result<FittedCol> {
        let col = table.column(name)?;
        let mut fc = FittedCol {
            column: FittedColumn { name: name.to_string(), role, parts: Vec::new() },
            cells: Vec::new(),
            auc: 0.5,
            pure: Vec::new(),
        };
        let limits = LevelLimits {
            max_levels: self.max_levels,
            min_level_share: self.min_level_share,
            min_level_count: self.min_level_count,
        };
        for spec in kind_of(role).parts(name, format) {
            let (part, auc) = match spec {
                PartSpec::Numeric(kind, label) => {
                    let v = read_numbers(table, col, kind, as_of_day)?;
                    let (part, auc) = fit_number(kind, label, &v, rows, labels, self.resolution());
                    fc.cells.push(Cells::Numbers(v));
                    (part, auc)
                }
                PartSpec::Levels(kind, label) => {
                    let vals = read_levels(table, col, kind)?;
                    let lf = LevelPart::fit(kind, label, &vals, rows, labels, limits);
                    if let Some(mut pure) = lf.pure {
                        pure.column = name.to_string();
                        fc.pure.push(pure);
                    }
                    fc.cells.push(Cells::Levels(vals));
                    (Part::Levels(lf.part), lf.auc)
                }
            };
            fc.auc = fc.auc.max(auc);
            fc.column.parts.push(part);
        }
        Ok(fc)
    }

    /// Decide the roles, read the cells, fit the parts on the training rows and screen
    /// wide exports: everything before the design matrix of `out_rows`.
    pub fn prepare(
        &self,
        table: &Table,
        train_rows: &[usize],
        train_labels: &[bool],
        out_rows: &[usize],
    ) -> Result<Prepared> {
        self.check()?;
        if out_rows.get(..train_rows.len()) != Some(train_rows) {
            return Err(Error::Internal("fit_transform: the output rows must begin with the training rows".into()));
        }
        let mut report = FitReport::default();
        for ex in self.exclude.iter().chain(self.id.iter()) {
            table.column(ex)?;
        }
        for col in self.roles.keys() {
            table.column(col)?;
        }
        // 1. Roles.
        let roles = self.roles(table, &mut report)?;
        // 2. The as-of date.
        let as_of_day = match self.as_of {
            Some(d) => Some(cell::day_number(d)),
            None => latest_day(
                table,
                roles.iter().filter(|(_, r, _)| *r == Role::Date).map(|(n, _, f)| {
                    let order = match f {
                        Some(ColumnFormat::Date(o)) => *o,
                        _ => None,
                    };
                    (n.as_str(), order)
                }),
            )?,
        };
        // 3. Parts, fitted on the training rows: the columns in parallel, the results
        // (and their errors and report lines) taken in column order.
        let fitted_cols: Vec<Result<FittedCol>> = roles
            .par_iter()
            .map(|(name, role, f)| self.fit_column(table, (name, *role, *f), as_of_day, train_rows, train_labels))
            .collect();
        let mut fitted_cols = fitted_cols.into_iter().collect::<Result<Vec<FittedCol>>>()?;
        // 4. Screening of wide exports, on the training rows.
        let screening = match self.screen {
            screen::Screen::On => true,
            screen::Screen::Off => false,
            screen::Screen::Auto => {
                let export_columns = fitted_cols.iter().filter(|c| !self.not_screened.contains(&c.column.name)).count();
                export_columns > screen::AUTO_MIN_COLUMNS
            }
        };
        if screening {
            report.screening = true;
            let mut verdicts = screen::screen(&fitted_cols, train_rows, train_labels);
            for (fc, v) in fitted_cols.iter().zip(verdicts.iter_mut()) {
                if self.not_screened.contains(&fc.column.name) {
                    *v = None;
                }
            }
            if verdicts.iter().all(Option::is_some) {
                return Err(Error::NoFeatures {
                    path: table.path.clone(),
                    detail: format!(
                        "screening left out all {} columns: none predicts the outcome on the training rows \
                         (give --screen off to fit them anyway)",
                        fitted_cols.len()
                    ),
                });
            }
            let mut kept = Vec::with_capacity(fitted_cols.len());
            for (fc, verdict) in fitted_cols.into_iter().zip(verdicts) {
                match verdict {
                    None => kept.push(fc),
                    Some(reason) => report.screened.push(Skipped { column: fc.column.name.clone(), reason }),
                }
            }
            fitted_cols = kept;
        }
        let mut columns = Vec::new();
        let mut cells: Vec<Cells> = Vec::new();
        for fc in fitted_cols {
            report.single_column_auc.push((fc.column.name.clone(), fc.auc));
            report.pure_levels.extend(fc.pure);
            cells.extend(fc.cells);
            columns.push(fc.column);
        }
        Ok(Prepared { columns, cells, as_of_day, report })
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
        profile: bool,
    ) -> Result<(FittedFeatures, FitReport, Array2<f64>)> {
        let Prepared { columns, cells, as_of_day, mut report } =
            self.prepare(table, train_rows, train_labels, out_rows)?;
        let profile = profile.then_some(&mut report);
        let (fitted, x) = assemble(columns, cells.into(), as_of_day, train_rows, out_rows, spare, profile)?;
        Ok((fitted, report, x))
    }

    /// The standardised design matrix of `out_rows` (which begin with `train_rows`) with
    /// numbers and dates at resolution `r`, from columns already read and fitted
    /// ([`Self::prepare`]): only the number parts are fitted again. For the resolution
    /// choice ([`crate::resolution`]), which compares resolutions on the same columns
    /// (their roles, levels and screening as decided once).
    pub fn design_at(
        &self,
        prepared: &Prepared,
        r: Resolution,
        train_rows: &[usize],
        train_labels: &[bool],
        out_rows: &[usize],
    ) -> Result<Array2<f64>> {
        let mut columns = prepared.columns.clone();
        let mut cells = prepared.cells.iter();
        for part in columns.iter_mut().flat_map(|c| c.parts.iter_mut()) {
            let cell = cells.next().ok_or_else(|| Error::Internal("design_at: cells and parts differ".into()))?;
            if let (Some(n), Cells::Numbers(v)) = (part.numeric(), cell) {
                *part = fit_number(n.kind, n.label.clone(), v, train_rows, train_labels, r).0;
            }
        }
        Ok(assemble(columns, prepared.cells.as_slice().into(), prepared.as_of_day, train_rows, out_rows, 0, None)?.1)
    }
}

/// A feature fit up to its design matrix: the columns' roles decided, their cells read,
/// their parts fitted on the training rows, wide exports screened.
pub struct Prepared {
    columns: Vec<FittedColumn>,
    /// Each part's cells, in the order of the columns' parts.
    cells: Vec<Cells>,
    as_of_day: Option<i64>,
    report: FitReport,
}

/// A number part at resolution `r`, fitted on the training rows, and its single-column
/// ROC AUC.
fn fit_number(kind: NumKind, label: String, v: &[f64], rows: &[usize], labels: &[bool], r: Resolution) -> (Part, f64) {
    match r {
        Resolution::Spline(knots) => SplinePart::fit(kind, label, v, rows, labels, knots),
        Resolution::Steps(bins) => {
            let (p, auc) = NumericPart::fit(kind, label, v, rows, labels, bins);
            (Part::Numeric(p), auc)
        }
    }
}

/// The fitted features and the standardised design matrix of `out_rows` (rows in that
/// order, the training rows first), column-major with `spare` zero columns after the
/// design; with `profile`, each part's reference bins for `monitor` go in that report.
fn assemble(
    columns: Vec<FittedColumn>,
    cells: std::borrow::Cow<'_, [Cells]>,
    as_of_day: Option<i64>,
    train_rows: &[usize],
    out_rows: &[usize],
    spare: usize,
    profile: Option<&mut FitReport>,
) -> Result<(FittedFeatures, Array2<f64>)> {
    let nout = out_rows.len();
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
    // 5. The raw design matrix, allocated once, column-major, rows in `out_rows`
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
        .for_each(|((block, part), cell)| fill_block(part, cell, Some(out_rows), block, nout));
    if let Some(report) = profile {
        // The reference bins for `monitor`, from the values just read (the training
        // rows are the first rows of `out_rows`).
        let labels: Vec<(String, &Part)> =
            fitted.columns.iter().flat_map(|c| c.parts.iter().map(move |p| (c.name.clone(), p))).collect();
        report.profile = labels
            .par_iter()
            .zip(cells.par_iter())
            .map(|((column, part), cell)| {
                let parts = fitted.columns.iter().find(|c| &c.name == column).map_or(1, |c| c.parts.len());
                let reference = match (part, cell) {
                    (_, Cells::Numbers(v)) => {
                        profile::Reference::of_numbers(train_rows.iter().map(|&i| v[i]).collect())
                    }
                    (Part::Levels(p), Cells::Levels(Values { dict, codes })) => {
                        let mut counts = vec![0u64; dict.len()];
                        let mut missing = 0u64;
                        for &i in train_rows {
                            match codes[i] {
                                MISSING => missing += 1,
                                c => counts[c as usize] += 1,
                            }
                        }
                        profile::Reference::of_levels(
                            &p.levels,
                            dict.iter().cloned().zip(counts).filter(|(_, n)| *n > 0).collect(),
                            missing,
                        )
                    }
                    (Part::Numeric(_) | Part::Spline(_), Cells::Levels(_)) => {
                        profile::Reference::of_numbers(Vec::new())
                    }
                };
                profile::PartProfile {
                    column: column.clone(),
                    label: profile::part_label(column, part, parts),
                    reference,
                }
            })
            .collect();
    }
    drop(cells);
    // 6. Scaling, from the training rows (the first rows), applied to every row; the
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
    Ok((fitted, x))
}

impl FittedFeatures {
    /// The input columns the model reads.
    pub fn input_columns(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// The latest date in `table`'s columns that the model reads as dates, if any.
    pub fn latest_date(&self, table: &Table) -> Result<Option<i64>> {
        latest_day(
            table,
            self.columns.iter().flat_map(|c| {
                c.parts.iter().filter_map(|p| p.numeric()?.kind.date_order().map(|o| (c.name.as_str(), o)))
            }),
        )
    }

    /// Check that `table` has every input column; name all that are missing.
    pub fn check_schema(&self, table: &Table) -> Result<()> {
        let have = table.column_names();
        let missing: Vec<String> =
            self.columns.iter().filter(|c| !have.contains(&c.name)).map(|c| c.name.clone()).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::MissingModelColumns { path: table.path.clone(), missing })
        }
    }

    /// The standardised design matrix for every row of `table` (column-major, as the
    /// solver prefers), by training's columnar driver. `as_of_day` anchors date columns.
    /// Scoring goes through [`crate::score::row`], which gives the same values (tested).
    pub fn transform(&self, table: &Table, as_of_day: Option<i64>) -> Result<Array2<f64>> {
        self.check_schema(table)?;
        let n = table.height();
        let mut raw = vec![0.0f64; n * self.features.len()];
        let mut j = 0usize;
        for fc in &self.columns {
            let col = table.column(&fc.name)?;
            for part in &fc.parts {
                let w = part.width();
                let cells = match part {
                    Part::Numeric(p) | Part::Spline(SplinePart { base: p, .. }) => {
                        Cells::Numbers(read_numbers(table, col, p.kind, as_of_day)?)
                    }
                    Part::Levels(p) => Cells::Levels(read_levels(table, col, p.kind)?),
                };
                fill_block(part, &cells, None, &mut raw[j * n..(j + w) * n], n);
                j += w;
            }
        }
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

/// Write a part's design columns (column-major block of `n` rows) from its cells, for the
/// table rows `rows` (every row when `None`), with the part's per-cell encoding.
fn fill_block(part: &Part, cells: &Cells, rows: Option<&[usize]>, block: &mut [f64], n: usize) {
    let mut row = vec![0.0f64; part.width()];
    match (part, cells) {
        (Part::Numeric(_) | Part::Spline(_), Cells::Numbers(v)) => {
            for k in 0..n {
                part.number_values(v[rows.map_or(k, |r| r[k])], &mut row);
                for (c, &x) in row.iter().enumerate() {
                    block[c * n + k] = x;
                }
            }
        }
        (Part::Levels(p), Cells::Levels(Values { dict, codes })) => {
            // Each dictionary code's design column within the block.
            let slots: Vec<Option<usize>> = dict.iter().map(|d| p.slot(Some(d))).collect();
            let miss_slot = p.slot(None);
            for k in 0..n {
                let code = codes[rows.map_or(k, |r| r[k])];
                let s = if code == MISSING { miss_slot } else { slots[code as usize] };
                if let Some(s) = s {
                    block[s * n + k] = 1.0;
                }
            }
        }
        // Parts and cells are built together: a number part always has numbers.
        _ => {}
    }
}
