//! The fast path of `score`: a CSV file of leads in, a CSV file of scores out, on every
//! core, in bounded memory.
//!
//! Where it sits: the `score` command tries [`score_csv_fast`] first when both files are
//! CSV and no activity log is involved. A cell the model cannot read is reported here,
//! with its file, column, row and value, as every path reports it. The file is handed to
//! the general path ([`super::score_csv_stream`]: polars columns, [`super::score_table`],
//! polars' CSV writer) when this path meets what it does not handle exactly: a ragged
//! row, invalid UTF-8, a repeated id, a missing column, a file without rows, a record
//! longer than [`MAX_CARRY`]; the general path then names the row (and line), and
//! nothing written here is left behind. When this path succeeds, its output is byte for
//! byte what the general path writes (tested in `tests/train_score.rs`).
//!
//! How: the file is read in blocks of whole records, cut into pieces
//! ([`super::blocks`], a block reader with no model in it). The pieces are parsed
//! ([`split_record`], or the csv crate for what that does not read exactly) and scored in
//! parallel (rayon), each lead going
//! straight from its fields to its output line through the one per-lead arithmetic,
//! [`super::row::RowScorer`]. Numbers are written with the formatters polars uses (zmij
//! for floats, itoa for integers). The pieces' outputs are written in file order while
//! the next block is read and scored.

use std::hash::BuildHasher;
use std::io::Write;

use std::path::Path;

use rayon::prelude::*;

use super::blocks::{for_each_block, header_end, split_record, Split, Step, Stop};
pub use super::blocks::{BLOCK, MAX_CARRY};
use super::params::{OnBadRow, Reject, ScoreParams};
use super::row::{RowScorer, RowState};
use crate::data::looks_like_formula;
use crate::error::{Error, Result};
use crate::features::cell::{clean, Cell, Problem};
use crate::model::LeadModel;

/// The model compiled for scoring one lead at a time from its CSV fields.
struct Plan<'m> {
    scorer: RowScorer<'m>,
    /// The field of each of the model's input columns.
    fields: Vec<usize>,
    nfields: usize,
    delimiter: u8,
    /// How the output is written.
    out: crate::dialect::Dialect,
    id_field: Option<usize>,
    reasons: usize,
    tiers: Vec<Vec<u8>>,
}

/// What the fast path did: scored the file, or handed it over.
pub enum Outcome {
    /// (rows scored, decisions, leads set aside)
    Scored(usize, usize, Vec<Reject>),
    /// Call [`super::score_csv_stream`], which gives the same output or the error.
    HandedOver,
}

/// Score `input` (CSV) into `output` (CSV) on every core.
pub fn score_csv_fast(
    model: &LeadModel,
    input: &Path,
    output: &Path,
    params: &ScoreParams,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Outcome> {
    score_csv_fast_in_blocks(model, input, output, params, BLOCK, progress)
}

/// [`score_csv_fast`] reading blocks of `block` bytes (tests use small ones, so that
/// records and quotes straddle blocks).
#[doc(hidden)]
pub fn score_csv_fast_in_blocks(
    model: &LeadModel,
    input: &Path,
    output: &Path,
    params: &ScoreParams,
    block: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Outcome> {
    let block = block.max(1);
    if model.events.is_some() {
        return Ok(Outcome::HandedOver);
    }
    let Ok(head) = crate::data::csv_head(input) else { return Ok(Outcome::HandedOver) };
    let Some(data_start) = header_end(input, head.delimiter) else { return Ok(Outcome::HandedOver) };
    let header = &head.names;
    let field_of = |name: &str| header.iter().position(|h| h == name);
    if let Some(given) = &params.id {
        if field_of(given).is_none() {
            return Ok(Outcome::HandedOver);
        }
    }
    let id = params.id.clone().or(model.meta.id_column.clone()).filter(|c| field_of(c).is_some());
    let scorer = RowScorer::new(model)?;
    let Some(fields) = scorer.columns().map(field_of).collect::<Option<Vec<usize>>>() else {
        return Ok(Outcome::HandedOver);
    };
    let dialect = params.out_dialect();
    let sep = dialect.delimiter;
    let tiers = model
        .tiers
        .names
        .iter()
        .map(|t| {
            let mut b = Vec::new();
            push_defused(&mut b, t, sep);
            b
        })
        .collect();
    let plan = Plan {
        scorer,
        fields,
        nfields: header.len(),
        delimiter: head.delimiter,
        out: dialect,
        id_field: id.as_deref().and_then(field_of),
        reasons: params.reasons,
        tiers,
    };
    let file_bytes = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let as_of = params.as_of_day;
    // Score into a temporary file, renamed into place at the end. The ids' 64-bit hashes
    // are kept (8 bytes per lead, reserved once from the first piece's bytes per lead) and
    // sorted at the end: a repeat hands the file to the general path, which names both
    // rows.
    let mut id_hashes: Vec<u64> = Vec::new();
    let mut rows = 0usize;
    let mut records = 0usize;
    let mut decisions = 0usize;
    let mut rejects: Vec<Reject> = Vec::new();
    let id_name = id.clone().unwrap_or_else(|| "row".to_string());
    let names: Vec<&str> = model.features.input_columns();
    let sep_out = dialect;
    let kept = crate::data::atomic_write_if(output, |w| {
        let mut head_line = Vec::new();
        if sep_out.bom {
            head_line.extend_from_slice(crate::dialect::Dialect::BOM);
        }
        push_csv_str(&mut head_line, id_name.as_bytes(), sep);
        for name in ["probability", "score", "tier", "decision"] {
            head_line.push(sep);
            head_line.extend_from_slice(name.as_bytes());
        }
        if plan.reasons > 0 {
            head_line.push(sep);
            head_line.extend_from_slice(b"reasons");
        }
        head_line.push(b'\n');
        w.write_all(&head_line).map_err(|e| Error::write(output, e))?;
        let pass = for_each_block(
            input,
            data_start,
            plan.delimiter,
            block,
            &|piece| plan.score_piece(piece, as_of, params.on_bad_row),
            &mut |mut out: PieceOut| {
                if let Some(bad) = &out.bad {
                    let row = (records + bad.row + 1) as u64;
                    return Err(Stop::Fail(bad.problem.at(input, names[bad.column], row, &bad.value)));
                }
                rejects.extend(out.rejects.drain(..).map(|(bad, id)| Reject {
                    row: (records + bad.row + 1) as u64,
                    id,
                    column: names[bad.column].to_string(),
                    value: crate::error::clip(&bad.value),
                    reason: bad.problem.describe().to_string(),
                }));
                if id_hashes.capacity() == 0 && !out.ids.is_empty() {
                    let per_lead = (out.input_bytes / out.rows.max(1)).max(1) as u64;
                    id_hashes.reserve((file_bytes / per_lead + file_bytes / per_lead / 10 + 1024) as usize);
                }
                id_hashes.extend_from_slice(&out.ids);
                if plan.id_field.is_none() {
                    out.renumber(records as u64);
                }
                w.write_all(&out.bytes).map_err(|e| Stop::Fail(Error::write(output, e)))?;
                rows += out.rows;
                records += out.records;
                decisions += out.decisions;
                Ok(())
            },
            &mut |done| progress(done, file_bytes),
        );
        let pass = pass.and_then(|()| {
            id_hashes.par_sort_unstable();
            match id_hashes.windows(2).any(|w| w[0] == w[1]) {
                true => Err(Stop::Fallback),
                false => Ok(()),
            }
        });
        match pass {
            Ok(()) => Ok(records > 0),
            Err(Stop::Fallback) => Ok(false),
            Err(Stop::Fail(e)) => Err(e),
        }
    })?;
    Ok(if kept { Outcome::Scored(rows, decisions, rejects) } else { Outcome::HandedOver })
}

/// The first cell of a piece the model cannot read.
struct BadCell {
    /// The lead's index within the piece.
    row: usize,
    column: usize,
    problem: Problem,
    value: String,
}

/// What scoring one piece gives.
struct PieceOut {
    bytes: Vec<u8>,
    /// Bytes of input the piece held.
    input_bytes: usize,
    /// Leads scored (lines written).
    rows: usize,
    /// Records read, scored or set aside.
    records: usize,
    decisions: usize,
    /// Hashes of the trimmed, non-empty ids, for the duplicate check.
    ids: Vec<u64>,
    /// Where each line's row number starts in `bytes`, and its record's index in the
    /// piece (no id column: numbered later).
    row_marks: Vec<(usize, usize)>,
    /// Scoring stopped at this cell.
    bad: Option<BadCell>,
    /// Leads set aside, with their ids.
    rejects: Vec<(BadCell, Option<String>)>,
}

impl PieceOut {
    /// Without an id column, each line starts with its row number, counted from the
    /// start of the file: written here, once the rows before this piece are known.
    fn renumber(&mut self, before: u64) {
        let mut out = Vec::with_capacity(self.bytes.len() + self.rows * 8);
        let mut buf = itoa::Buffer::new();
        let mut from = 0usize;
        for &(mark, record) in &self.row_marks {
            out.extend_from_slice(&self.bytes[from..mark]);
            out.extend_from_slice(buf.format(before + record as u64 + 1).as_bytes());
            from = mark;
        }
        out.extend_from_slice(&self.bytes[from..]);
        self.bytes = out;
    }
}

/// Seed of the id hashes (any fixed value: only equality matters).
const ID_SEED: u64 = 0x1ead_5c0e;

impl Plan<'_> {
    /// Call `each` with the fields of every record of `piece` to score, skipping blank
    /// lines as the general path does. The fields in `wanted` are checked to be UTF-8.
    /// A piece that is all UTF-8 is split by [`split_record`]; from the first record
    /// that one does not read exactly as csv-core would (a doubled quote, a quote inside
    /// an unquoted field), and for a piece that is not all UTF-8, the csv crate reads.
    /// `each` returns false to stop.
    fn each_record(&self, piece: &[u8], wanted: &[usize], each: &mut dyn FnMut(&[&str]) -> bool) -> Step<()> {
        let mut fields: Vec<&str> = Vec::with_capacity(self.nfields);
        let mut pos = 0usize;
        if let Ok(text) = std::str::from_utf8(piece) {
            loop {
                match split_record(text, pos, self.delimiter, &mut fields) {
                    Split::Record(next) => {
                        if fields.len() != self.nfields {
                            return Err(Stop::Fallback);
                        }
                        if !each(&fields) {
                            return Ok(());
                        }
                        pos = next;
                    }
                    Split::End => return Ok(()),
                    Split::Unsupported(start) => {
                        pos = start;
                        break;
                    }
                }
            }
        }
        let mut rdr = crate::data::csv_reader(&piece[pos..], self.delimiter);
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).map_err(|_| Stop::Fallback)? {
            // The record rule of every path; what it refuses, the general path names.
            match crate::data::check_record(Path::new(""), &rec, self.nfields, 0, Some(wanted)) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(_) => return Err(Stop::Fallback),
            }
            let mut owned: Vec<&str> = vec![""; self.nfields];
            for &i in wanted {
                owned[i] = std::str::from_utf8(rec.get(i).unwrap_or(b"")).unwrap_or("");
            }
            if !each(&owned) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Score every lead of a piece into its output lines.
    fn score_piece(&self, piece: &[u8], as_of: i64, on_bad_row: OnBadRow) -> Step<PieceOut> {
        let m = self.scorer.model;
        let mut st: RowState = self.scorer.state();
        let mut out = PieceOut {
            bytes: Vec::with_capacity(piece.len() + piece.len() / 2),
            input_bytes: piece.len(),
            rows: 0,
            records: 0,
            decisions: 0,
            ids: Vec::new(),
            row_marks: Vec::new(),
            bad: None,
            rejects: Vec::new(),
        };
        let mut text_buf = String::with_capacity(256);
        let hasher = foldhash::fast::FixedState::with_seed(ID_SEED);
        let mut zbuf = zmij::Buffer::new();
        let mut ibuf = itoa::Buffer::new();
        let sep = self.out.delimiter;
        let mut wanted: Vec<usize> = self.fields.clone();
        wanted.extend(self.id_field);
        self.each_record(piece, &wanted, &mut |rec| {
            let z = match self.scorer.log_odds(|k| Cell::text(Some(rec[self.fields[k]])), as_of, &mut st) {
                Ok(z) => z,
                Err(e) => {
                    let value = clean(Some(rec[self.fields[e.column]])).unwrap_or("").to_string();
                    let bad = BadCell { row: out.records, column: e.column, problem: e.problem, value };
                    if on_bad_row == OnBadRow::Reject {
                        let id = self.id_field.map(|f| rec[f].to_string());
                        out.rejects.push((bad, id));
                        out.records += 1;
                        return true;
                    }
                    out.bad = Some(bad);
                    return false;
                }
            };
            let prob = self.scorer.probability(z, &st);
            // The line: id (or row number), probability, score, tier, decision, reasons.
            match self.id_field {
                Some(fi) => {
                    let id = rec[fi];
                    if !id.is_empty() {
                        push_defused(&mut out.bytes, id, sep);
                    }
                    let t = id.trim();
                    if !t.is_empty() {
                        out.ids.push(hasher.hash_one(t));
                    }
                }
                None => out.row_marks.push((out.bytes.len(), out.records)),
            }
            out.bytes.push(sep);
            self.out.push_float(&mut out.bytes, zbuf.format(prob));
            out.bytes.push(sep);
            let verdict = m.verdict(prob);
            out.bytes.extend_from_slice(ibuf.format(verdict.score).as_bytes());
            out.bytes.push(sep);
            out.bytes.extend_from_slice(&self.tiers[verdict.tier]);
            out.bytes.push(sep);
            out.bytes.extend_from_slice(if verdict.decision { b"true" } else { b"false" });
            out.decisions += verdict.decision as usize;
            if self.reasons > 0 {
                let mark = self.out.mark();
                self.scorer.reason_text(&mut st, self.reasons, |k| Some(rec[self.fields[k]]), mark, &mut text_buf);
                out.bytes.push(sep);
                push_defused(&mut out.bytes, &text_buf, sep);
            }
            out.bytes.push(b'\n');
            out.rows += 1;
            out.records += 1;
            true
        })?;
        Ok(out)
    }
}

/// A text cell as polars writes a string column after `defuse_formulas`: a leading
/// `=`, `+`, `-`, `@`, tab or CR gets a `'`, then CSV quoting where needed.
fn push_defused(buf: &mut Vec<u8>, s: &str, sep: u8) {
    if looks_like_formula(s) {
        let mut t = String::with_capacity(s.len() + 1);
        t.push('\'');
        t.push_str(s);
        push_csv_str(buf, t.as_bytes(), sep);
    } else {
        push_csv_str(buf, s.as_bytes(), sep);
    }
}

/// polars' `QuoteStyle::Necessary` for a non-null string: `""` when empty; quoted when
/// it holds the delimiter `sep`, a newline or a quote, with quotes doubled.
fn push_csv_str(buf: &mut Vec<u8>, s: &[u8], sep: u8) {
    if s.is_empty() {
        buf.extend_from_slice(b"\"\"");
        return;
    }
    if memchr::memchr3(sep, b'\n', b'\r', s).is_none() && memchr::memchr(b'"', s).is_none() {
        buf.extend_from_slice(s);
        return;
    }
    buf.push(b'"');
    let mut from = 0;
    for q in memchr::memchr_iter(b'"', s) {
        buf.extend_from_slice(&s[from..=q]);
        buf.push(b'"');
        from = q + 1;
    }
    buf.extend_from_slice(&s[from..]);
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_strings_quote_as_polars_does() {
        let cases =
            [("", "\"\""), ("a", "a"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("x\ny", "\"x\ny\"")];
        for (s, want) in cases {
            let mut b = Vec::new();
            push_csv_str(&mut b, s.as_bytes(), b',');
            assert_eq!(String::from_utf8(b).unwrap(), want);
        }
        let mut b = Vec::new();
        push_defused(&mut b, "=SUM(A1)", b',');
        assert_eq!(String::from_utf8(b).unwrap(), "'=SUM(A1)");
    }
}
