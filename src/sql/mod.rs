//! The model as one SQL query, for scoring where the leads live (issue 15).
//!
//! `leadscore export-sql` writes a `SELECT` that reads a table with the model's input
//! columns (text, as a CSV loaded raw, or typed) and returns, per lead: the id,
//! `probability`, `score`, `tier`, `decision`, `reasons` (the text `leadscore score`
//! writes) and `problem` (why leadscore would refuse the lead, else NULL; the
//! probability is then NULL). Each part writes its own SQL beside its Rust reading
//! ([`crate::features::NumKind::sql_value`], [`crate::features::CatKind::sql_level`],
//! [`crate::features::NumericPart::sql_contribution`],
//! [`crate::features::LevelPart::sql_contribution`]; the activity log's aggregates in
//! [`crate::events::EventSpec::sql`]); this module only assembles them in common table
//! expressions, each input computed once:
//!
//! 1. `params`: the as-of date (a literal, the engine's current date, or a parameter);
//! 2. `src`: the id and each input column as text (and the activity log's aggregates,
//!    joined by contact id, as numbers);
//! 3. `trimmed`: Unicode white space trimmed as Rust's `str::trim` does;
//! 4. `cells`: placeholders (`Select`, `N/A`, `Vælg`, ...) and empty cells as NULL;
//! 5. `prep`, `vals`: local formats rewritten as plain (`1.234,5` as `1234.5`,
//!    `24-04-2026` as `2026-04-24`), then each part's value or level, and its problem;
//! 6. `xs`: each number part's transformed value (imputed, clamped, log1p'd), once;
//! 7. `contribs`: each input column's contribution to the log-odds, and the first
//!    problem in column order;
//! 8. `scored`: the log-odds, summed as a balanced tree (expression depth grows with
//!    the logarithm of the number of columns, far under DuckDB's limit of 1,000);
//! 9. `pick1a`, `pick1b`, ...: the reasons, chosen as the row scorer chooses them (the
//!    strongest raising contributions, ties by column order; then the strongest
//!    lowering, ties by reverse column order), one largest value and its column per
//!    step: O(columns x reasons), not a sort; each step adds its two columns to the
//!    step before's (`SELECT *`);
//! 10. `shown`: each reason's cell, and an e-mail's kind once when a reason shows it;
//! 11. the probability (the row scorer's two-branch logistic function), score, tier,
//!     decision and the reasons' text.
//!
//! Issue 37 (the query's size, which Spark's code generation pays for): each value is
//! written once and read by name (the transformed numbers in `xs`, the shown cells in
//! `shown`), the steps carry columns with `*`, and doubles are the engine's own
//! literals ([`Dialect::float`]): the sample model's query went from 105 KB to 65 KB.
//!
//! Nothing from the data is trusted: names and levels pass through the dialect's quoting
//! ([`Dialect::ident`], [`Dialect::string`]). Numbers are written with 17 significant
//! digits.

pub mod dbt;

pub(crate) use crate::dialect::sql::cte;
pub use crate::dialect::sql::Dialect;

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::features::part::SqlWeight;
use crate::features::{keywords::PLACEHOLDERS, Part};
use crate::model::LeadModel;
use crate::reasons::{sql_clipped, sql_reason_text, SqlPicks};

/// Which date the query's date columns count back from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOfSql {
    /// A fixed date, written into the query.
    Date(NaiveDate),
    /// The engine's `CURRENT_DATE` when the query runs.
    Today,
    /// A parameter bound when the query runs ([`Dialect::as_of_param`]).
    Param,
    /// A placeholder that [`dbt`] replaces with its Jinja (the dbt var `leadscore_as_of`,
    /// else the engine's current date): `leadscore_dbt_{n}_as_of`.
    Placeholder(u32),
}

/// What the query is asked to do.
#[derive(Debug, Clone)]
pub struct SqlParams {
    pub dialect: Dialect,
    /// The table (or view) holding the leads: a name, quoted as an identifier; a dotted
    /// name (`schema.table`) is quoted part by part.
    pub table: String,
    /// The table holding the activity log, for a model trained with one (its columns
    /// named as in training: contact id, type, time).
    pub events_table: Option<String>,
    /// The date that date columns count back from. Default: the engine's current date.
    pub as_of: AsOfSql,
    /// The id column to return. Default: the model's id column.
    pub id: Option<String>,
    /// Wrap the query in `CREATE OR REPLACE VIEW` with this name.
    pub view: Option<String>,
    /// Positive reasons per lead (negative: one fewer), as `score --reasons`; 0 leaves
    /// the reasons out. Default 3.
    pub reasons: usize,
    /// Also return each reason as three columns (`reason1_column`, `reason1_value`,
    /// `reason1_contribution`, ...).
    pub reason_columns: bool,
}

/// The as-of placeholder [`AsOfSql::Placeholder`] writes ([`dbt`] replaces it).
pub fn as_of_placeholder(n: u32) -> String {
    format!("leadscore_dbt_{n}_as_of")
}

/// A dotted name, each part quoted.
fn dotted(d: Dialect, name: &str) -> String {
    name.split('.').map(|p| d.ident(p)).collect::<Vec<_>>().join(".")
}

/// `terms` summed as a balanced tree of additions (depth log2 of their number).
fn balanced_sum(terms: &[String]) -> String {
    match terms.len() {
        0 => "0.0".into(),
        1 => terms[0].clone(),
        n => format!("({} + {})", balanced_sum(&terms[..n / 2]), balanced_sum(&terms[n / 2..])),
    }
}

/// The query for `model`. `checksum` is the model file's SHA-256, for the header.
pub fn export(model: &LeadModel, params: &SqlParams, checksum: &str) -> Result<String> {
    let d = params.dialect;
    let id = params.id.clone().or(model.meta.id_column.clone()).ok_or_else(|| {
        Error::usage("--id", "the model has no id column; say which column identifies a lead with --id")
    })?;
    check_names(model, params, &id)?;
    let events = activity(model, params, &id)?;
    let mut sql = header(model, params, checksum, events.as_ref());
    if let Some(v) = &params.view {
        sql.push_str(&format!("CREATE OR REPLACE VIEW {} AS\n", dotted(d, v)));
    }
    let as_of = match params.as_of {
        AsOfSql::Date(date) => format!("DATE {}", d.string(&date.to_string())),
        AsOfSql::Today => "CURRENT_DATE".to_string(),
        AsOfSql::Param => d.as_of_param().to_string(),
        AsOfSql::Placeholder(n) => as_of_placeholder(n),
    };
    let mut ctes: Vec<String> = Vec::new();
    ctes.push(format!("{} (\n  SELECT {as_of} AS as_of\n)", d.cte("params")));
    ctes.extend(events.iter().flat_map(|e| e.ctes.iter().cloned()));
    ctes.extend(cell_ctes(model, params, &id, events.as_ref()));
    let (sets, noted) = weighted_ctes(model, d, &mut ctes)?;
    // The reasons (see `reasons`): `positive` raising, then `positive - 1` lowering,
    // each step choosing the largest (smallest) remaining contribution and its column.
    let positive = params.reasons;
    let picks = SqlPicks::new(positive);
    // The input columns, then the pairs: each has a contribution (`k`) and a shown value (`t`).
    let width = model.features.columns.len() + model.pairs.len();
    let k = |i: usize| format!("k{i}");
    let (pick_ctes, last) = picks.ctes(d, width, &k, "scored");
    ctes.extend(pick_ctes);

    let (select, last_ctes) = output(model, params, &id, &picks, (sets, &noted), &last);
    ctes.extend(last_ctes);
    sql.push_str(&format!("WITH {}\nSELECT {}\nFROM probabilities\n", ctes.join(",\n"), select.join(",\n  ")));
    if params.view.is_some() {
        sql.push_str(";\n");
    }
    Ok(sql)
}

/// Refuse a name SQL cannot quote (a NUL character).
fn check_names(model: &LeadModel, params: &SqlParams, id: &str) -> Result<()> {
    let mut names: Vec<&str> = model.features.input_columns();
    names.extend([id, params.table.as_str()]);
    names.extend(params.events_table.as_deref());
    if let Some(v) = &params.view {
        names.push(v);
    }
    for name in names {
        if crate::dialect::sql::has_nul(name) {
            return Err(Error::usage("export-sql", format!("{name:?} holds a NUL character, which SQL cannot quote")));
        }
    }
    Ok(())
}

/// The activity log's SQL (its CTEs, the join and each aggregate), when the model has
/// one; the events table must be named exactly then.
fn activity(model: &LeadModel, params: &SqlParams, id: &str) -> Result<Option<crate::events::EventSql>> {
    let d = params.dialect;
    Ok(match (&model.events, &params.events_table) {
        (Some(spec), Some(t)) => Some(spec.sql(d, &dotted(d, t), &d.as_text(&format!("l.{}", d.ident(id))))),
        (Some(_), None) => {
            return Err(Error::usage(
                "--events-table",
                "the model was trained with an activity log: name the table holding the leads' events",
            ))
        }
        (None, Some(t)) => {
            return Err(Error::usage(
                "--events-table",
                format!("the model was trained without an activity log; {t:?} is not used by it"),
            ))
        }
        (None, None) => None,
    })
}

/// The query's opening comment: the model, the dialect, the as-of date, the log.
fn header(model: &LeadModel, params: &SqlParams, checksum: &str, events: Option<&crate::events::EventSql>) -> String {
    let d = params.dialect;
    let mut sql = String::new();
    let trained_as_of = model.features.as_of_day.and_then(crate::features::cell::from_day_number);
    sql.push_str(&format!(
        "-- leadscore {} export of model {checksum}\n-- model written by leadscore {}, trained on {} ({} rows, \
         label {:?}{})\n-- dialect {}; dates count back from {}\n",
        env!("CARGO_PKG_VERSION"),
        model.meta.crate_version,
        model.meta.data_file.replace(['\n', '\r'], " "),
        model.meta.rows,
        model.meta.label.replace(['\n', '\r'], " "),
        trained_as_of.map_or(String::new(), |a| format!(", data as of {a}")),
        d.name(),
        match params.as_of {
            AsOfSql::Date(a) => a.to_string(),
            AsOfSql::Today => "the engine's current date".into(),
            AsOfSql::Param => format!("a parameter: {}", d.as_of_param_note()),
            AsOfSql::Placeholder(_) => "the dbt var leadscore_as_of, else the engine's current date".into(),
        },
    ));
    if let Some(e) = events {
        sql.push_str(&format!("-- activity log: {}\n", e.note.replace(['\n', '\r'], " ")));
    }
    sql
}

/// `src`, `trimmed` and `cells`: each input column read as text (the log's aggregates
/// as numbers), trimmed, and placeholders made NULL.
fn cell_ctes(model: &LeadModel, params: &SqlParams, id: &str, events: Option<&crate::events::EventSql>) -> Vec<String> {
    let d = params.dialect;
    let cols = &model.features.columns;
    let event_cols: Vec<String> = model.events.as_ref().map(|e| e.column_names()).unwrap_or_default();
    let is_event = |name: &str| event_cols.iter().any(|e| e == name);
    let c = |i: usize| format!("c{i}");
    let t = |i: usize| format!("t{i}");
    let mut ctes = Vec::new();
    // src: the id and each input column as text; the log's aggregates as numbers.
    let mut src = vec![format!("l.{} AS id", d.ident(id)), "p.as_of".to_string()];
    for (i, fc) in cols.iter().enumerate() {
        match events.filter(|_| is_event(&fc.name)) {
            Some(e) => src.push(format!("{} AS {}", e.value(&fc.name), c(i))),
            None => src.push(format!("{} AS {}", d.as_text(&format!("l.{}", d.ident(&fc.name))), c(i))),
        }
    }
    let mut from = format!("{} l CROSS JOIN params p", dotted(d, &params.table));
    if let Some(e) = events {
        from.push_str(&format!("\n  {}", e.join));
    }
    ctes.push(cte(d, "src", &src, &from));

    // trimmed and cells: text columns trimmed, then placeholders as NULL (the trimmed
    // text is kept for the reasons' values).
    let text_col = |i: usize| !is_event(&cols[i].name);
    let mut trimmed = vec!["id".to_string(), "as_of".to_string()];
    for i in 0..cols.len() {
        trimmed.push(if text_col(i) { format!("{} AS {}", d.trim_whitespace(&c(i)), c(i)) } else { c(i) });
    }
    ctes.push(cte(d, "trimmed", &trimmed, "src"));
    let placeholders: Vec<String> = PLACEHOLDERS.iter().map(|p| d.string(&p.to_lowercase())).collect();
    let mut cells = vec!["id".to_string(), "as_of".to_string()];
    for i in 0..cols.len() {
        if text_col(i) {
            cells.push(format!("{} AS {}", c(i), t(i)));
            cells.push(format!(
                "CASE WHEN LOWER({0}) IN ({1}) THEN NULL ELSE {0} END AS {0}",
                c(i),
                placeholders.join(", ")
            ));
        } else {
            cells.push(format!("{} AS {}", d.float_text(&c(i)), t(i)));
            cells.push(c(i));
        }
    }
    ctes.push(cte(d, "cells", &cells, "trimmed"));

    ctes
}

/// The weight sets: the global model's, then each segment's with weights of its own.
type WeightSets<'m> = Vec<(&'m [f64], f64)>;

/// `prep`, `vals`, `contribs` and `scored` into `ctes`: each part's value or level and its
/// problem, each input column's contribution under each weight set, and the log-odds.
/// Returns the weight sets and the
/// columns whose reasons may carry a note on a value beyond the training range (`b{i}`).
fn weighted_ctes<'m>(model: &'m LeadModel, d: Dialect, ctes: &mut Vec<String>) -> Result<(WeightSets<'m>, Vec<usize>)> {
    let cols = &model.features.columns;
    let event_cols: Vec<String> = model.events.as_ref().map(|e| e.column_names()).unwrap_or_default();
    let text_col = |i: usize| !event_cols.iter().any(|e| *e == cols[i].name);
    let c = |i: usize| format!("c{i}");
    // vals: each part's value or level, and its problem; local formats rewritten first
    // (prep), once per cell.
    let mut prep: Vec<String> = vec!["*".to_string()];
    // (Every column of `prep` is carried: `xs` reads each cell again for its problem.)
    let mut vals = vec!["*".to_string()];
    let mut problems = Vec::new();
    // xs: each number part's transformed value (imputed, clamped to the training range,
    // log1p'd), once: its weight, steps and spline terms all read it.
    let mut xs: Vec<String> = vec!["*".to_string()];
    // The weight sets: the global model's, then each segment's with weights of its own
    // (`train --segment-by`), chosen per lead by `seg` (0: the global model's).
    let routed: Vec<&crate::segments::Segment> = model
        .segments
        .iter()
        .flat_map(|s| &s.segments)
        .filter(|g| g.update != crate::segments::Update::Global)
        .collect();
    let sets: Vec<(&[f64], f64)> = std::iter::once((model.coef.as_slice(), model.intercept))
        .chain(routed.iter().map(|g| (g.coef.as_slice(), g.intercept)))
        .collect();
    let mut col_terms: Vec<Vec<Vec<String>>> = vec![vec![Vec::new(); cols.len()]; sets.len()];
    // Each column whose number part reads values beyond the training range as the edge:
    // the note its reason then carries (`b{i}`, computed from `vals`).
    let mut notes: Vec<(usize, String)> = Vec::new();
    let mut j = 0usize;
    let f = &model.features;
    for (i, fc) in cols.iter().enumerate() {
        for (q, part) in fc.parts.iter().enumerate() {
            let name = format!("v{i}_{q}");
            let weights: Vec<Vec<SqlWeight>> = sets
                .iter()
                .map(|(coef, _)| {
                    (j..j + part.width())
                        .map(|x| SqlWeight { coef: coef[x], scale: f.scale[x], center: f.center[x] })
                        .collect()
                })
                .collect();
            j += part.width();
            let mut push_terms = |contribution: &dyn Fn(&[SqlWeight]) -> String| {
                for (set, w) in weights.iter().enumerate() {
                    col_terms[set][i].push(format!("({})", contribution(w)));
                }
            };
            // A number part's contribution: its steps, or its spline terms, from its value
            // and its transformed value (`x{i}_{q}`, in `xs`).
            let x = format!("x{i}_{q}");
            if let Some(p) = part.numeric() {
                xs.push(format!("{} AS {x}", p.sql_transformed(&name, d)));
            }
            let contribution = |name: &str, w: &[SqlWeight]| -> String {
                match part {
                    Part::Spline(sp) => sp.sql_contribution(name, &x, w, d),
                    Part::Numeric(p) => p.sql_contribution(name, &x, w, d),
                    Part::Levels(_) => "0.0".into(),
                }
            };
            if let Some(note) = part.numeric().and_then(|p| p.sql_beyond_note(&name, d)) {
                notes.push((i, note));
            }
            match part {
                Part::Numeric(_) | Part::Spline(_) if !text_col(i) => {
                    vals.push(format!("{} AS {name}", c(i)));
                    push_terms(&|w| contribution(&name, w));
                }
                Part::Numeric(p) | Part::Spline(crate::features::SplinePart { base: p, .. }) => {
                    let read = match p.kind.sql_prepare(&c(i), d) {
                        Some(prepared) => {
                            let name = format!("p{i}_{q}");
                            prep.push(format!("CASE WHEN {} IS NOT NULL THEN {prepared} END AS {name}", c(i)));
                            name
                        }
                        None => c(i),
                    };
                    let value = p.kind.sql_value(&read, "as_of", d);
                    vals.push(format!("{value} AS {name}"));
                    let problem = p.kind.sql_problem(&read, &name, d);
                    problems.push(format!(
                        "CASE WHEN ({problem}) IS NOT NULL THEN {} || ': ' || ({problem}) END",
                        d.string(&format!("column {}", fc.name))
                    ));
                    push_terms(&|w| contribution(&name, w));
                }
                Part::Levels(p) => {
                    vals.push(format!(
                        "CASE WHEN {0} IS NULL THEN NULL ELSE {1} END AS {name}",
                        c(i),
                        p.kind.sql_level(&c(i), d)
                    ));
                    if model.segments.as_ref().is_some_and(|s| s.column == fc.name) {
                        // The segment key is the column's level, as the row scorer reads it.
                        let mut seg =
                            format!("CASE WHEN {0} IS NULL THEN 0 ELSE CASE {1}", c(i), p.kind.sql_level(&c(i), d));
                        for (r, g) in routed.iter().enumerate() {
                            seg.push_str(&format!(" WHEN {} THEN {}", d.string(&g.value), r + 1));
                        }
                        seg.push_str(" ELSE 0 END END AS seg");
                        vals.push(seg);
                    }
                    push_terms(&|w| p.sql_contribution(&name, w, d));
                }
            }
        }
    }
    if j != model.coef.len() {
        return Err(Error::Internal("export-sql: the model's parts and coefficients differ in number".into()));
    }
    let problem =
        if problems.is_empty() { "NULL".to_string() } else { format!("COALESCE({})", problems.join(",\n      ")) };
    xs.push(format!("{problem} AS problem"));
    // The segment route travels with the lead only for a segmented model.
    let seg: Vec<String> = if sets.len() > 1 { vec!["seg".into()] } else { Vec::new() };
    ctes.push(cte(d, "prep", &prep, "cells"));
    ctes.push(cte(d, "vals", &vals, "prep"));
    ctes.push(cte(d, "xs", &xs, "vals"));

    // Each pair's cell from its columns' first parts' values (`v{i}_0`): its contribution
    // and the cell as the reason shows it.
    let pairs: Vec<(String, String)> = model
        .pairs
        .iter()
        .map(|p| {
            let cell = p.sql_cell(&format!("v{}_0", p.a), &format!("v{}_0", p.b), d);
            (p.sql_contribution(&cell, d), p.sql_label(&cell, d))
        })
        .collect();
    ctes.extend(sum_ctes(model, d, &sets, &seg, &col_terms, &notes, &pairs));
    Ok((sets, notes.into_iter().map(|(i, _)| i).collect()))
}

/// `contribs` and `scored`: each input column's contribution, summed over its parts in
/// order under the lead's weight set, then the log-odds as a balanced sum.
fn sum_ctes(
    model: &LeadModel,
    d: Dialect,
    sets: &WeightSets,
    seg: &[String],
    col_terms: &[Vec<Vec<String>>],
    notes: &[(usize, String)],
    pairs: &[(String, String)],
) -> Vec<String> {
    let cols = &model.features.columns;
    let t = |i: usize| format!("t{i}");
    let k = |i: usize| format!("k{i}");
    let mut ctes = Vec::new();
    // contribs: each input column's contribution, summed over its parts in order.
    let mut contribs = vec!["id".to_string(), "problem".to_string()];
    contribs.extend(seg.iter().cloned());
    contribs.extend((0..cols.len()).map(t));
    let by_set = |each: &dyn Fn(usize) -> String| -> String {
        if sets.len() == 1 {
            return each(0);
        }
        let mut e = "CASE seg".to_string();
        for set in 1..sets.len() {
            e.push_str(&format!(" WHEN {set} THEN {}", each(set)));
        }
        e + &format!(" ELSE {} END", each(0))
    };
    for (i, _) in cols.iter().enumerate() {
        let sum = by_set(&|set| {
            let terms = &col_terms[set][i];
            if terms.is_empty() {
                "0.0".to_string()
            } else {
                format!("({})", terms.join(" + "))
            }
        });
        contribs.push(format!("{sum} AS {}", k(i)));
    }
    contribs.extend(notes.iter().map(|(i, note)| format!("{note} AS b{i}")));
    // The pairs after the columns: contribution `k` and shown cell `t`.
    let n = cols.len();
    for (p, (contribution, label)) in pairs.iter().enumerate() {
        contribs.push(format!("{contribution} AS {}", k(n + p)));
        contribs.push(format!("{label} AS {}", t(n + p)));
    }
    ctes.push(cte(d, "contribs", &contribs, "xs"));
    let ks: Vec<String> = (0..n).map(k).collect();
    let mut scored = vec!["id".to_string(), "problem".to_string()];
    scored.extend(seg.iter().cloned());
    scored.extend((0..n + pairs.len()).map(t));
    scored.extend((0..n + pairs.len()).map(k));
    scored.extend(notes.iter().map(|(i, _)| format!("b{i}")));
    let intercept = by_set(&|set| d.float(sets[set].1));
    // The pairs are added after the columns and the intercept, as the row scorer adds them.
    let columns_sum = format!("{intercept} + {}", balanced_sum(&ks));
    scored.push(match pairs.is_empty() {
        true => format!("{columns_sum} AS z"),
        false => {
            let pair_sum: String = (n..n + pairs.len()).map(|p| format!(" + {}", k(p))).collect();
            format!("({columns_sum}){pair_sum} AS z")
        }
    });
    ctes.push(cte(d, "scored", &scored, "contribs"));

    ctes
}

/// The `shown` CTE (each reason's cell), the `probabilities` CTE (the calibrated
/// probability, each reason's column and shown value) and the final select list: id,
/// probability, score, tier, decision, reasons.
fn output(
    model: &LeadModel,
    params: &SqlParams,
    id: &str,
    picks: &SqlPicks,
    (sets, noted): (WeightSets, &[usize]),
    last: &str,
) -> (Vec<String>, Vec<String>) {
    let d = params.dialect;
    let cols = &model.features.columns;
    let t = |i: usize| format!("t{i}");
    let positive = params.reasons;
    let steps = &picks.steps;
    let mut tier = String::from("CASE");
    for (q, cut) in model.tiers.cuts.iter().enumerate().rev() {
        tier.push_str(&format!(" WHEN probability >= {} THEN {}", d.float(*cut), d.string(&model.tiers.names[q + 1])));
    }
    tier.push_str(&format!(
        " WHEN probability IS NOT NULL THEN {} END",
        d.string(model.tiers.names.first().map(String::as_str).unwrap_or("cold"))
    ));
    let mut prob = vec!["id".to_string(), "problem".into()];
    prob.extend((1..=steps.len()).map(|r| format!("m{r}")));
    // The calibration map's SQL (see `calibrate`): the logistic function when none; a
    // segment with weights of its own has none (as in the row scorer).
    let calibrated = model.calibration.sql("z", &|v| d.float(v));
    let probability = match sets.len() {
        1 => calibrated,
        _ => format!(
            "CASE WHEN seg <> 0 THEN {} ELSE {calibrated} END",
            crate::calibrate::Calibration::None.sql("z", &|v| d.float(v))
        ),
    };
    prob.push(format!("CASE WHEN problem IS NOT NULL THEN NULL ELSE {probability} END AS probability"));
    // Each reason's column name and the value it shows, once (the text and the reason
    // columns both read them). The shown cells first (`shown`): each reason's cell
    // (`rt{r}`), and each column whose reason shows something other than its cell (an
    // e-mail's kind) computed once (`e{i}`), for the leads whose reasons show it. Issue
    // 37: each reason wrote every column's shown value again (27 KB of the sample
    // model's 105 KB query).
    let mut from = last.to_string();
    let mut ctes = Vec::new();
    if positive > 0 {
        let n = cols.len();
        let width = n + model.pairs.len();
        let mut shown = vec!["*".to_string()];
        for r in 1..=steps.len() {
            let mut e = format!("CASE s{r}");
            for i in 0..width {
                e.push_str(&format!(" WHEN {i} THEN {}", t(i)));
            }
            shown.push(format!("{e} END AS rt{r}"));
        }
        let mut special = Vec::new();
        for (i, fc) in cols.iter().enumerate() {
            let value = crate::features::kind_of(fc.role).sql_reason_value(&t(i), d);
            if value != t(i) {
                let chosen: Vec<String> = (1..=steps.len()).map(|r| format!("s{r} = {i}")).collect();
                shown.push(format!("CASE WHEN {} THEN {value} END AS e{i}", chosen.join(" OR ")));
                special.push(i);
            }
        }
        ctes.push(cte(d, "shown", &shown, last));
        from = "shown".into();
        let column = |s: &str| -> String {
            let mut e = format!("CASE {s}");
            for (i, fc) in cols.iter().enumerate() {
                e.push_str(&format!(" WHEN {i} THEN {}", d.string(&fc.name)));
            }
            for (p, pair) in model.pairs.iter().enumerate() {
                e.push_str(&format!(" WHEN {} THEN {}", n + p, d.string(&pair.name(cols))));
            }
            e + " END"
        };
        // The shown value: the cell clipped as the row scorer clips it (a pair's cell as
        // it is), NULL when the step found no column.
        let value = |r: usize| -> String {
            let rt = format!("rt{r}");
            let mut shown = rt.clone();
            if !special.is_empty() {
                shown = format!("CASE s{r}");
                for i in &special {
                    shown.push_str(&format!(" WHEN {i} THEN e{i}"));
                }
                shown.push_str(&format!(" ELSE {rt} END"));
            }
            let clipped = sql_clipped(&rt, &shown);
            match model.pairs.is_empty() {
                true => format!("CASE WHEN s{r} IS NULL THEN NULL ELSE {clipped} END"),
                false => format!("CASE WHEN s{r} IS NULL THEN NULL WHEN s{r} >= {n} THEN {rt} ELSE {clipped} END"),
            }
        };
        for r in 1..=steps.len() {
            let s = format!("s{r}");
            prob.push(format!("{} AS rc{r}", column(&s)));
            prob.push(format!("{} AS rv{r}", value(r)));
            // The note on a value beyond the training range (NULL when none), for a model
            // that reads such values as the edge.
            if !noted.is_empty() {
                let mut e = format!("CASE {s}");
                for i in noted {
                    e.push_str(&format!(" WHEN {i} THEN b{i}"));
                }
                prob.push(format!("{e} END AS rn{r}"));
            }
        }
    }
    ctes.push(cte(d, "probabilities", &prob, &from));
    let mut out = vec![
        format!("id AS {}", d.ident(id)),
        "probability".into(),
        format!("{} AS score", d.to_int("FLOOR(probability * 100 + 0.5)")),
        format!("{tier} AS tier"),
        format!("probability >= {} AS decision", d.float(model.threshold.value)),
    ];
    if positive > 0 {
        let mut texts = Vec::new();
        for r in 1..=steps.len() {
            let m = format!("m{r}");
            // rc is NULL exactly when the step found no column.
            let rn = (!noted.is_empty()).then(|| format!("rn{r}"));
            texts.push(sql_reason_text(&format!("rc{r}"), &format!("rv{r}"), rn.as_deref(), &m, d));
            if params.reason_columns {
                out.push(format!("CASE WHEN problem IS NULL THEN rc{r} END AS reason{r}_column"));
                out.push(format!("CASE WHEN problem IS NULL THEN rv{r} END AS reason{r}_value"));
                out.push(format!(
                    "CASE WHEN problem IS NULL AND rc{r} IS NOT NULL THEN {m} END AS reason{r}_contribution"
                ));
            }
        }
        out.push(format!("CASE WHEN problem IS NULL THEN {} END AS reasons", d.join_present(&texts, "; ")));
    }
    out.push("problem".into());
    (out, ctes)
}
