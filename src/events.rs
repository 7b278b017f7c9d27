//! Behavioural features from a raw activity log, point in time.
//!
//! Real CRMs export contacts in one table and an activity log in another: one row per
//! page view, e-mail open, click, webinar, demo request, with a contact id and a
//! timestamp. This module sits between loading ([`crate::data`]) and the feature
//! pipeline ([`crate::features`]): it aggregates the log per contact into columns
//! appended to the contacts table, which the pipeline then treats like any number:
//!
//! - `events.<type>.7d`, `.30d`, `.90d`, `.all`: events of that type in the window;
//! - `events.<type>.days_since`: days since the last one (missing when none);
//! - `events.<type>.decayed`: a recency-decayed count, each event weighing
//!   0.5^(age in days / half-life);
//! - `events.days_since_last`: days since the last event of any type;
//! - `events.active_days`: distinct days with any event.
//!
//! Point in time: each contact's features use only events up to the end of its cut-off
//! day (the as-of date, or a per-contact date such as the day the deal was won or
//! lost); later events are dropped and counted, so the outcome cannot leak in. Event
//! types are trimmed, lower-cased and rare types pooled as `other`; the kept types and
//! the settings ([`EventSpec`]) are stored in the model so that scoring rebuilds exactly
//! the same columns. The join, the cut-off filter and the aggregation are one pass over
//! the log by hand (issue 26: polars' lazy engine, with its streaming engine and cloud
//! I/O, was compiled for this one join).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cell as text;
use crate::data::Table;
use crate::error::{polars_err, Error, Result};

const DAY: i64 = 86_400;
/// Fixed-point scale of the decayed counts.
const FIXED: f64 = 4_294_967_296.0;

/// Column names recognised in an activity log when none are given.
pub const CONTACT_NAMES: &[&str] = &["contact_id", "lead_id", "contact", "lead", "id", "prospect_id", "prospect id"];
pub const TYPE_NAMES: &[&str] = &["event_type", "type", "activity_type", "activity", "event", "action"];
pub const TIME_NAMES: &[&str] = &["timestamp", "event_time", "time", "occurred_at", "created_at", "date", "datetime"];

/// A loaded activity log: contact id, normalised event type, time (seconds since 1970).
#[derive(Debug, Clone)]
pub struct EventLog {
    pub path: PathBuf,
    pub contact_col: String,
    pub type_col: String,
    pub time_col: String,
    pub contact: StringChunked,
    /// The distinct normalised event types (trimmed, lower case, spaces as `_`).
    pub kinds: Vec<String>,
    /// Each event's type, as an index into `kinds`.
    pub kind_code: Vec<u32>,
    pub time: Vec<i64>,
}

fn normalise(s: &str) -> String {
    s.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join("_")
}

fn find(table: &Table, given: Option<&str>, names: &[&str], what: &str) -> Result<String> {
    if let Some(g) = given {
        table.column(g)?;
        return Ok(g.to_string());
    }
    let have = table.column_names();
    names.iter().find_map(|n| have.iter().find(|h| h.eq_ignore_ascii_case(n)).cloned()).ok_or_else(|| {
        Error::malformed(
            &table.path,
            format!(
                "no {what} column found (looked for {}); name it with --event-{}",
                names.join(", "),
                what.split(' ').next().unwrap_or(what)
            ),
        )
    })
}

/// Parse a timestamp cell: `YYYY-MM-DD`, with ` ` or `T` and `HH:MM[:SS[.f]]`, optional `Z`.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    if s.len() <= 10 {
        return text::parse_date(s).map(|d| (text::day_number(d) - 719_163) * DAY);
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp());
        }
    }
    None
}

/// Count one more event in a count cell.
fn bump(cell: &mut Option<f64>) {
    *cell = Some(cell.unwrap_or(0.0) + 1.0);
}

/// Read an activity log (CSV or Parquet).
pub fn load(path: &Path, contact: Option<&str>, kind: Option<&str>, time: Option<&str>) -> Result<EventLog> {
    let table = crate::data::load(path)?;
    let contact_col = find(&table, contact, CONTACT_NAMES, "contact id")?;
    let type_col = find(&table, kind, TYPE_NAMES, "type")?;
    let time_col = find(&table, time, TIME_NAMES, "time")?;
    let cast = |c: &str| -> Result<StringChunked> {
        let col = table.column(c)?.cast(&DataType::String).map_err(|e| polars_err(path, e))?;
        Ok(col.str().map_err(|e| polars_err(path, e))?.clone())
    };
    let contact_ca = cast(&contact_col)?;
    let type_ca = cast(&type_col)?;
    let tcol = table.column(&time_col)?;
    let n = table.height();
    let mut times = Vec::with_capacity(n);
    if matches!(tcol.dtype(), DataType::Datetime(_, _) | DataType::Date) {
        let ms = tcol
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(|e| polars_err(path, e))?;
        for (i, v) in ms.i64().map_err(|e| polars_err(path, e))?.iter().enumerate() {
            times.push(v.map(|ms| ms.div_euclid(1000)).ok_or_else(|| bad_time(path, &time_col, i, ""))?);
        }
    } else {
        for (i, v) in cast(&time_col)?.iter().enumerate() {
            let s = v.unwrap_or("");
            times.push(parse_time(s).ok_or_else(|| bad_time(path, &time_col, i, s))?);
        }
    }
    let mut codes: HashMap<&str, u32> = HashMap::new();
    let mut kinds_dict: Vec<String> = Vec::new();
    let mut kind_code = Vec::with_capacity(n);
    for (i, v) in type_ca.iter().enumerate() {
        let raw = v.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| Error::Data {
            context: format!("{}: column {type_col:?}, row {}", path.display(), i + 1),
            message: "the event type is empty".into(),
        })?;
        let code = match codes.get(raw) {
            Some(&c) => c,
            None => {
                let norm = normalise(raw);
                let c = match kinds_dict.iter().position(|k| *k == norm) {
                    Some(p) => p as u32,
                    None => {
                        kinds_dict.push(norm);
                        (kinds_dict.len() - 1) as u32
                    }
                };
                codes.insert(raw, c);
                c
            }
        };
        kind_code.push(code);
    }
    for (i, v) in contact_ca.iter().enumerate() {
        if v.map(str::trim).is_none_or(str::is_empty) {
            return Err(Error::Data {
                context: format!("{}: column {contact_col:?}, row {}", path.display(), i + 1),
                message: "the contact id is empty".into(),
            });
        }
    }
    Ok(EventLog {
        path: path.to_path_buf(),
        contact_col,
        type_col,
        time_col,
        contact: contact_ca,
        kinds: kinds_dict,
        kind_code,
        time: times,
    })
}

fn bad_time(path: &Path, col: &str, row: usize, value: &str) -> Error {
    Error::Data {
        context: format!("{}: column {col:?}, row {}", path.display(), row + 1),
        message: format!(
            "{:?} is not a timestamp (expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)",
            crate::error::clip(value)
        ),
    }
}

/// The event-feature definitions stored in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventSpec {
    pub contact_col: String,
    pub type_col: String,
    pub time_col: String,
    /// Kept event types; any other type counts as `other`.
    pub types: Vec<String>,
    pub other: bool,
    pub windows: Vec<u32>,
    pub half_life_days: f64,
}

/// How to build event features (before seeing the log).
#[derive(Debug, Clone)]
pub struct EventParams {
    /// Windows in days. Default: 7, 30, 90.
    pub windows: Vec<u32>,
    /// Half-life of the decayed count in days. Default: 30.
    pub half_life_days: f64,
    /// Most event types kept; the rest are pooled as `other`. Default: 20.
    pub max_types: usize,
    /// A type with fewer events than this share of the log is pooled. Default: 0.001.
    pub min_type_share: f64,
}

impl Default for EventParams {
    fn default() -> Self {
        EventParams { windows: vec![7, 30, 90], half_life_days: 30.0, max_types: 20, min_type_share: 0.001 }
    }
}

impl EventParams {
    /// Decide which event types to keep, counting only the events the contacts may use:
    /// those of contacts in `contacts` (by `id_col`) up to their cut-off day.
    pub fn fit(&self, log: &EventLog, contacts: &Table, id_col: &str, cutoff_days: &[i64]) -> Result<EventSpec> {
        if !(self.half_life_days.is_finite() && self.half_life_days > 0.0) {
            return Err(Error::usage("--event-half-life", format!("must be above 0, got {}", self.half_life_days)));
        }
        let ids = contacts.column(id_col)?.cast(&DataType::String).map_err(|e| polars_err(&contacts.path, e))?;
        let ids = ids.str().map_err(|e| polars_err(&contacts.path, e))?;
        let cut: HashMap<&str, i64> =
            ids.iter().zip(cutoff_days).filter_map(|(id, d)| id.map(|id| (id, (d + 1 - 719_163) * DAY))).collect();
        let mut counts = vec![0usize; log.kinds.len()];
        let mut total = 0usize;
        for ((c, &k), t) in log.contact.iter().zip(&log.kind_code).zip(&log.time) {
            if c.and_then(|c| cut.get(c)).is_some_and(|&limit| *t < limit) {
                counts[k as usize] += 1;
                total += 1;
            }
        }
        let min = ((self.min_type_share * total as f64).ceil() as usize).max(1);
        let mut order: Vec<(&str, usize)> =
            log.kinds.iter().zip(counts).filter(|(_, c)| *c > 0).map(|(k, c)| (k.as_str(), c)).collect();
        order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let types: Vec<String> = order
            .iter()
            .filter(|(_, c)| *c >= min)
            .take(self.max_types)
            .map(|(k, _)| k.to_string())
            .filter(|k| k != "other")
            .collect();
        let other = order.len() > types.len();
        Ok(EventSpec {
            contact_col: log.contact_col.clone(),
            type_col: log.type_col.clone(),
            time_col: log.time_col.clone(),
            types,
            other,
            windows: self.windows.clone(),
            half_life_days: self.half_life_days,
        })
    }
}

/// What aggregation did, for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EventReport {
    pub events: usize,
    pub used: usize,
    /// Events at or after their contact's cut-off: dropped so the outcome cannot leak.
    pub after_cutoff: usize,
    /// Events whose contact is not in the contacts table.
    pub unmatched: usize,
    pub columns: usize,
}

/// The default cut-off day when none is given: the day of the log's latest event, so
/// that every event counts.
pub fn default_cutoff_day(log: &EventLog) -> Option<NaiveDate> {
    let max = log.time.iter().copied().max()?;
    text::from_day_number(max.div_euclid(DAY) + 719_163)
}

impl EventSpec {
    /// Column names this spec produces, in order.
    pub fn column_names(&self) -> Vec<String> {
        let mut v = Vec::new();
        let mut kinds = self.types.clone();
        if self.other {
            kinds.push("other".into());
        }
        for k in &kinds {
            for w in &self.windows {
                v.push(format!("events.{k}.{w}d"));
            }
            v.push(format!("events.{k}.all"));
            v.push(format!("events.{k}.days_since"));
            v.push(format!("events.{k}.decayed"));
        }
        v.push("events.days_since_last".into());
        v.push("events.active_days".into());
        v
    }

    /// Append the event features to `contacts` (joined on `id_col`), each contact's
    /// events cut off at the start of its day in `cutoff_days` (days from the common era).
    pub fn append(
        &self,
        contacts: &Table,
        id_col: &str,
        log: &EventLog,
        cutoff_days: &[i64],
    ) -> Result<(Table, EventReport)> {
        let n = contacts.height();
        let ids = contacts.column(id_col)?.cast(&DataType::String).map_err(|e| polars_err(&contacts.path, e))?;
        let ids = ids.str().map_err(|e| polars_err(&contacts.path, e))?.clone();
        contacts.check_unique_ids(id_col)?;
        for name in self.column_names() {
            if contacts.column_names().contains(&name) {
                return Err(Error::malformed(
                    &contacts.path,
                    format!("already has a column {name:?}, which the event features would replace"),
                ));
            }
        }
        // Map each event's type to a kept-type slot (the last slot is "other"), once per
        // distinct type.
        let n_kinds = self.types.len() + self.other as usize;
        let slot_of_code: Vec<i64> = log
            .kinds
            .iter()
            .map(|k| match self.types.iter().position(|t| t == k) {
                Some(p) => p as i64,
                None if self.other => self.types.len() as i64,
                None => -1,
            })
            .collect();
        // A cut-off day includes its own events: the cut is at the start of the next day.
        let cut: Vec<i64> = cutoff_days.iter().map(|d| (d + 1 - 719_163) * DAY).collect();
        // The join by hand (an inner join on the contact id; a missing id matches
        // nothing): each contact's row by its id, then one pass over the log.
        let mut row_of: HashMap<&str, u32> = HashMap::with_capacity(n);
        for (r, id) in ids.iter().enumerate() {
            if let Some(id) = id {
                row_of.insert(id, r as u32);
            }
        }
        let names = self.column_names();
        let per_kind = self.windows.len() + 3;
        let nw = self.windows.len();
        let hl = self.half_life_days;
        let mut out: Vec<Vec<Option<f64>>> =
            names.iter().map(|nm| vec![if nm.contains("days_since") { None } else { Some(0.0) }; n]).collect();
        // Per (contact, kept type): the event count in each window, all, the youngest
        // age and the decayed weight in fixed point (2^-32; an integer sum, so the same
        // log gives the same bits whatever the order).
        let mut decayed = vec![0u64; n * n_kinds.max(1)];
        let mut since_any: Vec<Option<f64>> = vec![None; n];
        let mut days: Vec<(u32, i64)> = Vec::new();
        let (mut used, mut after, mut matched) = (0usize, 0usize, 0usize);
        for (e, contact) in log.contact.iter().enumerate() {
            let Some(&r) = contact.and_then(|c| row_of.get(c)) else { continue };
            let r = r as usize;
            matched += 1;
            let t = log.time[e];
            if t >= cut[r] {
                after += 1;
                continue;
            }
            used += 1;
            // Divided as polars divides a column by a number (times its reciprocal), so
            // that the ages keep the bits they had when the join was a polars query.
            let age = (cut[r] - t) as f64 * (1.0 / DAY as f64);
            days.push((r as u32, t.div_euclid(DAY)));
            let min = |m: &mut Option<f64>| *m = Some(m.map_or(age, |v: f64| v.min(age)));
            min(&mut since_any[r]);
            let s = slot_of_code[log.kind_code[e] as usize];
            if s < 0 || s as usize >= n_kinds {
                continue;
            }
            let base = s as usize * per_kind;
            for (wi, w) in self.windows.iter().enumerate() {
                if age <= *w as f64 {
                    bump(&mut out[base + wi][r]);
                }
            }
            bump(&mut out[base + nw][r]);
            min(&mut out[base + nw + 1][r]);
            decayed[r * n_kinds + s as usize] += (0.5f64.powf(age * (1.0 / hl)) * FIXED) as u64;
        }
        for s in 0..n_kinds {
            for (r, v) in out[s * per_kind + nw + 2].iter_mut().enumerate() {
                *v = Some(decayed[r * n_kinds + s] as f64 / FIXED);
            }
        }
        // Distinct active days per contact.
        days.sort_unstable();
        days.dedup();
        let last = names.len() - 1;
        for &(r, _) in &days {
            bump(&mut out[last][r as usize]);
        }
        out[last - 1] = since_any;
        let report = EventReport {
            events: log.time.len(),
            used,
            after_cutoff: after,
            unmatched: log.time.len() - matched,
            columns: names.len(),
        };
        let mut df = contacts.df.clone();
        for (name, vals) in names.iter().zip(out) {
            df.with_column(Column::new(name.as_str().into(), vals)).map_err(|e| polars_err(&contacts.path, e))?;
        }
        Ok((
            Table {
                path: contacts.path.clone(),
                df,
                sha256: contacts.sha256.clone(),
                encoding: contacts.encoding,
                delimiter: contacts.delimiter,
            },
            report,
        ))
    }
}

/// Fit the event features on `contacts` and append them, point in time: the one join of
/// a log that no model has seen yet (`train`, `rules`, `events`; a saved model's own
/// features are appended by [`crate::score::with_events`]). Each contact's cut-off is its
/// `cutoff_col` date, else `as_of`, else the day of the log's latest event.
pub fn fit_and_append(
    log: &EventLog,
    contacts: &Table,
    id_col: &str,
    cutoff_col: Option<&str>,
    as_of: Option<NaiveDate>,
    params: &EventParams,
) -> Result<(Table, EventSpec, EventReport)> {
    let default = as_of
        .or_else(|| default_cutoff_day(log))
        .ok_or_else(|| Error::data(log.path.display().to_string(), "the activity log has no events"))?;
    let cut = cutoff_days(contacts, cutoff_col, default)?;
    let spec = params.fit(log, contacts, id_col, &cut)?;
    let (table, report) = spec.append(contacts, id_col, log, &cut)?;
    Ok((table, spec, report))
}

/// Cut-off days per contact: from `cutoff_col` where given and filled, else `default`.
pub fn cutoff_days(contacts: &Table, cutoff_col: Option<&str>, default: NaiveDate) -> Result<Vec<i64>> {
    let d = text::day_number(default);
    match cutoff_col {
        None => Ok(vec![d; contacts.height()]),
        Some(c) => {
            let col = contacts.column(c)?;
            Ok(crate::features::read_dates(contacts, col)?.into_iter().map(|v| v.unwrap_or(d)).collect())
        }
    }
}

/// The activity log's aggregates as SQL, for [`crate::sql::export`]: CTEs that read the
/// log table, a join clause onto the leads (`l`), and per feature column its value.
pub struct EventSql {
    pub ctes: Vec<String>,
    pub join: String,
    pub note: String,
    columns: Vec<(String, String)>,
}

impl EventSql {
    /// The SQL value of the event feature column `name` (a double; NULL for a
    /// `days_since` with no event).
    pub fn value(&self, name: &str) -> String {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_else(|| "NULL".into())
    }
}

impl EventSpec {
    /// The aggregates computed in SQL as [`Self::append`] computes them: types trimmed,
    /// lower-cased, white space as `_`, unkept types as `other`; each lead's events up to
    /// the end of the as-of day (`params.as_of`); windows, days since, decayed counts in
    /// the same fixed point, days since any event, active days. `table` is the quoted log
    /// table; `lead_id` the leads' id as text. Events whose time, type or contact cannot
    /// be read are left out (leadscore refuses such a log as a whole).
    pub fn sql(&self, d: crate::dialect::sql::Dialect, table: &str, lead_id: &str) -> EventSql {
        let ws = d.whitespace_class();
        let text = |c: &str| d.as_text(&format!("e.{}", d.ident(c)));
        let trimmed = |c: &str| d.trim_whitespace(&text(c));
        let kind = d.replace_all(&format!("LOWER({})", trimmed(&self.type_col)), &format!("{ws}+"), "_");
        let mut slot = format!("CASE {kind}");
        for (s, k) in self.types.iter().enumerate() {
            slot.push_str(&format!(" WHEN {} THEN {s}", d.string(k)));
        }
        slot.push_str(&format!(" ELSE {} END", if self.other { self.types.len().to_string() } else { "NULL".into() }));
        // The time: an ISO date (its days before 1970-01-01 negated), then HH:MM[:SS].
        let time = d.strip(&trimmed(&self.time_col), "Z+$");
        let before_epoch = crate::features::date::sql_days_before("tm", "DATE '1970-01-01'", d);
        let clock = d.matches("tm", r"^.{10}[ T][0-9]{2}:[0-9]{2}");
        let part = |from: u8| d.to_int(&format!("SUBSTR(tm, {from}, 2)"));
        let seconds = format!(
            "CASE WHEN {clock} THEN {} * 3600 + {} * 60 + CASE WHEN {} THEN {} ELSE 0 END ELSE 0 END",
            part(12),
            part(15),
            d.matches("tm", r"^.{16}:[0-9]{2}"),
            part(18)
        );
        let secs = format!("{} * 86400 - {}", d.to_int(&format!("({before_epoch})")), seconds);
        let raw = crate::dialect::sql::cte(
            d,
            "ev_raw",
            &[format!("{} AS contact", text(&self.contact_col)), format!("{slot} AS slot"), format!("{time} AS tm")],
            &format!("{table} e"),
        );
        let read = crate::dialect::sql::cte(
            d,
            "ev_read",
            &["contact".into(), "slot".into(), format!("-({secs}) AS t")],
            "ev_raw",
        );
        // A cut-off day includes its own events: the cut is the start of the next day.
        let cutoff = format!("({} + 1) * 86400", d.to_int(&d.days_between("p.as_of", "DATE '1970-01-01'")));
        let cut = crate::dialect::sql::cte(
            d,
            "ev_cut",
            &[
                "r.contact".into(),
                "r.slot".into(),
                format!("FLOOR({} / 86400) AS day", d.to_double("r.t")),
                // polars divides by a constant as a product with its reciprocal.
                format!("{} * {} AS age", d.to_double(&format!("{cutoff} - r.t")), d.float(1.0 / DAY as f64)),
            ],
            &format!(
                "ev_read r CROSS JOIN params p\n  WHERE r.t IS NOT NULL AND r.contact IS NOT NULL AND r.t < {cutoff}"
            ),
        );
        let n_kinds = self.types.len() + self.other as usize;
        let hl = d.float(self.half_life_days);
        let mut aggs = vec!["contact".to_string()];
        let mut columns = Vec::new();
        for s in 0..n_kinds {
            let is = format!("slot = {s}");
            for w in &self.windows {
                aggs.push(format!("SUM(CASE WHEN {is} AND age <= {w} THEN 1 ELSE 0 END) AS e{s}_w{w}"));
                columns.push(format!("COALESCE({}, 0)", d.to_double(&format!("a.e{s}_w{w}"))));
            }
            aggs.push(format!("SUM(CASE WHEN {is} THEN 1 ELSE 0 END) AS e{s}_all"));
            columns.push(format!("COALESCE({}, 0)", d.to_double(&format!("a.e{s}_all"))));
            aggs.push(format!("MIN(CASE WHEN {is} THEN age END) AS e{s}_since"));
            columns.push(format!("a.e{s}_since"));
            // Fixed point (2^-32), as the Rust aggregation: the sum does not depend on
            // the order the engine adds in.
            aggs.push(format!(
                "SUM(CASE WHEN {is} THEN {} ELSE 0 END) AS e{s}_decayed",
                d.to_int(&format!("FLOOR(POWER(0.5, age / {hl}) * 4294967296.0)"))
            ));
            columns.push(format!("COALESCE({} / 4294967296.0, 0)", d.to_double(&format!("a.e{s}_decayed"))));
        }
        aggs.push("MIN(age) AS since_any".into());
        columns.push("a.since_any".into());
        aggs.push("COUNT(DISTINCT day) AS active_days".into());
        columns.push(format!("COALESCE({}, 0)", d.to_double("a.active_days")));
        let agg = crate::dialect::sql::cte(d, "ev_agg", &aggs, "ev_cut\n  GROUP BY contact");
        // In the order of [`Self::column_names`].
        let columns = self.column_names().into_iter().zip(columns).collect();
        EventSql {
            ctes: vec![raw, read, cut, agg],
            join: format!("LEFT JOIN ev_agg a ON a.contact = {lead_id}"),
            note: format!(
                "table {table}: contact {:?}, type {:?}, time {:?}; {} kept types{}, windows {:?} days, half-life {} days",
                self.contact_col,
                self.type_col,
                self.time_col,
                self.types.len(),
                if self.other { " and other" } else { "" },
                self.windows,
                self.half_life_days
            ),
            columns,
        }
    }
}
