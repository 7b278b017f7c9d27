//! Batch scoring: a saved model plus a table of leads gives, per lead, the probability,
//! a 0-100 score, a tier, the decision and the reasons.
//!
//! Used by the `score` command (and by `demo`, `evaluate`, `compare`, `report`). Every
//! path computes each lead with the one per-lead arithmetic in [`row`]: the parallel
//! CSV-to-CSV scorer ([`fast`]), the in-memory path over a loaded table
//! ([`score_table`], [`predict_table`]) and the streaming path, which runs the in-memory
//! path batch by batch ([`score_csv_stream`]). The reasons are exact: each input
//! column's contribution is the sum, over the design columns built from it, of
//! coefficient times the lead's standardised value, so the intercept plus all
//! contributions is the lead's log-odds.

mod blocks;
pub mod fast;
mod lead;
mod params;
pub mod row;

use polars::prelude::*;

use crate::data::Table;
use crate::error::{Error, Result};
use crate::features::cell::clean;
use crate::features::ColumnCells;
use crate::model::LeadModel;
pub use lead::{read_scored, ScoredLead};
pub use params::{OnBadRow, Reject, ScoreParams};
pub use row::{Reason, RowScorer};

/// Called with (row index, model column, cleaned value, problem) for a lead set aside.
type OnBadCell<'a> = dyn FnMut(usize, usize, &str, &crate::features::cell::Problem) + 'a;

/// Write rejected leads as CSV (row, id, column, value, reason), atomically.
pub fn write_rejects(path: &std::path::Path, rejects: &[Reject]) -> Result<()> {
    crate::data::atomic_write(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        let err = |e: csv::Error| Error::write(path, std::io::Error::other(e.to_string()));
        out.write_record(["row", "id", "column", "value", "reason"]).map_err(err)?;
        for r in rejects {
            let row = r.row.to_string();
            let id = r.id.as_deref().map(crate::data::defuse_text).unwrap_or_default();
            out.write_record([row.as_str(), &id, &r.column, &crate::data::defuse_text(&r.value), &r.reason])
                .map_err(err)?;
        }
        out.flush().map_err(|e| Error::write(path, e))
    })
}

/// Append the model's event features to `table` from `log` (cut off at the end of
/// `as_of`, default: the day of the log's latest event). A table is returned as it is
/// when the model uses no activity log.
pub fn with_events(
    model: &LeadModel,
    table: Table,
    log: Option<&crate::events::EventLog>,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Table> {
    match (&model.events, log) {
        (None, None) => Ok(table),
        (None, Some(l)) => Err(Error::usage(
            "--events",
            format!("the model was trained without an activity log; {} is not used by it", l.path.display()),
        )),
        (Some(_), None) => Err(Error::usage(
            "--events",
            "the model was trained with an activity log: give the leads' events with --events",
        )),
        (Some(spec), Some(log)) => {
            let id = model
                .meta
                .id_column
                .as_deref()
                .ok_or_else(|| Error::Internal("event model without an id column".into()))?;
            let day = as_of
                .or_else(|| crate::events::default_cutoff_day(log))
                .ok_or_else(|| Error::data(log.path.display().to_string(), "the activity log has no events"))?;
            let cut = crate::events::cutoff_days(&table, None, day)?;
            Ok(spec.append(&table, id, log, &cut)?.0)
        }
    }
}

/// A table's leads predicted, column by column (the batch form; one lead's full answer
/// is a [`ScoredLead`]).
#[derive(Debug, Clone)]
pub struct Predictions {
    pub probability: Vec<f64>,
    pub log_odds: Vec<f64>,
    /// The reasons' text per lead, when asked for.
    pub reasons: Option<Vec<String>>,
}

/// A lead explained: its log-odds, each input column's contribution, its reasons.
#[derive(Debug, Clone)]
pub struct Explained {
    pub log_odds: f64,
    pub contributions: Vec<f64>,
    pub reasons: Vec<Reason>,
}

/// The in-memory driver: every lead of `table` through the row scorer, calling `each`
/// with its row index, log-odds, and the scorer and state (for its reasons) and its
/// cells' text.
fn each_lead(
    model: &LeadModel,
    table: &Table,
    as_of_day: i64,
    mut on_bad: Option<&mut OnBadCell>,
    mut each: impl for<'a> FnMut(usize, f64, &RowScorer, &mut row::RowState, &'a dyn Fn(usize) -> Option<&'a str>),
) -> Result<()> {
    model.features.check_schema(table)?;
    let scorer = RowScorer::new(model)?;
    let cols: Vec<ColumnCells> =
        model.features.columns.iter().map(|fc| ColumnCells::read(table, fc)).collect::<Result<_>>()?;
    let texts: Vec<Vec<Option<&str>>> = cols.iter().map(|c| c.texts()).collect();
    let mut st = scorer.state();
    for i in 0..table.height() {
        let z = match scorer.log_odds(|k| cols[k].cell(&texts[k], i), as_of_day, &mut st) {
            Ok(z) => z,
            Err(e) => {
                let value = clean(texts[e.column][i]).unwrap_or("");
                match on_bad.as_mut() {
                    Some(f) => {
                        f(i, e.column, value, &e.problem);
                        continue;
                    }
                    None => {
                        let name = &model.features.columns[e.column].name;
                        return Err(e.problem.at(&table.path, name, i as u64 + 1, value));
                    }
                }
            }
        };
        each(i, z, &scorer, &mut st, &|k| texts[k][i]);
    }
    Ok(())
}

/// Probabilities (and log-odds) of every lead of `table`; `reasons` > 0 also gives the
/// reasons' text. `as_of_day` anchors date columns (see [`crate::as_of`]).
pub fn predict_table_with(model: &LeadModel, table: &Table, as_of_day: i64, reasons: usize) -> Result<Predictions> {
    Ok(predict_rows(model, table, as_of_day, reasons, '.', None)?.1)
}

/// [`predict_table_with`] where the leads `on_bad` sets aside are skipped: the indices of
/// the leads scored, and their scores.
fn predict_rows(
    model: &LeadModel,
    table: &Table,
    as_of_day: i64,
    reasons: usize,
    mark: char,
    on_bad: Option<&mut OnBadCell>,
) -> Result<(Vec<usize>, Predictions)> {
    let n = table.height();
    let mut kept = Vec::with_capacity(n);
    let mut out = Predictions {
        probability: Vec::with_capacity(n),
        log_odds: Vec::with_capacity(n),
        reasons: (reasons > 0).then(Vec::new),
    };
    let mut buf = String::new();
    each_lead(model, table, as_of_day, on_bad, |i, z, scorer, st, text| {
        kept.push(i);
        out.log_odds.push(z);
        out.probability.push(scorer.probability(z, st));
        if let Some(r) = &mut out.reasons {
            scorer.reason_text(st, reasons, text, mark, &mut buf);
            r.push(buf.clone());
        }
    })?;
    Ok((kept, out))
}

/// Probabilities of the leads of `table` every cell of which the model reads: their row
/// indices and probabilities (`monitor` counts the others).
pub fn predict_readable(model: &LeadModel, table: &Table, as_of_day: i64) -> Result<(Vec<usize>, Vec<f64>)> {
    let mut skip = |_: usize, _: usize, _: &str, _: &crate::features::cell::Problem| {};
    let (kept, scored) = predict_rows(model, table, as_of_day, 0, '.', Some(&mut skip))?;
    Ok((kept, scored.probability))
}

/// Probabilities (and log-odds) of every lead of `table`.
pub fn predict_table(model: &LeadModel, table: &Table, as_of_day: i64) -> Result<Predictions> {
    predict_table_with(model, table, as_of_day, 0)
}

/// Every lead of `table` explained, with `positive` reasons up (one fewer down).
pub fn explain_table(model: &LeadModel, table: &Table, as_of_day: i64, positive: usize) -> Result<Vec<Explained>> {
    let mut out = Vec::with_capacity(table.height());
    each_lead(model, table, as_of_day, None, |_, z, scorer, st, text| {
        let reasons = scorer.reasons(st, positive, text);
        out.push(Explained { log_odds: z, contributions: st.contributions().to_vec(), reasons });
    })?;
    Ok(out)
}

/// How many leads of a scored frame are at or above the threshold.
pub fn count_decisions(scored: &DataFrame) -> usize {
    scored.column("decision").ok().and_then(|c| c.bool().ok().map(|b| b.sum().unwrap_or(0) as usize)).unwrap_or(0)
}

/// Score every lead of `table`: the output frame for the `score` command.
pub fn score_table(model: &LeadModel, table: &Table, params: &ScoreParams) -> Result<DataFrame> {
    Ok(score_rows_from(model, table, params, 1)?.0)
}

/// [`score_table`], also returning the leads set aside (`params.on_bad_row`).
pub fn score_table_with_rejects(
    model: &LeadModel,
    table: &Table,
    params: &ScoreParams,
) -> Result<(DataFrame, Vec<Reject>)> {
    score_rows_from(model, table, params, 1)
}

/// [`score_table`] for a batch whose first lead is row `first_row` of its file (the
/// numbers in the `row` column when there is no id column), with the leads set aside
/// (rows counted from `first_row`) when `params.on_bad_row` says so.
fn score_rows_from(
    model: &LeadModel,
    table: &Table,
    params: &ScoreParams,
    first_row: u64,
) -> Result<(DataFrame, Vec<Reject>)> {
    let n = table.height();
    let id = params.id.clone().or(model.meta.id_column.clone());
    let internal = |e: PolarsError| Error::Internal(format!("building the scores of {}: {e}", table.path.display()));
    let id_col = match &id {
        Some(id) if table.column_names().contains(id) => {
            table.check_unique_ids(id)?;
            Some(table.column(id)?.cast(&DataType::String).map_err(internal)?)
        }
        Some(id) if params.id.is_some() => {
            table.column(id)?;
            None
        }
        _ => None,
    };
    let ids: Option<&StringChunked> = match &id_col {
        Some(c) => Some(c.str().map_err(internal)?),
        None => None,
    };
    let mut rejects = Vec::new();
    let mut set_aside = |i: usize, column: usize, value: &str, problem: &crate::features::cell::Problem| {
        rejects.push(Reject {
            row: first_row + i as u64,
            id: ids.and_then(|c| c.get(i)).map(str::to_string),
            column: model.features.columns[column].name.clone(),
            value: crate::error::clip(value),
            reason: problem.describe().to_string(),
        })
    };
    let on_bad: Option<&mut OnBadCell> = match params.on_bad_row {
        OnBadRow::Fail => None,
        OnBadRow::Reject => Some(&mut set_aside),
    };
    let (kept, scored) =
        predict_rows(model, table, params.as_of_day, params.reasons, params.out_dialect().mark(), on_bad)?;
    let mut cols: Vec<Column> = Vec::new();
    match &id_col {
        Some(c) if kept.len() == n => cols.push(c.clone()),
        Some(c) => {
            let idx = IdxCa::from_vec("".into(), kept.iter().map(|&i| i as IdxSize).collect());
            cols.push(c.take(&idx).map_err(internal)?);
        }
        None => cols.push(Column::new("row".into(), kept.iter().map(|&i| first_row + i as u64).collect::<Vec<_>>())),
    }
    let p = &scored.probability;
    let verdicts: Vec<crate::model::Verdict> = p.iter().map(|&v| model.verdict(v)).collect();
    cols.push(Column::new("probability".into(), p.clone()));
    cols.push(Column::new("score".into(), verdicts.iter().map(|v| v.score).collect::<Vec<_>>()));
    let tier_names: Vec<&str> = verdicts.iter().map(|v| model.tiers.names[v.tier].as_str()).collect();
    cols.push(Column::new("tier".into(), tier_names));
    cols.push(Column::new("decision".into(), verdicts.iter().map(|v| v.decision).collect::<Vec<_>>()));
    if let Some(reasons) = scored.reasons {
        cols.push(Column::new("reasons".into(), reasons));
    }
    Ok((DataFrame::new(kept.len(), cols).map_err(internal)?, rejects))
}

/// Labels of a table for a model's label column, for `evaluate` and `compare`.
pub fn labels_for(model: &LeadModel, table: &Table) -> Result<(Vec<usize>, Vec<bool>)> {
    let (labels, _, _) =
        crate::data::read_label(table, &model.meta.label, Some(&model.meta.positive_value)).map_err(|e| match e {
            Error::BadLabel { path, column, problem } => Error::BadLabel {
                path,
                column,
                problem: format!(
                    "{problem} (the model was trained with {:?} = won, {:?} = lost)",
                    model.meta.positive_value, model.meta.negative_value
                ),
            },
            other => other,
        })?;
    let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i].is_some()).collect();
    let y = rows.iter().map(|&i| labels[i] == Some(true)).collect();
    Ok((rows, y))
}

/// Rows per batch when scoring a CSV file as a stream.
pub const STREAM_BATCH: usize = 100_000;

/// Can `model` score `input` into `output` as a stream (CSV to CSV, no activity log)?
pub fn can_stream(model: &LeadModel, input: &std::path::Path, output: &std::path::Path) -> bool {
    use crate::data::Format;
    model.events.is_none()
        && matches!(Format::of(input), Ok(Format::Csv))
        && matches!(Format::of(output), Ok(Format::Csv))
}

/// Which path scored a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The parallel CSV-to-CSV path ([`fast`]).
    Parallel,
    /// The streaming path ([`score_csv_stream`]), in batches of [`STREAM_BATCH`].
    Streaming,
}

/// How a CSV file was scored.
#[derive(Debug, Clone)]
pub struct CsvScored {
    /// Leads set aside (`params.on_bad_row`).
    pub rejects: Vec<Reject>,
    pub rows: usize,
    pub decisions: usize,
    pub route: Route,
    pub encoding: crate::encoding::Detected,
}

/// Score a CSV file into a CSV file: the parallel path, which hands the file to the
/// streaming path when it must (`streaming_only` goes there directly). A file in another
/// text encoding than UTF-8 is decoded first ([`crate::encoding`]). `progress` hears the
/// route, the bytes read and the file's size.
pub fn score_csv_file(
    model: &LeadModel,
    input: &std::path::Path,
    output: &std::path::Path,
    params: &ScoreParams,
    encoding: crate::encoding::EncodingChoice,
    streaming_only: bool,
    progress: &mut dyn FnMut(Route, u64, u64),
) -> Result<CsvScored> {
    let text = crate::encoding::Utf8File::open(input, encoding)?;
    let scored =
        |rows, decisions, route, rejects| CsvScored { rejects, rows, decisions, route, encoding: text.detected };
    // Written back as the input came, unless the caller fixed a dialect.
    let mut params = params.clone();
    if params.dialect == crate::dialect::OutputDialect::Auto {
        let head = crate::data::csv_head(&text.path).map_err(|e| text.blame_original(e))?;
        params.dialect = params.dialect.resolve(head.delimiter, Some(text.detected), model.reads_decimal_commas());
    }
    let params = &params;
    if !streaming_only {
        let outcome =
            fast::score_csv_fast(model, &text.path, output, params, &mut |d, t| progress(Route::Parallel, d, t))
                .map_err(|e| text.blame_original(e))?;
        if let fast::Outcome::Scored(rows, decisions, rejects) = outcome {
            return Ok(scored(rows, decisions, Route::Parallel, rejects));
        }
    }
    let (rows, decisions, rejects) =
        score_csv_stream(model, &text.path, output, params, STREAM_BATCH, &mut |d, t| progress(Route::Streaming, d, t))
            .map_err(|e| text.blame_original(e))?;
    Ok(scored(rows, decisions, Route::Streaming, rejects))
}

/// One batch's columns (`names`) as a table of text cells.
fn batch_table(input: &std::path::Path, cols: Vec<StringChunkedBuilder>, names: &[String]) -> Result<Table> {
    let columns: Vec<Column> =
        names.iter().zip(cols).map(|(name, b)| b.finish().with_name(name.as_str().into()).into_column()).collect();
    let n = columns.first().map(|c| c.len()).unwrap_or(0);
    Ok(Table {
        path: input.to_path_buf(),
        df: DataFrame::new(n, columns).map_err(|e| Error::Internal(format!("{}: {e}", input.display())))?,
        sha256: String::new(),
        encoding: None,
        delimiter: None,
    })
}

/// Refuse an id the file held before: the ids seen so far are kept as 64-bit hashes
/// with the row they were first seen on (16 bytes per lead, the one thing that grows).
fn check_new_ids(
    input: &std::path::Path,
    table: &Table,
    idc: &str,
    rows_before: u64,
    (seen, hasher): (&mut foldhash::HashMap<u64, u64>, &foldhash::fast::FixedState),
) -> Result<()> {
    let c = table.column(idc)?;
    let ca = c.str().map_err(|e| Error::Internal(format!("{}: {e}", input.display())))?;
    for (i, v) in ca.iter().enumerate() {
        let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else { continue };
        use std::hash::BuildHasher;
        let key = hasher.hash_one(v);
        let row = rows_before + i as u64 + 1;
        if let Some(&first_row) = seen.get(&key) {
            return Err(Error::DuplicateId {
                path: input.to_path_buf(),
                column: idc.to_string(),
                value: crate::error::clip(v),
                first_row,
                row,
            });
        }
        seen.insert(key, row);
    }
    Ok(())
}

/// Score a CSV file into a CSV file in batches of `batch` rows, so that memory does not
/// grow with the file: the same output as [`score_table`] on the whole file. Rows in
/// errors count from the start of the file. Returns (rows scored, decisions, leads set
/// aside).
pub fn score_csv_stream(
    model: &LeadModel,
    input: &std::path::Path,
    output: &std::path::Path,
    params: &ScoreParams,
    batch: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(usize, usize, Vec<Reject>)> {
    let file_bytes = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let meta = std::fs::metadata(input).map_err(|e| Error::read(input, e))?;
    if meta.len() == 0 {
        return Err(Error::EmptyFile { path: input.to_path_buf() });
    }
    let crate::data::CsvHead { delimiter, names: header } = crate::data::csv_head(input)?;
    let dialect = params.out_dialect();
    // A reader past the header record (already read by `csv_head`).
    let open = || -> Result<csv::Reader<std::fs::File>> {
        let f = std::fs::File::open(input).map_err(|e| Error::read(input, e))?;
        let mut rdr = crate::data::csv_reader(f, delimiter);
        rdr.read_byte_record(&mut csv::ByteRecord::new()).map_err(|e| Error::malformed(input, format!("{e}")))?;
        Ok(rdr)
    };
    let mut rdr = open()?;
    let mut record = csv::ByteRecord::new();
    let needed: Vec<String> = model.features.input_columns().iter().map(|s| s.to_string()).collect();
    let missing: Vec<String> = needed.iter().filter(|c| !header.contains(c)).cloned().collect();
    if !missing.is_empty() {
        return Err(Error::MissingModelColumns { path: input.to_path_buf(), missing });
    }
    let id = params.id.clone().or(model.meta.id_column.clone()).filter(|c| header.contains(c));
    if let Some(given) = &params.id {
        if !header.contains(given) {
            return Err(Error::MissingColumn {
                path: input.to_path_buf(),
                column: given.clone(),
                available: header.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", "),
                hint: String::new(),
            });
        }
    }
    let mut wanted: Vec<String> = needed.clone();
    if let Some(i) = &id {
        if !wanted.contains(i) {
            wanted.push(i.clone());
        }
    }
    let idx: Vec<usize> = wanted.iter().map(|c| header.iter().position(|h| h == c).unwrap_or(0)).collect();

    // Read the next batch of the wanted columns; None at the end of the file.
    let read_batch = |rdr: &mut csv::Reader<std::fs::File>,
                      record: &mut csv::ByteRecord,
                      rows_before: u64,
                      cols: &[usize]|
     -> Result<Option<Vec<StringChunkedBuilder>>> {
        let mut out: Vec<StringChunkedBuilder> =
            cols.iter().map(|_| StringChunkedBuilder::new(PlSmallStr::EMPTY, batch)).collect();
        let mut got = 0usize;
        while got < batch {
            let more = rdr.read_byte_record(record).map_err(|e| Error::malformed(input, format!("{e}")))?;
            if !more {
                break;
            }
            let row = rows_before + got as u64 + 1;
            if !crate::data::check_record(input, record, header.len(), row, Some(cols))? {
                continue;
            }
            for (k, &c) in cols.iter().enumerate() {
                // UTF-8, checked by the record rule.
                let s = std::str::from_utf8(record.get(c).unwrap_or(b"")).unwrap_or("");
                if s.is_empty() {
                    out[k].append_null();
                } else {
                    out[k].append_value(s);
                }
            }
            got += 1;
        }
        Ok(if got == 0 { None } else { Some(out) })
    };
    let as_of_day = params.as_of_day;
    let batch_params =
        ScoreParams { as_of_day, reasons: params.reasons, id: id.clone(), on_bad_row: params.on_bad_row, ..*params };
    let mut rejects: Vec<Reject> = Vec::new();

    // Pass 2: score batch by batch into a temporary file, renamed into place at the end.
    // Ids seen so far, by 64-bit hash: 16 bytes per lead, the one thing that grows.
    let mut first_row_of: foldhash::HashMap<u64, u64> = foldhash::HashMap::default();
    let id_hasher = foldhash::fast::FixedState::with_seed(0x1ead_5c0e);
    let mut total = 0usize;
    let mut decisions = 0usize;
    crate::data::atomic_write(output, |w| {
        let mut rows = 0u64;
        let mut first = true;
        while let Some(b) = read_batch(&mut rdr, &mut record, rows, &idx)? {
            let table = batch_table(input, b, &wanted)?;
            let n = table.height();
            if let Some(idc) = &id {
                check_new_ids(input, &table, idc, rows, (&mut first_row_of, &id_hasher))?;
            }
            let (scored, set_aside) =
                score_rows_from(model, &table, &batch_params, rows + 1).map_err(|e| e.shift_rows(rows))?;
            rejects.extend(set_aside);
            decisions += count_decisions(&scored);
            let mut safe = crate::data::defuse_formulas(&scored)
                .map_err(|e| Error::Internal(format!("{}: {e}", output.display())))?;
            if first && dialect.bom {
                std::io::Write::write_all(w, crate::dialect::Dialect::BOM).map_err(|e| Error::write(output, e))?;
            }
            CsvWriter::new(&mut *w)
                .include_header(first)
                .with_separator(dialect.delimiter)
                .with_decimal_comma(dialect.decimal_comma)
                .finish(&mut safe)
                .map_err(|e| Error::write(output, std::io::Error::other(e.to_string())))?;
            first = false;
            rows += n as u64;
            total += scored.height();
            progress(rdr.position().byte(), file_bytes);
        }
        if rows == 0 {
            return Err(Error::HeaderOnly { path: input.to_path_buf() });
        }
        Ok(())
    })?;
    Ok((total, decisions, rejects))
}
