//! Batch scoring: a saved model plus a table of leads gives, per lead, the probability,
//! a 0-100 score, a tier, the decision and the reasons.
//!
//! Used by the `score` command (and by `demo`). The reasons are exact: each input
//! column's contribution is the sum, over the design columns built from it, of
//! coefficient times the lead's standardised value, so the intercept plus all
//! contributions is the lead's log-odds.

pub mod fast;

use ndarray::Array2;
use polars::prelude::*;

use crate::data::Table;
use crate::error::{polars_err, Error, Result};
use crate::features::Role;
use crate::model::{sigmoid, LeadModel};

/// Scoring options.
#[derive(Debug, Clone)]
pub struct ScoreParams {
    /// Anchor for date columns (days from the common era); default: latest date in the data.
    pub as_of_day: Option<i64>,
    /// How many positive reasons per lead (negatives: one fewer). Default 3; 0 = none.
    pub reasons: usize,
    /// Id column to carry to the output. Default: the model's id column, else row numbers.
    pub id: Option<String>,
}

impl Default for ScoreParams {
    fn default() -> Self {
        ScoreParams {
            as_of_day: None,
            reasons: 3,
            id: None,
        }
    }
}

/// Per-lead, per-input-column contributions to the log-odds (`rows x columns`).
pub fn contributions(model: &LeadModel, x: &Array2<f64>) -> Array2<f64> {
    let ncols = model.features.columns.len();
    let mut out = Array2::zeros((x.nrows(), ncols));
    for (j, f) in model.features.features.iter().enumerate() {
        let c = model.coef[j];
        if c == 0.0 {
            continue;
        }
        let xj = x.column(j);
        let mut oc = out.column_mut(f.column);
        oc.scaled_add(c, &xj);
    }
    out
}

/// The scored leads.
#[derive(Debug, Clone)]
pub struct Scored {
    pub probability: Vec<f64>,
    pub log_odds: Vec<f64>,
    pub design: Array2<f64>,
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
            let id = model.meta.id_column.as_deref().ok_or_else(|| Error::Internal("event model without an id column".into()))?;
            let day = as_of
                .or_else(|| crate::events::default_cutoff_day(log))
                .ok_or_else(|| Error::data(log.path.display().to_string(), "the activity log has no events"))?;
            let cut = crate::events::cutoff_days(&table, None, day)?;
            Ok(spec.append(&table, id, log, &cut)?.0)
        }
    }
}

/// Build the design matrix for `table` and compute probabilities.
pub fn predict_table(model: &LeadModel, table: &Table, as_of_day: Option<i64>) -> Result<Scored> {
    model.features.check_schema(table)?;
    let as_of = match as_of_day {
        Some(d) => Some(d),
        None => model.features.default_as_of(table)?,
    };
    let x = model.features.transform(table, as_of)?;
    let z = model.log_odds(x.view());
    Ok(Scored {
        probability: z.iter().map(|&v| sigmoid(v)).collect(),
        log_odds: z.to_vec(),
        design: x,
    })
}

/// Score every lead of `table`: the output frame for the `score` command.
pub fn score_table(model: &LeadModel, table: &Table, params: &ScoreParams) -> Result<DataFrame> {
    score_rows_from(model, table, params, 1)
}

/// [`score_table`] for a batch whose first lead is row `first_row` of its file (the
/// numbers in the `row` column when there is no id column).
fn score_rows_from(model: &LeadModel, table: &Table, params: &ScoreParams, first_row: u64) -> Result<DataFrame> {
    let scored = predict_table(model, table, params.as_of_day)?;
    let n = table.height();
    let mut cols: Vec<Column> = Vec::new();
    let id = params.id.clone().or(model.meta.id_column.clone());
    match id {
        Some(id) if table.column_names().contains(&id) => {
            table.check_unique_ids(&id)?;
            let c = table
                .column(&id)?
                .cast(&DataType::String)
                .map_err(|e| polars_err(&table.path, e))?;
            cols.push(c);
        }
        Some(id) if params.id.is_some() => {
            table.column(&id)?;
        }
        _ => {
            let rows: Vec<u64> = (first_row..first_row + n as u64).collect();
            cols.push(Column::new("row".into(), rows));
        }
    }
    let p = &scored.probability;
    let thr = model.threshold.value;
    cols.push(Column::new("probability".into(), p.clone()));
    cols.push(Column::new(
        "score".into(),
        p.iter().map(|&v| (v * 100.0).round() as i32).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "tier".into(),
        p.iter().map(|&v| model.tiers.name(v)).collect::<Vec<&str>>(),
    ));
    cols.push(Column::new(
        "decision".into(),
        p.iter().map(|&v| v >= thr).collect::<Vec<_>>(),
    ));
    if params.reasons > 0 {
        let reasons = reason_texts(model, table, &scored.design, params.reasons)?;
        cols.push(Column::new("reasons".into(), reasons));
    }
    DataFrame::new(n, cols).map_err(|e| polars_err(&table.path, e))
}

/// One reason: an input column, the lead's value in it, and its signed contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub column: String,
    pub value: String,
    pub contribution: f64,
}

/// The strongest positive and negative reasons of every lead.
pub fn reasons(model: &LeadModel, table: &Table, x: &Array2<f64>, positive: usize) -> Result<Vec<Vec<Reason>>> {
    let contrib = contributions(model, x);
    let names: Vec<&str> = model.features.input_columns();
    let mut cells: Vec<StringChunked> = Vec::with_capacity(names.len());
    for name in &names {
        let c = table
            .column(name)?
            .cast(&DataType::String)
            .map_err(|e| polars_err(&table.path, e))?;
        cells.push(c.str().map_err(|e| polars_err(&table.path, e))?.clone());
    }
    let mut out = Vec::with_capacity(x.nrows());
    let (mut bottom, mut chosen) = (Vec::new(), Vec::new());
    for (i, row) in contrib.rows().into_iter().enumerate() {
        let row = row.to_vec();
        select_reasons(&row, positive, &mut bottom, &mut chosen);
        let v = chosen
            .iter()
            .map(|&k| Reason {
                column: names[k].to_string(),
                value: reason_value(cells[k].get(i), model.features.columns[k].role == Role::Email).to_string(),
                contribution: row[k],
            })
            .collect();
        out.push(v);
    }
    Ok(out)
}

fn reason_texts(model: &LeadModel, table: &Table, x: &Array2<f64>, positive: usize) -> Result<Vec<String>> {
    let all = reasons(model, table, x, positive)?;
    Ok(all
        .into_iter()
        .map(|v| {
            let mut text = String::new();
            for (k, r) in v.iter().enumerate() {
                if k > 0 {
                    text.push_str("; ");
                }
                write_reason(&mut text, &r.column, &r.value, r.contribution);
            }
            text
        })
        .collect())
}

/// The value a reason shows for a cell (`None` or blank: "(missing)"): the trimmed
/// text, or for an e-mail column the address's kind, never the address itself.
pub(crate) fn reason_value(cell: Option<&str>, email: bool) -> &str {
    match cell.map(str::trim) {
        Some(s) if !s.is_empty() && email => crate::features::text::email_kind(s),
        Some(s) if !s.is_empty() => s,
        _ => "(missing)",
    }
}

/// One reason as the output shows it: `column = value (+0.84)`, the value cut to 37
/// characters and "..." when longer than 40.
pub(crate) fn write_reason(buf: &mut String, column: &str, value: &str, contribution: f64) {
    buf.push_str(column);
    buf.push_str(" = ");
    push_clipped(buf, value);
    buf.push_str(" (");
    push_signed_2dp(buf, contribution);
    buf.push(')');
}

/// The reasons' columns, in the order the general path lists them: the strongest
/// `positive` raising contributions (largest first, ties by column order), then the
/// strongest `positive - 1` lowering ones (most negative first, ties by reverse column
/// order), as a descending sort by `total_cmp` with ties by index, then its reverse.
/// One pass, keeping both short lists sorted.
pub(crate) fn select_reasons(contrib: &[f64], positive: usize, bottom: &mut Vec<usize>, chosen: &mut Vec<usize>) {
    let negative = positive.saturating_sub(1);
    chosen.clear();
    bottom.clear();
    for (k, &c) in contrib.iter().enumerate() {
        if c > 0.0 {
            // After every kept value at least as large (earlier columns first on ties).
            let at = chosen.iter().position(|&b| contrib[b].total_cmp(&c).is_lt()).unwrap_or(chosen.len());
            if at < positive {
                chosen.insert(at, k);
                chosen.truncate(positive);
            }
        } else if c < 0.0 {
            // Before every kept value at least as large (later columns first on ties).
            let at = bottom.iter().position(|&b| contrib[b].total_cmp(&c).is_ge()).unwrap_or(bottom.len());
            if at < negative {
                bottom.insert(at, k);
                bottom.truncate(negative);
            }
        }
    }
    chosen.extend_from_slice(bottom);
}

/// A reason's value, cut to 37 characters and "..." when longer than 40.
fn push_clipped(buf: &mut String, value: &str) {
    if value.len() <= 40 || value.chars().count() <= 40 {
        buf.push_str(value);
    } else {
        let end = value.char_indices().nth(37).map_or(value.len(), |(i, _)| i);
        buf.push_str(&value[..end]);
        buf.push_str("...");
    }
}

/// `format!("{:+.2}", v)` without the formatting machinery, for values not within a
/// hair of a rounding tie (those, and huge values, go through `format!`).
fn push_signed_2dp(buf: &mut String, v: f64) {
    use std::fmt::Write as _;
    let a = v.abs();
    let y = a * 100.0;
    // Below 1e12 the truncation is the floor (y is not negative).
    let small = a < 1e12; // false for NaN too
    let fl = if small { y as u64 } else { 0 };
    let frac = y - fl as f64;
    if !small || (frac - 0.5).abs() < 1e-6 {
        let _ = write!(buf, "{v:+.2}");
        return;
    }
    let r = if frac > 0.5 { fl + 1 } else { fl };
    buf.push(if v.is_sign_negative() { '-' } else { '+' });
    let mut ib = itoa::Buffer::new();
    buf.push_str(ib.format(r / 100));
    let cents = (r % 100) as u8;
    buf.push('.');
    buf.push((b'0' + cents / 10) as char);
    buf.push((b'0' + cents % 10) as char);
}


/// Labels of a table for a model's label column, for `evaluate` and `compare`.
pub fn labels_for(model: &LeadModel, table: &Table) -> Result<(Vec<usize>, Vec<bool>)> {
    let (labels, _, _) = crate::data::read_label(table, &model.meta.label, Some(&model.meta.positive_value))
        .map_err(|e| match e {
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

/// Score a CSV file into a CSV file in batches of `batch` rows, so that memory does not
/// grow with the file: the same output as [`score_table`] on the whole file. When no
/// as-of date is given and the model reads dates, a first pass finds the latest date.
/// Rows in errors count from the start of the file. Returns (rows, decisions).
pub fn score_csv_stream(
    model: &LeadModel,
    input: &std::path::Path,
    output: &std::path::Path,
    params: &ScoreParams,
    batch: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(usize, usize)> {
    use crate::features::Role;
    let file_bytes = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let meta = std::fs::metadata(input).map_err(|e| Error::read(input, e))?;
    if meta.len() == 0 {
        return Err(Error::EmptyFile { path: input.to_path_buf() });
    }
    let crate::data::CsvHead { delimiter, names: header } = crate::data::csv_head(input)?;
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
    let read_batch = |rdr: &mut csv::Reader<std::fs::File>, record: &mut csv::ByteRecord, rows_before: u64, cols: &[usize]| -> Result<Option<Vec<StringChunkedBuilder>>> {
        let mut out: Vec<StringChunkedBuilder> = cols.iter().map(|_| StringChunkedBuilder::new(PlSmallStr::EMPTY, batch)).collect();
        let mut got = 0usize;
        while got < batch {
            let more = rdr.read_byte_record(record).map_err(|e| Error::malformed(input, format!("{e}")))?;
            if !more {
                break;
            }
            let row = rows_before + got as u64 + 1;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if crate::data::is_blank_record(record, header.len()) {
                continue;
            }
            if record.len() != header.len() {
                return Err(Error::RaggedRow { path: input.to_path_buf(), row, line, found: record.len(), expected: header.len() });
            }
            for (k, &c) in cols.iter().enumerate() {
                let field = record.get(c).unwrap_or(b"");
                let s = std::str::from_utf8(field).map_err(|e| Error::InvalidUtf8 {
                    path: input.to_path_buf(),
                    row,
                    line,
                    byte: e.valid_up_to() as u64 + 1,
                })?;
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
    let to_table = |cols: Vec<StringChunkedBuilder>, names: &[String]| -> Result<Table> {
        let columns: Vec<Column> = names
            .iter()
            .zip(cols)
            .map(|(name, b)| b.finish().with_name(name.as_str().into()).into_column())
            .collect();
        let n = columns.first().map(|c| c.len()).unwrap_or(0);
        Ok(Table {
            path: input.to_path_buf(),
            df: DataFrame::new(n, columns).map_err(|e| polars_err(input, e))?,
            sha256: String::new(),
        })
    };

    // Pass 1, when needed: the latest date in the model's date columns.
    let as_of_day = match params.as_of_day {
        Some(d) => Some(d),
        None => {
            let dates: Vec<String> = model.features.columns.iter().filter(|c| c.role == Role::Date).map(|c| c.name.clone()).collect();
            if dates.is_empty() {
                model.features.as_of_day
            } else {
                let cols: Vec<usize> = dates.iter().map(|c| header.iter().position(|h| h == c).unwrap_or(0)).collect();
                let mut r1 = open()?;
                let mut rec = csv::ByteRecord::new();
                let mut best: Option<i64> = None;
                let mut rows = 0u64;
                while let Some(b) = read_batch(&mut r1, &mut rec, rows, &cols)? {
                    let t = to_table(b, &dates)?;
                    let n = t.height() as u64;
                    if let Some(d) = model.features.latest_date(&t).map_err(|e| e.shift_rows(rows))? {
                        best = Some(best.map_or(d, |x: i64| x.max(d)));
                    }
                    rows += n;
                }
                best.or(model.features.as_of_day)
            }
        }
    };
    let batch_params = ScoreParams { as_of_day, reasons: params.reasons, id: id.clone() };

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
            let table = to_table(b, &wanted)?;
            let n = table.height();
            if let Some(idc) = &id {
                let c = table.column(idc)?;
                let ca = c.str().map_err(|e| polars_err(input, e))?;
                for (i, v) in ca.iter().enumerate() {
                    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else { continue };
                    use std::hash::BuildHasher;
                    let key = id_hasher.hash_one(v);
                    let row = rows + i as u64 + 1;
                    if let Some(&first_row) = first_row_of.get(&key) {
                        return Err(Error::DuplicateId {
                            path: input.to_path_buf(),
                            column: idc.clone(),
                            value: crate::error::clip(v),
                            first_row,
                            row,
                        });
                    }
                    first_row_of.insert(key, row);
                }
            }
            let scored = score_rows_from(model, &table, &batch_params, rows + 1).map_err(|e| e.shift_rows(rows))?;
            decisions += scored
                .column("decision")
                .ok()
                .and_then(|c| c.bool().ok().map(|b| b.sum().unwrap_or(0) as usize))
                .unwrap_or(0);
            let mut safe = crate::data::defuse_formulas(&scored).map_err(|e| polars_err(output, e))?;
            CsvWriter::new(&mut *w)
                .include_header(first)
                .finish(&mut safe)
                .map_err(|e| Error::write(output, std::io::Error::other(e.to_string())))?;
            first = false;
            rows += n as u64;
            total += n;
            progress(rdr.position().byte(), file_bytes);
        }
        if total == 0 {
            return Err(Error::HeaderOnly { path: input.to_path_buf() });
        }
        Ok(())
    })?;
    Ok((total, decisions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimal_sign_matches_format() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut vals = vec![0.001, -0.001, 0.005, -0.005, 0.015, 0.125, -0.125, 1.0, -2.675, 99.995, 1e-300, 123456.789];
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let scale = [0.01, 0.1, 1.0, 10.0, 1000.0][(state % 5) as usize];
            vals.push((u - 0.5) * 2.0 * scale);
        }
        for v in vals {
            let mut b = String::new();
            push_signed_2dp(&mut b, v);
            assert_eq!(b, format!("{v:+.2}"), "value {v:e}");
        }
    }

    #[test]
    fn reasons_order_matches_a_sort_with_ties_by_column() {
        // The general path's order: sort descending with ties by index, then reversed.
        let by_sort = |contrib: &[f64], positive: usize| -> Vec<usize> {
            let mut idx: Vec<usize> = (0..contrib.len()).collect();
            idx.sort_by(|&a, &b| contrib[b].total_cmp(&contrib[a]).then(a.cmp(&b)));
            let pos = idx.iter().filter(|&&k| contrib[k] > 0.0).take(positive);
            let neg = idx.iter().rev().filter(|&&k| contrib[k] < 0.0).take(positive.saturating_sub(1));
            pos.chain(neg).copied().collect()
        };
        let (mut bottom, mut chosen) = (Vec::new(), Vec::new());
        let contrib = [0.5, -0.2, 0.5, 0.0, -0.2, 0.9, -0.7];
        select_reasons(&contrib, 3, &mut bottom, &mut chosen);
        assert_eq!(chosen, vec![5, 0, 2, 6, 4]);
        // Random rows with many ties, and every number of reasons.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let row: Vec<f64> = (0..12)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((state % 7) as f64 - 3.0) * 0.25
                })
                .collect();
            for positive in 0..6 {
                select_reasons(&row, positive, &mut bottom, &mut chosen);
                assert_eq!(chosen, by_sort(&row, positive), "{row:?} {positive}");
            }
        }
    }
}
