//! The manual points model: rules as data, run as a second model.
//!
//! Marketing and sales write their points model as a TOML file (see docs/guide.md): lifecycle
//! stages by total points, optional caps per group of rules, rules with one condition
//! each (and optionally `and` conditions on other fields) and fixed `points` or
//! `per_unit` points, stage overrides (a booked demo is an SQL
//! whatever its points) and decay of behavioural points with inactivity. [`RulesFile`]
//! parses and validates the file, naming the rule in every error; [`Rules::evaluate`]
//! runs it over a table and gives each lead its points, its stage and the points from
//! each rule. `compare` then sets it beside the predictive model, and [`suggest`] turns a
//! logistic model back into a rules file.

pub mod suggest;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::data::Table;
use crate::error::{polars_err, Error, Result};
use crate::features::cell::{self as text, clean, parse_number, NumCell};
use crate::features::format::{parse_day_as, parse_number_as};
use crate::features::infer::format_for;
use crate::features::{ColumnFormat, DateOrder, NumberFormat, Role};

/// One rule as written in the file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default)]
    pub name: String,
    pub field: String,
    pub equals: Option<toml::Value>,
    #[serde(rename = "in")]
    pub in_: Option<Vec<toml::Value>>,
    pub contains_any: Option<Vec<String>>,
    pub matches: Option<String>,
    pub between: Option<[f64; 2]>,
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    pub is_missing: Option<bool>,
    pub older_than_days: Option<f64>,
    pub within_days: Option<f64>,
    pub points: Option<f64>,
    pub per_unit: Option<f64>,
    pub max: Option<f64>,
    pub group: Option<String>,
    pub stage: Option<String>,
    /// More conditions, each on its own field (`and = [{ field = "employees", gt = 50 }]`):
    /// the rule fires only when every one holds as well (issue 36: a pair of the model
    /// becomes such combined rules in `rules suggest`).
    #[serde(default, rename = "and")]
    pub and: Vec<RuleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    max: Option<f64>,
    min: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecaySpec {
    half_life_days: f64,
    field: String,
    #[serde(default = "default_decay_group")]
    group: String,
}

fn default_decay_group() -> String {
    "behaviour".to_string()
}

/// A rule's condition, validated.
#[derive(Debug, Clone)]
pub enum Condition {
    Equals(Vec<String>),
    ContainsAny(Vec<String>),
    Matches(Regex),
    Between(f64, f64),
    Gt(f64),
    Gte(f64),
    Lt(f64),
    Lte(f64),
    IsMissing(bool),
    OlderThanDays(f64),
    WithinDays(f64),
    /// A `per_unit` rule with no condition: fires when the field has a value.
    Present,
}

impl Condition {
    fn is_numeric(&self) -> bool {
        matches!(
            self,
            Condition::Between(..) | Condition::Gt(_) | Condition::Gte(_) | Condition::Lt(_) | Condition::Lte(_)
        )
    }
    fn is_date(&self) -> bool {
        matches!(self, Condition::OlderThanDays(_) | Condition::WithinDays(_))
    }
}

/// How a rule scores when it fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Award {
    Points(f64),
    PerUnit { per_unit: f64, max: Option<f64> },
}

/// A validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub field: String,
    pub condition: Condition,
    pub award: Award,
    pub group: Option<String>,
    /// Index into [`Rules::stages`] of a stage override.
    pub stage: Option<usize>,
    /// The `and` conditions: (field, condition), each of which must hold too.
    pub and: Vec<(String, Condition)>,
}

/// A validated rules file.
#[derive(Debug, Clone)]
pub struct Rules {
    pub path: PathBuf,
    /// (name, minimum points), increasing.
    pub stages: Vec<(String, f64)>,
    /// (name, min, max) caps per group.
    pub groups: Vec<(String, Option<f64>, Option<f64>)>,
    pub decay: Option<(f64, String, String)>,
    pub rules: Vec<Rule>,
}

/// The raw file, before validation.
pub struct RulesFile;

fn value_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.trim().to_string()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

impl RulesFile {
    /// Read and validate a rules file.
    pub fn load(path: &Path) -> Result<Rules> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => Error::malformed(path, "the rules file is not valid UTF-8 text"),
            _ => Error::read(path, e),
        })?;
        Self::parse(&text, path)
    }

    /// Validate rules from TOML text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Rules> {
        let err = |m: String| Error::Rules { path: path.to_path_buf(), message: m };
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| err(format!("not valid TOML: {e}")))?;
        for key in table.keys() {
            if !["stages", "groups", "decay", "rule"].contains(&key.as_str()) {
                return Err(err(format!("unknown top-level key {key:?}; expected stages, groups, decay or [[rule]]")));
            }
        }
        // Stages, in file order, strictly increasing.
        let stages_t = match table.remove("stages") {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(err("[stages] must be a table of stage = minimum points".into())),
            None => {
                return Err(err("missing [stages]: give the lifecycle stages by minimum points, lowest first".into()))
            }
        };
        let mut stages: Vec<(String, f64)> = Vec::new();
        for (name, v) in stages_t {
            let min = match v {
                toml::Value::Integer(i) => i as f64,
                toml::Value::Float(f) if f.is_finite() => f,
                _ => return Err(err(format!("stage {name:?}: the minimum points must be a number"))),
            };
            if let Some((prev, pmin)) = stages.last() {
                if min <= *pmin {
                    return Err(err(format!(
                        "stages must increase: {name:?} starts at {min}, not above {prev:?} at {pmin}"
                    )));
                }
            }
            stages.push((name, min));
        }
        if stages.len() < 2 {
            return Err(err("[stages] needs at least two stages".into()));
        }
        let mut groups = Vec::new();
        if let Some(g) = table.remove("groups") {
            let g: std::collections::BTreeMap<String, GroupSpec> =
                g.try_into().map_err(|e: toml::de::Error| err(format!("[groups]: {e}")))?;
            for (name, spec) in g {
                if let (Some(lo), Some(hi)) = (spec.min, spec.max) {
                    if lo > hi {
                        return Err(err(format!("group {name:?}: min {lo} is above max {hi}")));
                    }
                }
                groups.push((name, spec.min, spec.max));
            }
        }
        let decay = match table.remove("decay") {
            None => None,
            Some(v) => {
                let d: DecaySpec = v.try_into().map_err(|e: toml::de::Error| err(format!("decay: {e}")))?;
                if !(d.half_life_days.is_finite() && d.half_life_days > 0.0) {
                    return Err(err(format!("decay: half_life_days must be above 0, got {}", d.half_life_days)));
                }
                if !groups.iter().any(|(n, _, _)| *n == d.group) && d.group != "behaviour" {
                    return Err(err(format!("decay: group {:?} is not in [groups]", d.group)));
                }
                Some((d.half_life_days, d.field, d.group))
            }
        };
        let rule_values = match table.remove("rule") {
            Some(toml::Value::Array(a)) => a,
            Some(_) => return Err(err("rules are written as [[rule]] tables".into())),
            None => return Err(err("no [[rule]] in the file".into())),
        };
        let mut rules = Vec::new();
        for (i, v) in rule_values.into_iter().enumerate() {
            let label = match v.get("name").and_then(|n| n.as_str()) {
                Some(n) => format!("rule {} ({n:?})", i + 1),
                None => format!("rule {}", i + 1),
            };
            let spec: RuleSpec = v.try_into().map_err(|e: toml::de::Error| err(format!("{label}: {}", e.message())))?;
            rules.push(validate_rule(spec, &label, &stages, &groups).map_err(err)?);
        }
        Ok(Rules { path: path.to_path_buf(), stages, groups, decay, rules })
    }
}

/// A rule's (or an `and` entry's) conditions as written, each checked; the caller checks
/// how many there may be.
fn conditions(spec: &RuleSpec, label: &str) -> std::result::Result<Vec<Condition>, String> {
    let mut conds: Vec<Condition> = Vec::new();
    let texts = |vals: &[toml::Value], key: &str| -> std::result::Result<Vec<String>, String> {
        vals.iter()
            .map(|v| value_text(v).ok_or_else(|| format!("{label}: {key} takes text, numbers or true/false")))
            .collect()
    };
    if let Some(v) = &spec.equals {
        conds.push(Condition::Equals(texts(std::slice::from_ref(v), "equals")?));
    }
    if let Some(v) = &spec.in_ {
        if v.is_empty() {
            return Err(format!("{label}: `in` needs at least one value"));
        }
        conds.push(Condition::Equals(texts(v, "in")?));
    }
    if let Some(v) = &spec.contains_any {
        if v.is_empty() {
            return Err(format!("{label}: contains_any needs at least one value"));
        }
        conds.push(Condition::ContainsAny(v.iter().map(|s| s.to_lowercase()).collect()));
    }
    if let Some(p) = &spec.matches {
        let re = RegexBuilder::new(p)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
            .map_err(|e| format!("{label}: the regular expression {p:?} is not usable: {e}"))?;
        conds.push(Condition::Matches(re));
    }
    if let Some([lo, hi]) = spec.between {
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(format!("{label}: between = [{lo}, {hi}] needs two numbers, the first not above the second"));
        }
        conds.push(Condition::Between(lo, hi));
    }
    for (v, c) in [
        (spec.gt, Condition::Gt as fn(f64) -> Condition),
        (spec.gte, Condition::Gte),
        (spec.lt, Condition::Lt),
        (spec.lte, Condition::Lte),
    ] {
        if let Some(v) = v {
            if !v.is_finite() {
                return Err(format!("{label}: comparison value must be a finite number"));
            }
            conds.push(c(v));
        }
    }
    if let Some(m) = spec.is_missing {
        conds.push(Condition::IsMissing(m));
    }
    for (v, c) in [
        (spec.older_than_days, Condition::OlderThanDays as fn(f64) -> Condition),
        (spec.within_days, Condition::WithinDays),
    ] {
        if let Some(v) = v {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{label}: days must be a number of at least 0, got {v}"));
            }
            conds.push(c(v));
        }
    }
    Ok(conds)
}

fn validate_rule(
    spec: RuleSpec,
    label: &str,
    stages: &[(String, f64)],
    groups: &[(String, Option<f64>, Option<f64>)],
) -> std::result::Result<Rule, String> {
    if spec.name.trim().is_empty() {
        return Err(format!("{label}: needs a name"));
    }
    if spec.field.trim().is_empty() {
        return Err(format!("{label}: needs a field"));
    }
    let mut conds = conditions(&spec, label)?;
    let award = match (spec.points, spec.per_unit) {
        (Some(p), None) => {
            if spec.max.is_some() {
                return Err(format!("{label}: max caps per_unit points; a rule with fixed points needs no max"));
            }
            Award::Points(p)
        }
        (None, Some(u)) => {
            if let Some(m) = spec.max {
                if m < 0.0 {
                    return Err(format!("{label}: max is a cap on the size of the points and must be at least 0"));
                }
            }
            Award::PerUnit { per_unit: u, max: spec.max }
        }
        (Some(_), Some(_)) => return Err(format!("{label}: has both points and per_unit; give one")),
        (None, None) => return Err(format!("{label}: needs points or per_unit")),
    };
    let (Award::Points(p) | Award::PerUnit { per_unit: p, .. }) = award;
    if !p.is_finite() {
        return Err(format!("{label}: points must be a finite number"));
    }
    let condition = match conds.len() {
        1 => conds.pop().unwrap_or(Condition::Present),
        0 if matches!(award, Award::PerUnit { .. }) => Condition::Present,
        0 => return Err(format!("{label}: has no condition; give one of equals, in, contains_any, matches, between, gt, gte, lt, lte, is_missing, older_than_days, within_days")),
        n => return Err(format!("{label}: has {n} conditions; a rule takes exactly one")),
    };
    if matches!(award, Award::PerUnit { .. })
        && (condition.is_date() || matches!(condition, Condition::IsMissing(true)))
    {
        return Err(format!(
            "{label}: per_unit needs a numeric field value; it cannot go with a date or is_missing condition"
        ));
    }
    let stage = match &spec.stage {
        None => None,
        Some(s) => Some(
            stages
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(s))
                .ok_or_else(|| format!("{label}: stage {s:?} is not in [stages]"))?,
        ),
    };
    if let Some(g) = &spec.group {
        if !groups.iter().any(|(n, _, _)| n == g) && g != "behaviour" {
            return Err(format!("{label}: group {g:?} is not in [groups]"));
        }
    }
    let mut and = Vec::new();
    for (k, a) in spec.and.iter().enumerate() {
        let at = format!("{label}, and[{}]", k + 1);
        if a.field.trim().is_empty() {
            return Err(format!("{at}: needs a field"));
        }
        if !a.name.is_empty()
            || a.points.is_some()
            || a.per_unit.is_some()
            || a.max.is_some()
            || a.group.is_some()
            || a.stage.is_some()
            || !a.and.is_empty()
        {
            return Err(format!(
                "{at}: takes a field and one condition only (name, points, group and stage are the rule's)"
            ));
        }
        let mut c = conditions(a, &at)?;
        match c.len() {
            1 => and.push((a.field.clone(), c.pop().unwrap_or(Condition::Present))),
            n => return Err(format!("{at}: has {n} conditions; each takes exactly one")),
        }
    }
    if !and.is_empty() && matches!(award, Award::PerUnit { .. }) {
        return Err(format!("{label}: per_unit cannot go with `and` conditions; give points"));
    }
    Ok(Rule { name: spec.name, field: spec.field, condition, award, group: spec.group, stage, and })
}

/// What the rules gave each lead.
#[derive(Debug, Clone)]
pub struct RuleScores {
    pub points: Vec<f64>,
    /// Stage index per lead (into [`Rules::stages`]).
    pub stage: Vec<usize>,
    /// Points from each rule (`rules x leads`), after caps and decay.
    pub by_rule: Vec<Vec<f64>>,
    /// Whether each rule fired for each lead (`rules x leads`).
    pub fired: Vec<Vec<bool>>,
}

/// One field's cells, read for the conditions that use it.
struct FieldCells {
    text: Vec<Option<String>>,
    /// How the field writes numbers and dates (issue 14: a Danish export's `1.234,5` and
    /// `24-04-2026`), inferred from its values as training infers a column's.
    numbers: NumberFormat,
    dates: Option<DateOrder>,
}

impl FieldCells {
    fn number(&self, c: &str) -> Option<f64> {
        match parse_number_as(c, self.numbers) {
            NumCell::Value(x) => Some(x),
            _ => text::parse_flag(c),
        }
    }

    fn day(&self, c: &str) -> Option<i64> {
        match self.dates {
            None => text::parse_date(c).map(text::day_number),
            Some(o) => parse_day_as(c, o),
        }
    }
}

impl Rules {
    /// The fields the rules read.
    pub fn fields(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .rules
            .iter()
            .flat_map(|r| std::iter::once(r.field.as_str()).chain(r.and.iter().map(|(f, _)| f.as_str())))
            .collect();
        if let Some((_, f, _)) = &self.decay {
            v.push(f.as_str());
        }
        v.sort();
        v.dedup();
        v
    }

    /// Check that `table` has every field the rules read; name each rule that lacks one.
    pub fn check_fields(&self, table: &Table) -> Result<()> {
        let have = table.column_names();
        let mut missing: Vec<String> = Vec::new();
        for r in &self.rules {
            for field in std::iter::once(&r.field).chain(r.and.iter().map(|(f, _)| f)) {
                if !have.contains(field) {
                    missing.push(format!("rule {:?} reads field {:?}", r.name, field));
                }
            }
        }
        if let Some((_, f, _)) = &self.decay {
            if !have.contains(f) {
                missing.push(format!("decay reads field {f:?}"));
            }
        }
        if !missing.is_empty() {
            return Err(Error::Rules {
                path: self.path.clone(),
                message: format!("{}, which {} does not have", missing.join("; "), table.path.display()),
            });
        }
        Ok(())
    }

    /// Run the rules over every lead of `table`, dates relative to `as_of`.
    pub fn evaluate(&self, table: &Table, as_of: NaiveDate) -> Result<RuleScores> {
        self.check_fields(table)?;
        let n = table.height();
        let as_of_day = text::day_number(as_of);
        let cells = self.field_cells(table)?;
        let field_err = |r: &Rule, field: &str, row: usize, value: &str, what: &str| Error::Rules {
            path: self.path.clone(),
            message: format!(
                "rule {:?}: {}, column {:?}, row {}: {:?} is not {what}",
                r.name,
                table.path.display(),
                field,
                row + 1,
                crate::error::clip(value)
            ),
        };
        let cell_err = |r: &Rule, row: usize, value: &str, what: &str| field_err(r, &r.field, row, value, what);
        let mut by_rule = vec![vec![0.0f64; n]; self.rules.len()];
        let mut fired_all = vec![vec![false; n]; self.rules.len()];
        let mut override_stage: Vec<Option<usize>> = vec![None; n];
        for (k, r) in self.rules.iter().enumerate() {
            let fc = &cells[r.field.as_str()];
            for i in 0..n {
                let cell = fc.text[i].as_deref();
                let fired = fires(&r.condition, cell, fc, as_of_day)
                    .map_err(|what| cell_err(r, i, cell.unwrap_or(""), what))?;
                if !fired {
                    continue;
                }
                let mut all = true;
                for (field, condition) in &r.and {
                    let fa = &cells[field.as_str()];
                    let c = fa.text[i].as_deref();
                    if !fires(condition, c, fa, as_of_day)
                        .map_err(|what| field_err(r, field, i, c.unwrap_or(""), what))?
                    {
                        all = false;
                        break;
                    }
                }
                if !all {
                    continue;
                }
                fired_all[k][i] = true;
                let pts = match r.award {
                    Award::Points(p) => p,
                    Award::PerUnit { per_unit, max } => {
                        let c = cell.unwrap_or("");
                        let x = fc
                            .number(c)
                            .ok_or_else(|| cell_err(r, i, c, "a number (the rule gives per_unit points)"))?;
                        let p = per_unit * x;
                        match max {
                            Some(m) => p.clamp(-m, m),
                            None => p,
                        }
                    }
                };
                by_rule[k][i] = pts;
                if let Some(s) = r.stage {
                    override_stage[i] = Some(override_stage[i].map_or(s, |o: usize| o.max(s)));
                }
            }
        }
        // Group caps, then decay of the decaying group.
        let decay_factor = self.decay_factors(table, &cells, as_of_day)?;
        let mut group_names: Vec<&str> = self.rules.iter().filter_map(|r| r.group.as_deref()).collect();
        group_names.sort();
        group_names.dedup();
        for g in group_names {
            let members: Vec<usize> =
                (0..self.rules.len()).filter(|&k| self.rules[k].group.as_deref() == Some(g)).collect();
            let (lo, hi) =
                self.groups.iter().find(|(n, _, _)| n == g).map(|(_, lo, hi)| (*lo, *hi)).unwrap_or((None, None));
            let decays = self.decay.as_ref().is_some_and(|(_, _, dg)| dg == g);
            for i in 0..n {
                let sum: f64 = members.iter().map(|&k| by_rule[k][i]).sum();
                let mut capped = sum;
                if let Some(h) = hi {
                    capped = capped.min(h);
                }
                if let Some(l) = lo {
                    capped = capped.max(l);
                }
                let mut factor = if sum != 0.0 { capped / sum } else { 1.0 };
                if decays {
                    if let Some(f) = &decay_factor {
                        factor *= f[i];
                    }
                }
                if factor != 1.0 {
                    for &k in &members {
                        by_rule[k][i] *= factor;
                    }
                }
            }
        }
        let mut points = vec![0.0; n];
        for rule_pts in &by_rule {
            for (p, &r) in points.iter_mut().zip(rule_pts) {
                *p += r;
            }
        }
        let stage: Vec<usize> = points
            .iter()
            .zip(&override_stage)
            .map(|(&p, o)| match o {
                Some(s) => *s,
                None => self.stage_of(p),
            })
            .collect();
        Ok(RuleScores { points, stage, by_rule, fired: fired_all })
    }

    /// Each field's cells as text, with the number and date formats they are read in.
    fn field_cells(&self, table: &Table) -> Result<std::collections::HashMap<&str, FieldCells>> {
        let mut cells: std::collections::HashMap<&str, FieldCells> = std::collections::HashMap::new();
        for f in self.fields() {
            let col = table.column(f)?;
            let c = col.cast(&DataType::String).map_err(|e| polars_err(&table.path, e))?;
            let ca = c.str().map_err(|e| polars_err(&table.path, e))?;
            // A field whose format cannot be told reads plainly (its cells then say why).
            let numbers = match format_for(table, col, Role::Number, None) {
                Ok(Some(ColumnFormat::Number(nf))) => nf,
                _ => NumberFormat::PLAIN,
            };
            let dates = match format_for(table, col, Role::Date, None) {
                Ok(Some(ColumnFormat::Date(Some(o)))) if o != DateOrder::ExcelSerial => Some(o),
                _ => None,
            };
            let text = ca.iter().map(|v| clean(v).map(str::to_string)).collect();
            cells.insert(f, FieldCells { text, numbers, dates });
        }
        Ok(cells)
    }

    /// The decaying group's factor per lead: halved every half-life since the decay
    /// field's date (1 when missing); `None` without decay.
    fn decay_factors(
        &self,
        table: &Table,
        cells: &std::collections::HashMap<&str, FieldCells>,
        as_of_day: i64,
    ) -> Result<Option<Vec<f64>>> {
        let n = table.height();
        Ok(match &self.decay {
            None => None,
            Some((half_life, field, _)) => {
                let fc = &cells[field.as_str()];
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    v.push(match fc.text[i].as_deref() {
                        None => 1.0,
                        Some(c) => {
                            let d = fc.day(c).ok_or_else(|| Error::Rules {
                                path: self.path.clone(),
                                message: format!(
                                    "decay: {}, column {field:?}, row {}: {:?} is not a date (YYYY-MM-DD)",
                                    table.path.display(),
                                    i + 1,
                                    crate::error::clip(c)
                                ),
                            })?;
                            let days = ((as_of_day - d) as f64).max(0.0);
                            0.5f64.powf(days / half_life)
                        }
                    });
                }
                Some(v)
            }
        })
    }

    /// The stage a total earns by points alone (below the lowest minimum: the lowest stage).
    pub fn stage_of(&self, points: f64) -> usize {
        self.stages.iter().rposition(|(_, min)| points >= *min).unwrap_or(0)
    }

    pub fn stage_names(&self) -> Vec<String> {
        self.stages.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// Equality as people mean it in a rules file: case-insensitive trimmed text, or equal
/// numbers, or the same yes/no.
fn loosely_equal(rule_value: &str, cell: &str) -> bool {
    if rule_value.eq_ignore_ascii_case(cell) {
        return true;
    }
    if let (NumCell::Value(a), NumCell::Value(b)) = (parse_number(rule_value), parse_number(cell)) {
        return a == b;
    }
    matches!((text::parse_flag(rule_value), text::parse_flag(cell)), (Some(a), Some(b)) if a == b)
}

/// What `rules` runs on a file: the leads (with an activity log's aggregates when given,
/// joined on the id column) scored by the points model as of the history rule's date.
pub struct RulesRun {
    /// The output table: the id (or row), points, stage and each rule's points.
    pub frame: DataFrame,
    /// Each stage with its number of leads, lowest stage first.
    pub per_stage: Vec<(String, usize)>,
    pub as_of: crate::as_of::AsOf,
    pub leads: usize,
}

/// Score `table` by `rules` (see [`RulesRun`]); `id` names the id column (else found by
/// its name and unique values).
pub fn run(
    rules: &Rules,
    mut table: Table,
    id: Option<String>,
    log: Option<&crate::events::EventLog>,
    given_as_of: Option<NaiveDate>,
) -> Result<RulesRun> {
    let id = id.or_else(|| table.find_id_column());
    if let Some(log) = log {
        let id = id.as_deref().ok_or_else(|| {
            Error::usage("--events", "the activity log is joined to the leads on the id column: give --id")
        })?;
        let params = crate::events::EventParams::default();
        table = crate::events::fit_and_append(log, &table, id, None, given_as_of, &params)?.0;
    }
    rules.check_fields(&table)?;
    let as_of = crate::as_of::for_history(given_as_of, None, &table, &rules.fields())?;
    let scores = rules.evaluate(&table, as_of.date)?;
    let frame = rules_frame(rules, &table, &scores, id.as_deref())?;
    let names = rules.stage_names();
    let mut per_stage: Vec<(String, usize)> = names.into_iter().map(|n| (n, 0)).collect();
    for &s in &scores.stage {
        per_stage[s].1 += 1;
    }
    Ok(RulesRun { frame, per_stage, as_of, leads: table.height() })
}

/// The `rules` command's output table: id or row, points, stage, the rules that fired,
/// and one column of points per rule.
pub fn rules_frame(rules: &Rules, table: &Table, scores: &RuleScores, id: Option<&str>) -> Result<DataFrame> {
    let n = table.height();
    let mut cols: Vec<Column> = Vec::new();
    match id {
        Some(id) => cols.push(table.column(id)?.cast(&DataType::String).map_err(|e| polars_err(&table.path, e))?),
        None => cols.push(Column::new("row".into(), (1..=n as u64).collect::<Vec<_>>())),
    }
    cols.push(Column::new("points".into(), scores.points.iter().map(|p| round2(*p)).collect::<Vec<_>>()));
    let names = rules.stage_names();
    cols.push(Column::new("stage".into(), scores.stage.iter().map(|&s| names[s].clone()).collect::<Vec<_>>()));
    let fired: Vec<String> = (0..n)
        .map(|i| {
            rules
                .rules
                .iter()
                .enumerate()
                .filter(|(k, _)| scores.fired[*k][i])
                .map(|(k, r)| format!("{} {:+}", r.name, round2(scores.by_rule[k][i])))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    cols.push(Column::new("fired".into(), fired));
    let mut used: Vec<String> = cols.iter().map(|c| c.name().to_string()).collect();
    for (k, r) in rules.rules.iter().enumerate() {
        let mut name = format!("rule: {}", r.name);
        while used.contains(&name) {
            name.push('\'');
        }
        used.push(name.clone());
        cols.push(Column::new(name.into(), scores.by_rule[k].iter().map(|p| round2(*p)).collect::<Vec<_>>()));
    }
    DataFrame::new(n, cols).map_err(|e| Error::Internal(format!("rules table: {e}")))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Whether `condition` fires on a cell (`None`: missing); `Err` says what the cell is not
/// (a number, a date) when the condition needs it to be.
fn fires(
    condition: &Condition,
    cell: Option<&str>,
    fc: &FieldCells,
    as_of_day: i64,
) -> std::result::Result<bool, &'static str> {
    Ok(match (condition, cell) {
        (Condition::IsMissing(m), c) => c.is_none() == *m,
        (_, None) => false,
        (Condition::Equals(vals), Some(c)) => vals.iter().any(|v| loosely_equal(v, c)),
        (Condition::ContainsAny(vals), Some(c)) => {
            let lc = c.to_lowercase();
            vals.iter().any(|v| lc.contains(v.as_str()))
        }
        (Condition::Matches(re), Some(c)) => re.is_match(c),
        (cond, Some(c)) if cond.is_numeric() => {
            let x = fc.number(c).ok_or("a number")?;
            match cond {
                Condition::Between(lo, hi) => x >= *lo && x <= *hi,
                Condition::Gt(v) => x > *v,
                Condition::Gte(v) => x >= *v,
                Condition::Lt(v) => x < *v,
                Condition::Lte(v) => x <= *v,
                _ => false,
            }
        }
        (cond, Some(c)) if cond.is_date() => {
            let d = fc.day(c).ok_or("a date (YYYY-MM-DD)")?;
            let days = (as_of_day - d) as f64;
            match cond {
                Condition::OlderThanDays(t) => days > *t,
                Condition::WithinDays(t) => days <= *t,
                _ => false,
            }
        }
        (_, Some(_)) => true, // Present
    })
}
