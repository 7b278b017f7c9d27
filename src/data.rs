//! Loading and writing tables: the first and last steps of every command.
//!
//! CSV exports from CRMs arrive with `,`, `;` or tab delimiters, quoted fields, a UTF-8
//! byte-order mark, CRLF endings and often a trailing comma on every line. [`load`] sniffs
//! the delimiter, validates the file's shape in one streaming pass (ragged rows, invalid
//! UTF-8, duplicate column names; each error names the row and line), then reads it with
//! polars with every column as text, so that the feature code decides types and can name
//! the exact cell that does not parse. Parquet is read with its own types.
//!
//! [`write_table`] writes CSV or Parquet (chosen by extension) to a temporary file in the
//! target folder and renames it into place, so a failure never leaves a partial file and
//! an input is never overwritten.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::encoding::{EncodingChoice, Utf8File};
use crate::error::{file_err, polars_err, Error, Result};

/// File formats leadscore reads and writes, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

impl Format {
    /// The format for a path, from its extension (`.csv`, `.tsv`, `.txt`, `.parquet`, `.pq`).
    pub fn of(path: &Path) -> Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Ok(Format::Csv),
            "parquet" | "pq" => Ok(Format::Parquet),
            _ => Err(Error::UnsupportedFormat { path: path.to_path_buf(), ext }),
        }
    }
}

/// A loaded table and where it came from.
#[derive(Debug, Clone)]
pub struct Table {
    pub path: PathBuf,
    pub df: DataFrame,
    /// SHA-256 of the file's bytes, hex: recorded in models as provenance.
    pub sha256: String,
    /// The text encoding a CSV file was read in (none for Parquet).
    pub encoding: Option<crate::encoding::Detected>,
    /// A CSV file's delimiter (none for Parquet): `;` hints at a decimal comma, and
    /// scored files are written back with it.
    pub delimiter: Option<u8>,
}

impl Table {
    pub fn height(&self) -> usize {
        self.df.height()
    }

    /// The id column when none is given: the first column named like one (`id`,
    /// `lead_id`, `Record ID`, `Kontakt-ID`, `contactid`) whose cells are all filled and
    /// all different. `train` and `rules` both use it.
    pub fn find_id_column(&self) -> Option<String> {
        self.find_id_column_except(|_| false)
    }

    /// [`Self::find_id_column`] passing over the columns `skip` names (excluded ones).
    pub fn find_id_column_except(&self, skip: impl Fn(&str) -> bool) -> Option<String> {
        let named_like_id = |name: &str| {
            let n = name.trim().to_lowercase();
            n == "id"
                || ["_id", " id", "-id", ".id", "id_"]
                    .iter()
                    .any(|s| n.ends_with(s) || (s.ends_with('_') && n.starts_with(s)))
                || n.ends_with("contactid")
                || n.ends_with("leadid")
        };
        self.df.columns().iter().find_map(|c| {
            let name = c.name().as_str();
            let unique = c.null_count() == 0 && c.n_unique().is_ok_and(|u| u == c.len());
            (named_like_id(name) && !skip(name) && unique).then(|| name.to_string())
        })
    }

    /// The column with this name, or an error listing the columns the file has.
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.df.column(name).map_err(|_| Error::MissingColumn {
            path: self.path.clone(),
            column: name.to_string(),
            available: self.column_list(),
            hint: if self.df.width() == 1 {
                " (only one column was found: is the file delimited by something other than a comma, semicolon or tab?)"
                    .into()
            } else {
                String::new()
            },
        })
    }

    /// Check that an id column exists and has no repeated value (missing ids are allowed).
    pub fn check_unique_ids(&self, column: &str) -> Result<()> {
        let c = self.column(column)?.cast(&DataType::String).map_err(|e| polars_err(&self.path, e))?;
        let ca = c.str().map_err(|e| polars_err(&self.path, e))?;
        let mut seen: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
        seen.reserve(ca.len());
        for (i, v) in ca.iter().enumerate() {
            let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else { continue };
            if let Some(first) = seen.insert(v, i) {
                return Err(Error::DuplicateId {
                    path: self.path.clone(),
                    column: column.to_string(),
                    value: crate::error::clip(v),
                    first_row: first as u64 + 1,
                    row: i as u64 + 1,
                });
            }
        }
        Ok(())
    }

    pub fn column_names(&self) -> Vec<String> {
        self.df.get_column_names().iter().map(|s| s.to_string()).collect()
    }

    fn column_list(&self) -> String {
        let names = self.column_names();
        let mut shown: Vec<String> = names.iter().take(40).map(|n| format!("{n:?}")).collect();
        if names.len() > 40 {
            shown.push(format!("... ({} in all)", names.len()));
        }
        shown.join(", ")
    }
}

/// Read a CSV or Parquet file into a [`Table`].
pub fn load(path: &Path) -> Result<Table> {
    load_with(path, EncodingChoice::Auto)
}

/// [`load`] with the text encoding of a CSV file decided as `encoding` says
/// ([`crate::encoding`]).
pub fn load_with(path: &Path, encoding: EncodingChoice) -> Result<Table> {
    let format = Format::of(path)?;
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    if meta.is_dir() {
        return Err(Error::malformed(path, "is a folder, not a file"));
    }
    if meta.len() == 0 {
        return Err(Error::EmptyFile { path: path.to_path_buf() });
    }
    let (df, sha256, detected, delimiter) = match format {
        Format::Csv => {
            let text = Utf8File::open(path, encoding)?;
            let (df, sha256, delimiter) = load_csv(&text.path).map_err(|e| text.blame_original(e))?;
            (df, sha256, Some(text.detected), Some(delimiter))
        }
        Format::Parquet => (load_parquet(path)?, file_sha256(path)?, None, None),
    };
    if df.width() == 0 {
        return Err(Error::EmptyFile { path: path.to_path_buf() });
    }
    if df.height() == 0 {
        return Err(Error::HeaderOnly { path: path.to_path_buf() });
    }
    Ok(Table { path: path.to_path_buf(), df, sha256, encoding: detected, delimiter })
}

/// A table from a frame already in memory (a Python DataFrame, through Arrow), named
/// `name` in messages ("(DataFrame)"): typed columns, read as a Parquet file's are. The
/// fingerprint is the SHA-256 of its column names, types and cells as text, so that the
/// same frame gives the same model byte for byte ([`fingerprint`]); `fingerprint: false`
/// leaves it empty where nothing records it (scoring).
pub fn from_frame(df: DataFrame, name: &str, fingerprint: bool) -> Result<Table> {
    let path = PathBuf::from(name);
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    check_duplicate_names(&path, &names)?;
    if df.width() == 0 {
        return Err(Error::EmptyFile { path });
    }
    if df.height() == 0 {
        return Err(Error::HeaderOnly { path });
    }
    let df = utc_times(df, &path)?;
    let sha256 = if fingerprint { frame_sha256(&df, &path)? } else { String::new() };
    Ok(Table { path, df, sha256, encoding: None, delimiter: None })
}

/// SHA-256 over a frame's column names, types and cells (as text, a missing cell apart
/// from an empty one).
fn frame_sha256(df: &DataFrame, path: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    for c in df.columns() {
        hasher.update(c.name().as_bytes());
        hasher.update([0u8]);
        hasher.update(c.dtype().to_string().as_bytes());
        hasher.update([0u8]);
        let text = c.cast(&DataType::String).map_err(|e| polars_err(path, e))?;
        for v in text.str().map_err(|e| polars_err(path, e))?.iter() {
            match v {
                Some(v) => {
                    hasher.update([1u8]);
                    hasher.update((v.len() as u64).to_le_bytes());
                    hasher.update(v.as_bytes());
                }
                None => hasher.update([2u8]),
            }
        }
    }
    Ok(hex(&hasher.finalize()))
}

fn file_sha256(path: &Path) -> Result<String> {
    let mut f = File::open(path).map_err(|e| Error::read(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::read(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// A file's name without its folder, as summaries show it (the whole path when it has no
/// name, as `.` or `/`).
pub fn file_name(p: &Path) -> String {
    p.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_else(|| p.display().to_string())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the validating pass learned about a CSV file.
#[derive(Debug)]
struct CsvShape {
    rows: u64,
    /// SHA-256 of the file's bytes, hex, taken in the same pass.
    sha256: String,
}

/// A CSV file's delimiter and header names, as every CSV reader here takes them.
#[derive(Debug)]
pub(crate) struct CsvHead {
    pub delimiter: u8,
    pub names: Vec<String>,
}

/// The csv crate's reader as leadscore reads CSV: the given delimiter, the header read
/// as a record, records of any length (their length is checked by the caller).
pub(crate) fn csv_reader<R: Read>(inner: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(inner)
}

/// The names of a header record: trimmed, the first without a byte-order mark.
pub(crate) fn header_names(record: &csv::ByteRecord) -> Vec<String> {
    let mut names: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect();
    if let Some(first) = names.first_mut() {
        *first = first.trim_start_matches('\u{feff}').trim().to_string();
    }
    names
}

/// A lone empty field in a file of several columns: a blank line, which CSV readers skip.
pub(crate) fn is_blank_record(record: &csv::ByteRecord, width: usize) -> bool {
    record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) && width > 1
}

/// The one CSV record rule, for loading, the streaming scorer and the parallel one: a
/// blank line is skipped (`Ok(false)`); a record with another number of fields than the
/// header's `width` is a ragged row; a field that is not UTF-8 (of `fields`, or of all
/// when `None`) is refused. `row` counts the records that are not blank, from 1.
pub(crate) fn check_record(
    path: &Path,
    record: &csv::ByteRecord,
    width: usize,
    row: u64,
    fields: Option<&[usize]>,
) -> Result<bool> {
    if is_blank_record(record, width) {
        return Ok(false);
    }
    let line = record.position().map(|p| p.line()).unwrap_or(0);
    if record.len() != width {
        return Err(Error::RaggedRow { path: path.to_path_buf(), row, line, found: record.len(), expected: width });
    }
    let all: Vec<usize>;
    let fields = match fields {
        Some(f) => f,
        None => {
            all = (0..record.len()).collect();
            &all
        }
    };
    for &i in fields {
        if let Err(e) = std::str::from_utf8(record.get(i).unwrap_or(b"")) {
            // The byte's place in the line: the fields before it and their delimiters.
            let before: usize = (0..i).map(|k| record.get(k).map_or(0, <[u8]>::len) + 1).sum();
            let byte = (before + e.valid_up_to()) as u64 + 1;
            return Err(Error::InvalidUtf8 { path: path.to_path_buf(), row, line, byte });
        }
    }
    Ok(true)
}

/// The delimiter (sniffed from the first line) and the header's names, from the first
/// record only. An empty or blank file is [`Error::EmptyFile`].
pub(crate) fn csv_head(path: &Path) -> Result<CsvHead> {
    let body = head_bytes(path)?;
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::EmptyFile { path: path.to_path_buf() });
    }
    let delimiter = sniff_delimiter(&body);
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
    let mut record = csv::ByteRecord::new();
    match csv_reader(file, delimiter).read_byte_record(&mut record) {
        Ok(true) => Ok(CsvHead { delimiter, names: header_names(&record) }),
        Ok(false) => Err(Error::EmptyFile { path: path.to_path_buf() }),
        Err(e) => Err(Error::malformed(path, format!("{e}"))),
    }
}

/// A reader that hashes what passes through it, so the validation pass also gives the
/// file's checksum without reading the file again.
pub(crate) struct HashingReader<R> {
    pub inner: R,
    pub hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Pick the delimiter from the header line: the most frequent of `,` `;` tab outside quotes.
pub(crate) fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &b in head {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => break,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let cands = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    cands[best]
}

/// The first 64 KiB of a file without its UTF-8 byte-order mark, for sniffing.
pub(crate) fn head_bytes(path: &Path) -> Result<Vec<u8>> {
    let mut f = File::open(path).map_err(|e| Error::read(path, e))?;
    let mut head = vec![0u8; 64 * 1024];
    let mut filled = 0;
    while filled < head.len() {
        let n = f.read(&mut head[filled..]).map_err(|e| Error::read(path, e))?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    Ok(match head.strip_prefix(b"\xEF\xBB\xBF") {
        Some(b) => b.to_vec(),
        None => head,
    })
}

/// One streaming pass with the `csv` crate over a file whose head is `head`: the row
/// count, the checksum, and the first ragged row or invalid UTF-8, named by row and line.
fn inspect_csv(path: &Path, head: &CsvHead) -> Result<CsvShape> {
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
    let mut rdr = csv_reader(
        HashingReader { inner: std::io::BufReader::with_capacity(1 << 20, file), hasher: Sha256::new() },
        head.delimiter,
    );
    let width = head.names.len();
    let mut record = csv::ByteRecord::new();
    let mut seen_header = false;
    let mut rows = 0u64;
    loop {
        let more = rdr.read_byte_record(&mut record).map_err(|e| match e.kind() {
            csv::ErrorKind::Io(io) => Error::read(path, std::io::Error::new(io.kind(), io.to_string())),
            _ => Error::malformed(path, format!("{e}")),
        })?;
        if !more {
            break;
        }
        if !seen_header {
            // Row 0 is the header.
            if let Err(e) = std::str::from_utf8(record.as_slice()) {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let byte = e.valid_up_to() as u64 + 1;
                return Err(Error::InvalidUtf8 { path: path.to_path_buf(), row: 0, line, byte });
            }
            seen_header = true;
            continue;
        }
        if check_record(path, &record, width, rows + 1, None)? {
            rows += 1;
        }
    }
    if !seen_header {
        return Err(Error::EmptyFile { path: path.to_path_buf() });
    }
    if rows == 0 {
        return Err(Error::HeaderOnly { path: path.to_path_buf() });
    }
    // The loop above read to the end of the file, so the hash covers all of it.
    let sha256 = hex(&rdr.into_inner().hasher.finalize());
    Ok(CsvShape { rows, sha256 })
}

pub(crate) fn check_duplicate_names(path: &Path, names: &[String]) -> Result<()> {
    let mut sorted: Vec<&String> = names.iter().filter(|n| !n.is_empty()).collect();
    sorted.sort();
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            let count = names.iter().filter(|n| *n == w[0]).count();
            return Err(Error::DuplicateColumn { path: path.to_path_buf(), name: w[0].clone(), count });
        }
    }
    Ok(())
}

pub(crate) fn load_csv(path: &Path) -> Result<(DataFrame, String, u8)> {
    // The validating pass and polars' read run side by side; the pass's verdict (ragged
    // rows, invalid UTF-8, named by row and line) comes first.
    let head = csv_head(path)?;
    check_duplicate_names(path, &head.names)?;
    let (shape, read) = rayon::join(|| inspect_csv(path, &head), || read_csv_text(path, &head));
    let shape = shape?;
    let df = read?;
    if df.height() as u64 != shape.rows {
        return Err(Error::malformed(
            path,
            format!("read {} rows but the file has {} data rows; check quoting", df.height(), shape.rows),
        ));
    }
    // Drop unnamed columns that are empty throughout (trailing commas); an unnamed column
    // with values is kept under its placeholder name.
    let mut keep = Vec::new();
    for c in df.columns() {
        let unnamed = c.name().starts_with("__unnamed_");
        if unnamed && c.null_count() == c.len() {
            continue;
        }
        keep.push(c.clone());
    }
    let df = DataFrame::new(df.height(), keep).map_err(|e| polars_err(path, e))?;
    Ok((df, shape.sha256, head.delimiter))
}

/// The CSV read by polars with every column as text, under the given header.
fn read_csv_text(path: &Path, head: &CsvHead) -> Result<DataFrame> {
    // Give every column an explicit name and the String type: the header we validated,
    // with the trailing unnamed column (from trailing commas) named so we can drop it.
    let names: Vec<PlSmallStr> = head
        .names
        .iter()
        .enumerate()
        .map(
            |(i, n)| {
                if n.is_empty() {
                    PlSmallStr::from(format!("__unnamed_{i}"))
                } else {
                    PlSmallStr::from(n.as_str())
                }
            },
        )
        .collect();
    let schema: Schema = names.iter().map(|n| Field::new(n.clone(), DataType::String)).collect();
    let parse = CsvParseOptions::default().with_separator(head.delimiter).with_missing_is_null(true);
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .with_parse_options(parse)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .map_err(|e| file_err(path, e))?
        .finish()
        .map_err(|e| file_err(path, e))
}

fn load_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
    let df = ParquetReader::new(file).finish().map_err(|e| file_err(path, e))?;
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    check_duplicate_names(path, &names)?;
    utc_times(df, path)
}

/// Timestamps with a time zone as their UTC times without one: the days a date column
/// counts are UTC days (this build reads no time zones; polars could not even write such
/// a cell as text).
fn utc_times(mut df: DataFrame, path: &Path) -> Result<DataFrame> {
    let zoned: Vec<(String, TimeUnit)> = df
        .columns()
        .iter()
        .filter_map(|c| match c.dtype() {
            DataType::Datetime(unit, Some(_)) => Some((c.name().to_string(), *unit)),
            _ => None,
        })
        .collect();
    for (name, unit) in zoned {
        let c = df.column(&name).map_err(|e| polars_err(path, e))?;
        let physical = c.cast(&DataType::Int64).map_err(|e| polars_err(path, e))?;
        let naive = physical.cast(&DataType::Datetime(unit, None)).map_err(|e| polars_err(path, e))?;
        df.with_column(naive).map_err(|e| polars_err(path, e))?;
    }
    Ok(df)
}

/// Refuse to write `output` when it is one of the inputs, or exists and `force` is off.
pub fn check_output(output: &Path, inputs: &[&Path], force: bool) -> Result<()> {
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::usage(output.display().to_string(), "the output folder does not exist"));
    }
    if output.is_dir() {
        return Err(Error::usage(output.display().to_string(), "is a folder; give a file name"));
    }
    let out_canon = canonical_target(output);
    for input in inputs {
        if let Ok(inp) = std::fs::canonicalize(input) {
            if Some(&inp) == out_canon.as_ref() {
                return Err(Error::OutputIsInput { path: output.to_path_buf(), input: input.to_path_buf() });
            }
        }
    }
    if output.exists() && !force {
        return Err(Error::OutputExists { path: output.to_path_buf() });
    }
    Ok(())
}

/// Canonical path of a file that may not exist yet (its folder must).
fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(parent).ok()?;
    Some(dir.join(path.file_name()?))
}

/// Standard input copied to a temporary file named `standard-input.{ext}`, so that every
/// reader (encoding sniffing, the validating pass, the parallel scorer) reads it as a
/// file. The folder is removed when the returned guard drops.
pub fn spool_stdin(ext: &str) -> Result<(tempfile::TempDir, PathBuf)> {
    let failed = |e: std::io::Error| Error::Internal(format!("spooling standard input: {e}"));
    let dir = tempfile::tempdir().map_err(failed)?;
    let path = dir.path().join(format!("standard-input.{ext}"));
    let mut f = File::create(&path).map_err(failed)?;
    std::io::copy(&mut std::io::stdin().lock(), &mut f).map_err(|e| Error::read(Path::new("(standard input)"), e))?;
    Ok((dir, path))
}

/// `write` into a temporary file named `name`, then that file copied whole to `out`
/// (standard output, `shown` in messages): a failed run writes nothing to `out`, and the
/// bytes are those of a file-to-file run. Errors naming the temporary file name `shown`.
pub fn through_temp_file(
    name: &str,
    shown: &Path,
    write: impl FnOnce(&Path) -> Result<()>,
    out: &mut dyn Write,
) -> Result<()> {
    let failed = |e: std::io::Error| Error::Internal(format!("a temporary file for {}: {e}", shown.display()));
    let dir = tempfile::tempdir().map_err(failed)?;
    let tmp = dir.path().join(name);
    write(&tmp).map_err(|e| e.with_path(&tmp, shown))?;
    let mut f = File::open(&tmp).map_err(failed)?;
    std::io::copy(&mut f, out).and_then(|_| out.flush()).map_err(|e| Error::write(shown, e))?;
    Ok(())
}

/// Write to a temporary file beside `path`, then rename it into place. `fill` writes the
/// content; if it fails, the temporary file is removed and `path` is untouched.
pub fn atomic_write<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> Result<()>,
{
    atomic_write_if(path, |w| fill(w).map(|()| true)).map(|_| ())
}

/// [`atomic_write`] where `fill` may decide not to keep what it wrote (`Ok(false)`): the
/// temporary file is then removed, `path` is untouched, and the answer is `false`.
pub fn atomic_write_if<F>(path: &Path, fill: F) -> Result<bool>
where
    F: FnOnce(&mut BufWriter<&mut File>) -> Result<bool>,
{
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::usage(path.display().to_string(), "the output folder does not exist"));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".leadscore-").suffix(".tmp");
    // Outputs are ordinary files (readable by others, as the umask allows), not 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(|e| Error::write(path, e))?;
    {
        let file = tmp.as_file_mut();
        let mut w = BufWriter::new(file);
        if !fill(&mut w)? {
            return Ok(false);
        }
        w.flush().map_err(|e| Error::write(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::write(path, e))?;
    tmp.persist(path).map_err(|e| Error::write(path, e.error))?;
    // The rename itself made durable (a model's history relies on it after a power
    // cut); a folder that cannot be opened to sync is no failure of the write.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(true)
}

/// Write text (a report, a rules file) atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    atomic_write(path, |w| w.write_all(text.as_bytes()).map_err(|e| Error::write(path, e)))
}

/// Write a table as CSV or Parquet (by the extension of `path`), atomically.
///
/// In CSV, text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
/// `@`) is prefixed with a single quote: ids and pass-through values come from CRM
/// exports and are untrusted.
pub fn write_table(df: &mut DataFrame, path: &Path) -> Result<()> {
    write_table_as(df, path, crate::dialect::Dialect::PLAIN)
}

/// [`write_table`] with a CSV written in `dialect` ([`crate::dialect`]).
pub fn write_table_as(df: &mut DataFrame, path: &Path, dialect: crate::dialect::Dialect) -> Result<()> {
    let format = Format::of(path)?;
    match format {
        Format::Csv => {
            let mut safe = defuse_formulas(df).map_err(|e| polars_err(path, e))?;
            atomic_write(path, |w| {
                if dialect.bom {
                    w.write_all(crate::dialect::Dialect::BOM).map_err(|e| Error::write(path, e))?;
                }
                CsvWriter::new(w)
                    .include_header(true)
                    .with_separator(dialect.delimiter)
                    .with_decimal_comma(dialect.decimal_comma)
                    .finish(&mut safe)
                    .map_err(|e| polars_io_err(path, e))
            })
        }
        Format::Parquet => {
            atomic_write(path, |w| ParquetWriter::new(w).finish(df).map(|_| ()).map_err(|e| polars_io_err(path, e)))
        }
    }
}

fn polars_io_err(path: &Path, e: PolarsError) -> Error {
    match e {
        PolarsError::IO { error, .. } => {
            let kind = error.kind();
            Error::write(path, std::io::Error::new(kind, error.to_string()))
        }
        other => Error::write(path, std::io::Error::other(other.to_string())),
    }
}

/// The number of rows of a frame the library made (scored leads, events).
pub fn row_count(df: &DataFrame) -> usize {
    df.height()
}

/// The first `n` rows of `columns`, as text ([`cell_text`]).
pub fn first_rows(df: &DataFrame, columns: &[&str], n: usize) -> Vec<Vec<String>> {
    (0..df.height().min(n)).map(|i| columns.iter().map(|c| cell_text(df, c, i)).collect()).collect()
}

/// One cell of a frame as plain text (empty when missing), for summaries.
pub fn cell_text(df: &DataFrame, column: &str, row: usize) -> String {
    df.column(column)
        .ok()
        .and_then(|c| c.get(row).ok().map(|v| v.to_string().trim_matches('"').to_string()))
        .unwrap_or_default()
}

/// Does this text start like a spreadsheet formula?
pub fn looks_like_formula(s: &str) -> bool {
    matches!(s.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')) && s.parse::<f64>().is_err()
}

/// Text as CSV outputs write it: a leading `=`, `+`, `-`, `@`, tab or CR gets a `'`.
pub fn defuse_text(s: &str) -> String {
    if looks_like_formula(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

pub(crate) fn defuse_formulas(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut cols = Vec::with_capacity(df.width());
    for c in df.columns() {
        if c.dtype() == &DataType::String {
            let ca = c.str()?;
            if ca.iter().flatten().any(looks_like_formula) {
                let fixed: StringChunked = ca
                    .iter()
                    .map(|v| v.map(|s| if looks_like_formula(s) { format!("'{s}") } else { s.to_string() }))
                    .collect();
                cols.push(fixed.with_name(c.name().clone()).into_column());
                continue;
            }
        }
        cols.push(c.clone());
    }
    DataFrame::new(df.height(), cols)
}

/// Read a binary label column: `Some(true)` for the positive class, `None` where missing.
/// Returns the labels and the positive and negative values as written in the file.
pub fn read_label(table: &Table, column: &str, positive: Option<&str>) -> Result<(Vec<Option<bool>>, String, String)> {
    let col = table.column(column)?;
    let text = col.cast(&DataType::String).map_err(|e| polars_err(&table.path, e))?;
    let ca = text.str().map_err(|e| polars_err(&table.path, e))?;
    let bad = |problem: String| Error::BadLabel { path: table.path.clone(), column: column.to_string(), problem };
    let mut values: Vec<(String, usize)> = Vec::new();
    let mut keys: Vec<Option<usize>> = Vec::with_capacity(ca.len());
    for v in ca.iter() {
        // Placeholders (`N/A`, `Select`, `Vælg`) are no outcome, like an empty cell.
        let t = crate::cell::clean(v);
        match t {
            None => keys.push(None),
            Some(t) => {
                let idx = match values.iter().position(|(s, _)| s.eq_ignore_ascii_case(t)) {
                    Some(i) => i,
                    None => {
                        values.push((t.to_string(), 0));
                        if values.len() > 2 {
                            let shown: Vec<String> =
                                values.iter().map(|(s, _)| format!("{:?}", crate::error::clip(s))).collect();
                            return Err(bad(format!(
                                "must have exactly two values (won/lost), found at least three: {}",
                                shown.join(", ")
                            )));
                        }
                        values.len() - 1
                    }
                };
                values[idx].1 += 1;
                keys.push(Some(idx));
            }
        }
    }
    match values.len() {
        0 => return Err(bad("is empty in every row".into())),
        1 => {
            return Err(bad(format!(
                "has only one value, {:?} ({} rows); a model needs both won and lost leads",
                values[0].0, values[0].1
            )))
        }
        _ => {}
    }
    let pos_idx = match positive {
        Some(p) => {
            let p = p.trim();
            values.iter().position(|(s, _)| s.eq_ignore_ascii_case(p)).ok_or_else(|| {
                bad(format!("has values {:?} and {:?}; --positive {:?} is neither", values[0].0, values[1].0, p))
            })?
        }
        None => {
            // A known won word against anything else, or a known lost word against
            // anything else (the keyword tables, in seven languages).
            use crate::keywords::{is_one_of, LOST, WON};
            let (won, lost) = (|s: &str| is_one_of(WON, s), |s: &str| is_one_of(LOST, s));
            let (a, b) = (&values[0].0, &values[1].0);
            match (won(a), won(b), lost(a), lost(b)) {
                (true, false, _, _) => 0,
                (false, true, _, _) => 1,
                (false, false, false, true) => 0,
                (false, false, true, false) => 1,
                _ => {
                    return Err(bad(format!(
                        "has values {:?} and {:?}; say which one means won with --positive",
                        values[0].0, values[1].0
                    )))
                }
            }
        }
    };
    let labels = keys.into_iter().map(|k| k.map(|i| i == pos_idx)).collect();
    Ok((labels, values[pos_idx].0.clone(), values[1 - pos_idx].0.clone()))
}
