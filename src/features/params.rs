//! What the analyst asks of the feature pipeline before it has seen data: the feature
//! spec file, the roles and formats given by hand, the limits on levels and how finely
//! numbers may bend ([`FeatureParams`], with its setters and their defaults, and the
//! check that they fit together).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::kind::Role;
use super::part::MAX_KNOTS;
use super::screen::Screen;
use crate::error::{Error, Result};
use crate::format::{ColumnFormat, DateOrder};

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

/// The most quantile groups a number may be cut into.
pub const MAX_BINS: usize = 20;
/// The fewest knots a natural cubic spline has.
pub const MIN_KNOTS: usize = 3;

/// `train --resolution`: chosen by cross-validation (`auto`), or fixed (`steps:N`,
/// `spline:K`), within the limits the feature spec has too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolutionSetting {
    Auto,
    Fixed(Resolution),
}

impl std::str::FromStr for ResolutionSetting {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        let (kind, n) = match s.split_once(':') {
            Some((k, n)) => {
                (k.to_string(), Some(n.trim().parse::<usize>().map_err(|_| format!("{n:?} is not a whole number"))?))
            }
            None => (s.clone(), None),
        };
        match (kind.as_str(), n) {
            ("auto", None) => Ok(ResolutionSetting::Auto),
            ("steps", n) => {
                let n = n.unwrap_or(5);
                if n > MAX_BINS {
                    return Err(format!("steps:{n}: at most {MAX_BINS} quantile groups"));
                }
                Ok(ResolutionSetting::Fixed(Resolution::Steps(n)))
            }
            ("spline" | "splines", k) => {
                let k = k.unwrap_or(4);
                if !(MIN_KNOTS..=MAX_KNOTS).contains(&k) {
                    return Err(format!("spline:{k}: a spline has {MIN_KNOTS} to {MAX_KNOTS} knots"));
                }
                Ok(ResolutionSetting::Fixed(Resolution::Spline(k)))
            }
            _ => Err(format!("{s:?}: use auto, steps:N or spline:K")),
        }
    }
}

/// `train --beyond-range`: how a number or date beyond what training saw is read.
/// `Edge` (the default since issue 36) reads it as the nearest edge of the training
/// range, as binned and tree models do; `Extend` scores it on the line the fit ends on
/// (every model trained before issue 36, whose files do not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BeyondRange {
    Edge,
    #[default]
    Extend,
}

impl std::str::FromStr for BeyondRange {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "edge" => Ok(BeyondRange::Edge),
            "extend" => Ok(BeyondRange::Extend),
            other => Err(format!("{other:?}: use edge or extend")),
        }
    }
}

impl std::fmt::Display for BeyondRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BeyondRange::Edge => "edge",
            BeyondRange::Extend => "extend",
        })
    }
}

/// `train --rare-levels`: how the ridge treats a rare level's indicator. `Shrink` (the
/// default since issue 36) divides no indicator by less than a balanced 0/1 column's
/// standard deviation, so rarer levels are shrunk more; `Standardise` divides each by its
/// own (every model trained before issue 36, whose files do not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RareLevels {
    Shrink,
    #[default]
    Standardise,
}

impl std::str::FromStr for RareLevels {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shrink" => Ok(RareLevels::Shrink),
            "standardise" | "standardize" => Ok(RareLevels::Standardise),
            other => Err(format!("{other:?}: use shrink or standardise")),
        }
    }
}

impl std::fmt::Display for RareLevels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RareLevels::Shrink => "shrink",
            RareLevels::Standardise => "standardise",
        })
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
/// [monotone]               # a number's or date's effect never bends the other way
/// pricing_page_views = "up"
/// last_activity_date = "down"  # a date: in its days before the as-of date
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
    /// Columns whose effect may only rise (`"up"`) or only fall (`"down"`) with their value
    /// (a date's value: its days before the as-of date): see [`Monotone`].
    #[serde(default)]
    pub monotone: BTreeMap<String, String>,
}

/// Which way a monotone column's effect goes as its value grows (issue 36): its shape is
/// the value and steps at quantiles (never a spline), fitted with every one of their
/// coefficients on this side of 0, so one more pricing-page visit never lowers a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monotone {
    Up,
    Down,
}

impl Monotone {
    /// The sign its coefficients keep.
    pub fn sign(self) -> f64 {
        match self {
            Monotone::Up => 1.0,
            Monotone::Down => -1.0,
        }
    }
}

impl std::str::FromStr for Monotone {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "up" | "increasing" => Ok(Monotone::Up),
            "down" | "decreasing" => Ok(Monotone::Down),
            other => Err(format!("{other:?}: use up or down")),
        }
    }
}

impl FeatureSpec {
    pub fn from_file(path: &Path) -> Result<FeatureSpec> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
        Self::from_text(&text, path)
    }

    /// A spec from its text (`path` names it in errors): a file's, or the text a model
    /// kept of the spec it was trained with.
    pub fn from_text(text: &str, path: &Path) -> Result<FeatureSpec> {
        toml::from_str(text)
            .map_err(|e: toml::de::Error| Error::malformed(path, format!("feature spec: {}", e.message())))
    }
}

/// What the analyst asks of the feature pipeline, before it has seen data.
#[derive(Debug, Clone)]
pub struct FeatureParams {
    pub(crate) label: String,
    pub(crate) id: Option<String>,
    pub(crate) exclude: Vec<String>,
    pub(crate) roles: BTreeMap<String, RoleChoice>,
    pub(crate) formats: BTreeMap<String, ColumnFormat>,
    pub(crate) date_order: Option<DateOrder>,
    pub(crate) screen: Screen,
    /// A fixed screening bar in standard errors (`None`: from the width, [`super::screen::bar`]).
    pub(crate) screen_z: Option<f64>,
    /// Columns screening leaves alone (the activity log's aggregates: engineered here,
    /// not an export's properties).
    pub(crate) not_screened: Vec<String>,
    pub(crate) as_of: Option<NaiveDate>,
    pub(crate) max_levels: usize,
    pub(crate) min_level_share: f64,
    pub(crate) min_level_count: usize,
    pub(crate) bins: usize,
    /// Spline knots per number (0: steps of `bins` instead).
    pub(crate) knots: usize,
    /// The spec fixed `bins` or `knots`: training does not choose the resolution.
    pub(crate) resolution_given: bool,
    /// Numbers and dates beyond the training range read as the edge (`--beyond-range
    /// edge`, the default), else on the line the fit ends on (`extend`, as before issue 36).
    pub(crate) clamp: bool,
    /// Rare levels shrunk more (`--rare-levels shrink`, the default): see
    /// [`super::RARE_LEVEL_FLOOR`].
    pub(crate) shrink_rare: bool,
    /// Monotone columns (the spec's `[monotone]`).
    pub(crate) monotone: BTreeMap<String, Monotone>,
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
            screen: Screen::Auto,
            screen_z: None,
            not_screened: Vec::new(),
            as_of: None,
            max_levels: 30,
            min_level_share: 0.005,
            min_level_count: 5,
            bins: 5,
            knots: 0,
            resolution_given: false,
            clamp: true,
            shrink_rare: true,
            monotone: BTreeMap::new(),
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
        for (col, way) in &spec.monotone {
            let way: Monotone =
                way.parse().map_err(|m: String| Error::usage(format!("feature spec, [monotone] {col:?}"), m))?;
            self.monotone.insert(col.clone(), way);
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
    /// Default: `Auto`, screening tables of more than [`crate::features::screen::AUTO_MIN_COLUMNS`]
    /// candidate columns.
    pub fn screen(mut self, screen: Screen) -> Self {
        self.screen = screen;
        self
    }

    /// A fixed screening bar, in standard errors of an AUC without signal. Default: set
    /// from the number of columns measured, so that half a noise column gets through on
    /// average ([`super::screen::bar`]).
    pub fn screen_bar(mut self, z: Option<f64>) -> Self {
        self.screen_z = z;
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

    /// Whether a number or date beyond the training range reads as the range's edge
    /// (default: yes) or extends the fitted line (`train --beyond-range extend`).
    pub fn clamp_beyond_range(mut self, clamp: bool) -> Self {
        self.clamp = clamp;
        self
    }

    /// Whether a rare level's indicator is shrunk more than a common one's (default: yes;
    /// `train --rare-levels standardise`: every indicator standardised, as before issue 36).
    pub fn shrink_rare_levels(mut self, shrink: bool) -> Self {
        self.shrink_rare = shrink;
        self
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

    pub(crate) fn check(&self) -> Result<()> {
        if self.max_levels == 0 || self.max_levels > 1000 {
            return Err(Error::usage("max_levels", format!("must be 1 to 1000, got {}", self.max_levels)));
        }
        if !(0.0..0.5).contains(&self.min_level_share) {
            return Err(Error::usage(
                "min_level_share",
                format!("must be at least 0 and below 0.5, got {}", self.min_level_share),
            ));
        }
        if self.bins > MAX_BINS {
            return Err(Error::usage("bins", format!("must be 0 to {MAX_BINS}, got {}", self.bins)));
        }
        if self.knots != 0 && !(MIN_KNOTS..=MAX_KNOTS).contains(&self.knots) {
            return Err(Error::usage(
                "knots",
                format!("must be 0 (steps) or {MIN_KNOTS} to {MAX_KNOTS}, got {}", self.knots),
            ));
        }
        Ok(())
    }
}
