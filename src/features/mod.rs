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
mod cells;
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
mod numeric;
pub mod pair;
pub mod params;
pub mod part;
pub mod profile;
pub mod read;
pub mod screen;
pub mod title;

use ndarray::{Array2, ShapeBuilder};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Table;
use crate::error::{Error, Result};
pub use cells::ColumnCells;
use cells::{read_levels, read_numbers};
use column::{Cells, FittedCol};
pub use column::{FilledSplit, FittedColumn};
pub use format::{ColumnFormat, DateOrder, NumberFormat};
use infer::{infer_role, Inferred};
pub use kind::{CatKind, Kind, NumKind, PartSpec, Role};
pub use params::{
    BeyondRange, FeatureParams, FeatureSpec, Monotone, RareLevels, Resolution, ResolutionSetting, RoleChoice, MAX_BINS,
    MIN_KNOTS,
};
pub use part::{fmt_num, LevelPart, NumericPart, Part, PureLevels, SplinePart, PURE_RATE, PURE_SHARE_OF_WON};
use part::{LevelLimits, Values, MISSING};
pub use read::{numeric_cells, read_dates_as, text_cells};

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
    /// Columns filled in some rows and empty in others: how often for won and for lost
    /// leads on the training rows (a date or an amount set only once a deal closes
    /// gives the outcome away by being filled).
    pub filled: Vec<FilledSplit>,
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

    /// The limits on the levels a category keeps.
    fn level_limits(&self) -> LevelLimits {
        LevelLimits {
            max_levels: self.max_levels,
            min_level_share: self.min_level_share,
            min_level_count: self.min_level_count,
        }
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
            filled: None,
        };
        let limits = self.level_limits();
        for spec in kind_of(role).parts(name, format) {
            let (part, auc) = match spec {
                PartSpec::Numeric(kind, label) => {
                    let v = read_numbers(table, col, kind, as_of_day)?;
                    let r = monotone_resolution(self.resolution(), self.monotone.contains_key(name));
                    let (part, auc) = fit_number(kind, label, &v, rows, labels, r);
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
        fc.filled = match fc.cells.first() {
            Some(Cells::Numbers(v)) => Some(FilledSplit::count(name, rows, labels, |i| !v[i].is_nan())),
            Some(Cells::Levels(vals)) => {
                Some(FilledSplit::count(name, rows, labels, |i| vals.codes[i] != part::MISSING))
            }
            None => None,
        }
        .filter(FilledSplit::varies);
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
        // A monotone column must be a number or a date the model reads.
        for col in self.monotone.keys() {
            let bad = |m: String| Err(Error::usage("feature spec, [monotone]", m));
            match roles.iter().find(|(n, _, _)| n == col) {
                Some((_, Role::Number | Role::Date, _)) => {}
                Some((_, r, _)) => {
                    return bad(format!(
                        "column {col:?} is read as a {}: only numbers and dates can be monotone",
                        r.name()
                    ))
                }
                None => {
                    return bad(format!(
                        "column {col:?} is not among the columns trained on (check its name, --exclude and the \
                         spec's roles)"
                    ))
                }
            }
        }
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
            let mut verdicts = screen::screen(&fitted_cols, train_rows, train_labels, self.screen_z);
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
            report.filled.extend(fc.filled);
            cells.extend(fc.cells);
            columns.push(fc.column);
        }
        let level_floor = if self.shrink_rare { RARE_LEVEL_FLOOR } else { 0.0 };
        Ok(Prepared { columns, cells, as_of_day, report, clamp: self.clamp, level_floor })
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
        let prepared = self.prepare(table, train_rows, train_labels, out_rows)?;
        self.finish(&prepared, None, (train_rows, train_labels), out_rows, spare, profile)
    }

    /// The rest of [`Self::fit_transform_with_spare`] from columns already read and fitted
    /// ([`Self::prepare`], on the same rows), leaving `prepared` as it is for a second fit
    /// from the same cells ([`Self::refit_all`]): with `resolution`, the number parts
    /// fitted again at it first (as a prepare at that resolution would have fitted them:
    /// roles, levels and screening do not depend on it), then the design matrix and the
    /// profile.
    pub fn finish(
        &self,
        prepared: &Prepared,
        resolution: Option<Resolution>,
        (train_rows, train_labels): (&[usize], &[bool]),
        out_rows: &[usize],
        spare: usize,
        profile: bool,
    ) -> Result<(FittedFeatures, FitReport, Array2<f64>)> {
        let mut columns = prepared.columns.clone();
        if let Some(r) = resolution {
            refit_numbers(&mut columns, &prepared.cells, r, (train_rows, train_labels), &self.monotone)?;
        }
        prepared.design(columns, (train_rows, out_rows), spare, profile)
    }

    /// The final fit's features (issue 33): every part of the columns `prepared` decided
    /// (roles, screening, formats as they are) fitted again on `rows` with `labels`, at
    /// this params' resolution, from the cells already read; the standardised design of
    /// `rows` (in that order) with `spare` zero columns, and the reference profile.
    pub fn refit_all(
        &self,
        prepared: &Prepared,
        rows: &[usize],
        labels: &[bool],
        spare: usize,
    ) -> Result<(FittedFeatures, FitReport, Array2<f64>)> {
        let limits = self.level_limits();
        let resolution = self.resolution();
        // Each part, with the resolution of its column (steps for a monotone one).
        let parts: Vec<(&Part, Resolution)> = prepared
            .columns
            .iter()
            .flat_map(|c| {
                let r = monotone_resolution(resolution, self.monotone.contains_key(&c.name));
                c.parts.iter().map(move |p| (p, r))
            })
            .collect();
        if parts.len() != prepared.cells.len() {
            return Err(Error::Internal("refit_all: cells and parts differ in number".into()));
        }
        let refitted: Vec<Part> = parts
            .par_iter()
            .zip(prepared.cells.par_iter())
            .map(|(&(part, resolution), cell)| match (part, cell) {
                (Part::Levels(lp), Cells::Levels(vals)) => {
                    Part::Levels(LevelPart::fit(lp.kind, lp.label.clone(), vals, rows, labels, limits).part)
                }
                (p, Cells::Numbers(v)) => match p.numeric() {
                    Some(n) => fit_number(n.kind, n.label.clone(), v, rows, labels, resolution).0,
                    None => (*p).clone(),
                },
                (p, _) => p.clone(),
            })
            .collect();
        let mut columns = prepared.columns.clone();
        let mut refitted = refitted.into_iter();
        for part in columns.iter_mut().flat_map(|c| c.parts.iter_mut()) {
            if let Some(p) = refitted.next() {
                *part = p;
            }
        }
        prepared.design(columns, (rows, rows), spare, true)
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
        refit_numbers(&mut columns, &prepared.cells, r, (train_rows, train_labels), &self.monotone)?;
        set_clamp(&mut columns, prepared.clamp);
        Ok(assemble(
            columns,
            prepared.cells.as_slice().into(),
            (prepared.as_of_day, prepared.level_floor),
            train_rows,
            out_rows,
            0,
            None,
        )?
        .1)
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
    /// Whether the number parts read values beyond their training range as the edge.
    clamp: bool,
    /// The least standard deviation a level's indicator is divided by.
    level_floor: f64,
}

/// The least standard deviation a level's indicator is divided by when rare levels are
/// shrunk (the default): 0.5, a balanced 0/1 column's. Every indicator is then scaled by
/// 2, as if unstandardised beside numbers at two standard deviations (Gelman, "Scaling
/// regression inputs by dividing by two standard deviations", Statistics in Medicine,
/// 2008), so that the ridge's penalty on a level's log-odds grows as the level gets
/// rarer, where standardising scaled a rare level up and shrank it less.
pub const RARE_LEVEL_FLOOR: f64 = 0.5;

impl Prepared {
    /// The features of `columns` (this prepare's, their parts fitted on `train_rows`) and
    /// the standardised design of `out_rows` with `spare` zero columns; with `profile`,
    /// the report carries each part's reference bins.
    fn design(
        &self,
        columns: Vec<FittedColumn>,
        (train_rows, out_rows): (&[usize], &[usize]),
        spare: usize,
        profile: bool,
    ) -> Result<(FittedFeatures, FitReport, Array2<f64>)> {
        let mut report = self.report.clone();
        let mut columns = columns;
        set_clamp(&mut columns, self.clamp);
        let (fitted, x) = assemble(
            columns,
            self.cells.as_slice().into(),
            (self.as_of_day, self.level_floor),
            train_rows,
            out_rows,
            spare,
            profile.then_some(&mut report),
        )?;
        Ok((fitted, report, x))
    }
}

impl Prepared {
    /// The columns read, in the order of the model's input columns.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Each column's single-column ROC AUC on the training rows, in column order.
    pub fn single_column_auc(&self) -> Vec<f64> {
        self.columns
            .iter()
            .map(|c| self.report.single_column_auc.iter().find(|(n, _)| *n == c.name).map_or(0.5, |(_, a)| *a))
            .collect()
    }

    /// Column `column`'s first part's cells (the cells are in the order of the columns'
    /// parts).
    fn first_cells(&self, column: usize) -> &Cells {
        &self.cells[self.columns[..column].iter().map(|c| c.parts.len()).sum::<usize>()]
    }

    /// Each column's axis in a pair ([`pair::Axis`]), fitted on the training rows; `None`
    /// for a column that cannot pair.
    pub fn pair_axes(&self, train_rows: &[usize]) -> Vec<Option<pair::Axis>> {
        self.columns
            .iter()
            .enumerate()
            .map(|(k, c)| c.parts.first().and_then(|p| pair::Axis::fit(p, self.first_cells(k), train_rows)))
            .collect()
    }

    /// Each of `rows`' bins on column `column`'s axis.
    pub fn pair_bins(&self, column: usize, axis: &pair::Axis, rows: &[usize]) -> Vec<u16> {
        axis.bins_of(self.first_cells(column), rows)
    }
}

/// Whether the number parts of `columns` read values beyond their training range as the
/// edge (flags never: their 0 and 1 are the only values).
fn set_clamp(columns: &mut [FittedColumn], clamp: bool) {
    for part in columns.iter_mut().flat_map(|c| c.parts.iter_mut()) {
        match part {
            Part::Numeric(p) | Part::Spline(SplinePart { base: p, .. }) => p.clamp = clamp && p.kind != NumKind::Flag,
            Part::Levels(_) => {}
        }
    }
}

/// Every number part of `columns` fitted again at resolution `r` on the training rows,
/// on its cells (`cells`: each part's, in the order of the columns' parts).
fn refit_numbers(
    columns: &mut [FittedColumn],
    cells: &[Cells],
    r: Resolution,
    (train_rows, train_labels): (&[usize], &[bool]),
    monotone: &std::collections::BTreeMap<String, Monotone>,
) -> Result<()> {
    let mut cells = cells.iter();
    for c in columns.iter_mut() {
        let r = monotone_resolution(r, monotone.contains_key(&c.name));
        for part in c.parts.iter_mut() {
            let cell = cells.next().ok_or_else(|| Error::Internal("the cells and the parts differ".into()))?;
            if let (Some(n), Cells::Numbers(v)) = (part.numeric(), cell) {
                *part = fit_number(n.kind, n.label.clone(), v, train_rows, train_labels, r).0;
            }
        }
    }
    Ok(())
}

/// The resolution of a column: `r`, except that a monotone column bends by steps (a
/// spline's terms cannot be kept monotone by their signs): `r`'s steps, or 5 where `r`
/// is a spline.
fn monotone_resolution(r: Resolution, monotone: bool) -> Resolution {
    match (r, monotone) {
        (Resolution::Spline(_), true) => Resolution::Steps(5),
        _ => r,
    }
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
    (as_of_day, level_floor): (Option<i64>, f64),
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
    // A level's indicator is divided by its standard deviation, but by no less than
    // `level_floor`: a rare level is scaled up no more than a level of that standard
    // deviation, so the ridge shrinks it more (see [`FeatureParams::shrink_rare_levels`]).
    let is_level: Vec<bool> = fitted
        .columns
        .iter()
        .flat_map(|c| &c.parts)
        .flat_map(|p| std::iter::repeat_n(matches!(p, Part::Levels(_)), p.width()))
        .collect();
    let scaling: Vec<(f64, f64)> = raw[..width * nout]
        .par_chunks_mut(nout.max(1))
        .zip(is_level.par_iter())
        .map(|(col, &lvl)| {
            let mean = col[..m].iter().sum::<f64>() / m as f64;
            let var = col[..m].iter().map(|&x| (x - mean).powi(2)).sum::<f64>() / m as f64;
            let sd = if lvl { var.sqrt().max(level_floor) } else { var.sqrt() };
            let scale = if var > 1e-18 { 1.0 / sd } else { 0.0 };
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
    /// The sign constraints of the monotone columns (see [`Monotone`]): each one's value
    /// and step columns, by design column, with the sign their coefficients keep.
    /// [`FeatureParams::prepare`] refuses a monotone column that is not a number or a
    /// date, and such a column bends by steps: any other part here is an internal error.
    pub fn sign_constraints(
        &self,
        monotone: &std::collections::BTreeMap<String, Monotone>,
    ) -> Result<Vec<(usize, f64)>> {
        let mut out = Vec::new();
        let mut j = 0usize;
        for c in &self.columns {
            for part in &c.parts {
                if let Some(way) = monotone.get(&c.name) {
                    match part {
                        Part::Numeric(p) if p.kind != NumKind::Flag => {
                            out.push((j, way.sign()));
                            let steps = j + 1 + p.missing_flag as usize;
                            out.extend((steps..steps + p.cuts.len()).map(|k| (k, way.sign())));
                        }
                        _ => {
                            return Err(Error::Internal(format!(
                                "the monotone column {:?} has a part other than a number with steps",
                                c.name
                            )))
                        }
                    }
                }
                j += part.width();
            }
        }
        Ok(out)
    }

    /// Whether the model reads numbers and dates beyond the training range as the edge:
    /// any number part that does.
    pub fn clamps(&self) -> bool {
        self.columns.iter().flat_map(|c| &c.parts).filter_map(Part::numeric).any(|p| p.clamp)
    }

    /// Set whether the number parts read values beyond the training range as the edge
    /// (the model file keeps this beside the parts).
    pub fn set_clamp(&mut self, clamp: bool) {
        set_clamp(&mut self.columns, clamp);
    }

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
