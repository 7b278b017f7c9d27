//! `train --sample N`: a stratified sample of a CSV file's rows, drawn while streaming
//! the file, so that training on an export larger than memory needs memory for the
//! sample only.
//!
//! Sits before loading ([`crate::data`]): the file is read once, record by record (the
//! same record rules as loading: ragged rows and invalid UTF-8 named by row and line;
//! other encodings transcoded to a temporary UTF-8 copy first, as loading does). Each
//! row gets a pseudo-random key from `--seed` and its row number; per label value
//! (stratum) the rows with the N smallest keys are kept (a bounded heap: at most N rows
//! per stratum in memory). At the end each stratum gets its share of N (largest
//! remainders), its rows with the smallest keys, in file order; they are loaded as the
//! table to train on. The same file and seed always give the same sample, and the model
//! records that it was trained on one ([`SampleInfo`]).

use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::{check_duplicate_names, check_record, csv_head, csv_reader, load_csv, HashingReader, Table};
use crate::encoding::{EncodingChoice, Utf8File};
use crate::error::{Error, Result};

/// How a model's training rows were sampled from its file (stored in the model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleInfo {
    /// Data rows in the file.
    pub rows_in_file: u64,
    /// Rows drawn.
    pub rows_sampled: u64,
    pub seed: u64,
    /// Rows per label value in the file (the label's text, trimmed and lower-cased;
    /// empty for a missing label), in order of first appearance.
    pub strata: Vec<(String, u64)>,
}

impl SampleInfo {
    /// The share of the file's rows drawn.
    pub fn rate(&self) -> f64 {
        if self.rows_in_file == 0 {
            1.0
        } else {
            self.rows_sampled as f64 / self.rows_in_file as f64
        }
    }
}

/// Distinct label values stratified by; the rest share one stratum.
const MAX_STRATA: usize = 64;

/// One stratum's kept rows: (key, row, slot) as a max-heap by key, and the records in
/// their slots.
type Stratum = (BinaryHeap<(u64, u64, usize)>, Vec<csv::ByteRecord>);

/// SplitMix64: a row's key from the seed and its row number.
fn key(seed: u64, row: u64) -> u64 {
    let mut z = seed ^ row.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// At most `n` rows of the CSV file `path`, stratified by the column `label`, drawn while
/// streaming (see the module notes). `progress` is told the rows read, now and then.
pub fn sample_csv(
    path: &Path,
    encoding: EncodingChoice,
    label: &str,
    n: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<(Table, SampleInfo)> {
    if n == 0 {
        return Err(Error::usage("--sample", "must be at least 1 row"));
    }
    if crate::data::Format::of(path)? != crate::data::Format::Csv {
        return Err(Error::usage(
            "--sample",
            format!("{} is not a CSV file: --sample streams CSV exports; read a Parquet file whole", path.display()),
        ));
    }
    let text = Utf8File::open(path, encoding)?;
    let inner = (|| {
        let head = csv_head(&text.path)?;
        check_duplicate_names(&text.path, &head.names)?;
        let width = head.names.len();
        let at = head.names.iter().position(|h| h == label).ok_or_else(|| Error::MissingColumn {
            path: text.path.clone(),
            column: label.to_string(),
            available: head.names.join(", "),
            hint: String::new(),
        })?;
        let file = std::fs::File::open(&text.path).map_err(|e| Error::read(&text.path, e))?;
        let mut hashing =
            HashingReader { inner: std::io::BufReader::with_capacity(1 << 20, file), hasher: Sha256::new() };
        let mut rows = 0u64;
        let mut strata: Vec<(String, u64)> = Vec::new();
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut heaps: Vec<Stratum> = Vec::new();
        {
            let mut reader = csv_reader(&mut hashing, head.delimiter);
            let mut record = csv::ByteRecord::new();
            // The header.
            reader.read_byte_record(&mut record).map_err(|e| Error::malformed(&text.path, format!("{e}")))?;
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => return Err(Error::malformed(&text.path, format!("{e}"))),
                }
                if !check_record(&text.path, &record, width, rows + 1, None)? {
                    continue;
                }
                rows += 1;
                if rows.is_multiple_of(1_000_000) {
                    progress(rows);
                }
                let value = record.get(at).unwrap_or(b"");
                let s = match index.get(value) {
                    Some(&s) => s,
                    None => {
                        let shown = String::from_utf8_lossy(value).trim().to_lowercase();
                        let s = match strata.iter().position(|(v, _)| *v == shown) {
                            Some(s) => s,
                            None if strata.len() < MAX_STRATA => {
                                strata.push((shown, 0));
                                heaps.push((BinaryHeap::new(), Vec::new()));
                                strata.len() - 1
                            }
                            None => MAX_STRATA - 1,
                        };
                        index.insert(value.to_vec(), s);
                        s
                    }
                };
                strata[s].1 += 1;
                let k = key(seed, rows);
                let (heap, store) = &mut heaps[s];
                if (heap.len() as u64) < n {
                    heap.push((k, rows, store.len()));
                    store.push(record.clone());
                } else if heap.peek().is_some_and(|top| k < top.0) {
                    if let Some((_, _, slot)) = heap.pop() {
                        store[slot].clone_from(&record);
                        heap.push((k, rows, slot));
                    }
                }
            }
        }
        // Drain what the reader left unread (nothing, normally), for the checksum.
        std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::read(&text.path, e))?;
        let sha256 = crate::data::hex(&hashing.hasher.finalize());
        if rows == 0 {
            return Err(Error::HeaderOnly { path: path.to_path_buf() });
        }
        // Each stratum's share of the sample, by largest remainders.
        let want = n.min(rows);
        let exact: Vec<f64> = strata.iter().map(|(_, c)| want as f64 * *c as f64 / rows as f64).collect();
        let mut quota: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
        let mut order: Vec<usize> = (0..strata.len()).collect();
        order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
        let mut left = want - quota.iter().sum::<u64>();
        for s in order {
            if left == 0 {
                break;
            }
            quota[s] += 1;
            left -= 1;
        }
        let mut chosen: Vec<(u64, csv::ByteRecord)> = Vec::with_capacity(want as usize);
        for ((heap, mut store), q) in heaps.into_iter().zip(&quota) {
            for (_, row, slot) in heap.into_sorted_vec().into_iter().take(*q as usize) {
                chosen.push((row, std::mem::take(&mut store[slot])));
            }
        }
        chosen.sort_by_key(|(row, _)| *row);
        // The sample as a UTF-8 CSV file, loaded as any file is.
        let tmp = tempfile::Builder::new()
            .prefix(".leadscore-sample-")
            .suffix(".csv")
            .tempfile()
            .map_err(|e| Error::Internal(format!("a temporary file for the sample of {}: {e}", path.display())))?;
        {
            let mut w = csv::WriterBuilder::new().delimiter(head.delimiter).from_writer(std::io::BufWriter::new(&tmp));
            let werr = |e: csv::Error| Error::Internal(format!("writing the sample of {}: {e}", path.display()));
            w.write_record(&head.names).map_err(werr)?;
            for (_, r) in &chosen {
                w.write_byte_record(r).map_err(werr)?;
            }
            w.flush().map_err(|e| Error::Internal(format!("writing the sample of {}: {e}", path.display())))?;
        }
        drop(chosen);
        let (df, _, delimiter) = load_csv(tmp.path()).map_err(|e| match e {
            Error::Data { .. } | Error::Malformed { .. } => {
                Error::Internal(format!("reading back the sample of {}: {e}", path.display()))
            }
            e => e,
        })?;
        let table =
            Table { path: path.to_path_buf(), df, sha256, encoding: Some(text.detected), delimiter: Some(delimiter) };
        let info = SampleInfo { rows_in_file: rows, rows_sampled: table.height() as u64, seed, strata };
        Ok((table, info))
    })();
    inner.map_err(|e| text.blame_original(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_row_and_seed() {
        assert_ne!(key(1, 1), key(1, 2));
        assert_ne!(key(1, 1), key(2, 1));
        assert_eq!(key(7, 99), key(7, 99));
    }
}
