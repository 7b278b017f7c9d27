//! Reading a CSV file in blocks of whole records, for the fast scorer ([`super::fast`]):
//! a general block reader with no model in it. Each block of about [`BLOCK`] bytes is
//! cut at record boundaries into pieces ([`cut_points`]): at newlines outside quotes,
//! told apart by quote parity when every quote in the block opens or closes a field, and
//! by csv-core's own record ends otherwise. A piece's records are split into fields as
//! csv-core reads them ([`split_record`]); what that does not read exactly goes to the
//! csv crate. [`for_each_block`] works on one block's pieces in parallel while the
//! previous block's results are taken in file order and the next block is read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;

use crate::error::Error;

/// Bytes read per block; the incomplete record at its end carries over to the next.
pub const BLOCK: usize = 8 << 20;
/// Pieces per block, scored in parallel.
pub(crate) const PIECES: usize = 16;
/// A record that does not end within this many bytes sends the file to the general path.
pub const MAX_CARRY: usize = 64 << 20;

/// Why a pass over the blocks stopped early: the file goes to the general path, or a
/// real failure (a cell the model cannot read, writing the output).
pub(crate) enum Stop {
    Fallback,
    Fail(Error),
}

pub(crate) type Step<T> = std::result::Result<T, Stop>;

/// What [`split_record`] found.
pub(crate) enum Split {
    /// A record's fields; the next record starts at this offset.
    Record(usize),
    /// No more records.
    End,
    /// The record starting at this offset needs the full CSV reader.
    Unsupported(usize),
}

/// Split the record at `pos` of `text` into `fields`, as csv-core reads it: blank lines
/// skipped, records ended by CR, LF or CRLF, fields split at the delimiter, a field that
/// opens with a quote running to the closing quote (newlines and delimiters included).
/// A doubled quote, a quote inside an unquoted field, or text after a closing quote
/// gives [`Split::Unsupported`].
pub(crate) fn split_record<'t>(text: &'t str, pos: usize, delimiter: u8, fields: &mut Vec<&'t str>) -> Split {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = pos;
    while i < n && (b[i] == b'\n' || b[i] == b'\r') {
        i += 1;
    }
    if i >= n {
        return Split::End;
    }
    let record = i;
    fields.clear();
    loop {
        if i < n && b[i] == b'"' {
            let start = i + 1;
            let Some(k) = memchr::memchr(b'"', &b[start..]) else { return Split::Unsupported(record) };
            let close = start + k;
            fields.push(&text[start..close]);
            i = close + 1;
            if i == n || b[i] == b'\n' || b[i] == b'\r' {
                return Split::Record(i);
            }
            if b[i] != delimiter {
                // A doubled quote or text after the closing quote.
                return Split::Unsupported(record);
            }
            i += 1;
        } else {
            let start = i;
            while i < n {
                let c = b[i];
                if c == delimiter || c == b'\n' || c == b'\r' {
                    break;
                }
                if c == b'"' {
                    return Split::Unsupported(record);
                }
                i += 1;
            }
            fields.push(&text[start..i]);
            if i == n || b[i] != delimiter {
                return Split::Record(i);
            }
            i += 1;
        }
    }
}

/// Byte offset just after the header record (csv-core's record end, as the csv crate
/// reads it), or `None` when it cannot be found in the first [`MAX_CARRY`] bytes.
pub(crate) fn header_end(input: &Path, delimiter: u8) -> Option<u64> {
    let mut f = File::open(input).ok()?;
    let mut rdr = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = vec![0u8; 1 << 16];
    let mut ends = vec![0usize; 1024];
    let mut buf = vec![0u8; 1 << 16];
    let mut pos = 0u64;
    loop {
        let n = f.read(&mut buf).ok()?;
        let mut at = 0usize;
        loop {
            let (res, nin, _, _) = rdr.read_record(&buf[at..n], &mut out, &mut ends);
            at += nin;
            pos += nin as u64;
            match res {
                csv_core::ReadRecordResult::Record => return Some(pos),
                csv_core::ReadRecordResult::End => return None,
                csv_core::ReadRecordResult::InputEmpty if n == 0 => return None,
                csv_core::ReadRecordResult::InputEmpty => break,
                _ => continue,
            }
        }
        if pos > MAX_CARRY as u64 {
            return None;
        }
    }
}

/// Offsets just after each complete record of `block` (all of it at the end of the file),
/// by csv-core: exact when quoted fields hold newlines.
pub(crate) fn record_ends(block: &[u8], delimiter: u8, eof: bool) -> Vec<usize> {
    let mut rdr = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = vec![0u8; 1 << 16];
    let mut ends = vec![0usize; 1024];
    let mut bounds = Vec::new();
    let mut pos = 0usize;
    loop {
        let (res, nin, _, _) = rdr.read_record(&block[pos..], &mut out, &mut ends);
        pos += nin;
        match res {
            csv_core::ReadRecordResult::Record => bounds.push(pos),
            csv_core::ReadRecordResult::End => break,
            csv_core::ReadRecordResult::InputEmpty if !eof => break,
            // At the end of the file, an empty input tells csv-core to finish.
            _ => continue,
        }
    }
    bounds
}

/// Where to cut `buf` into about [`PIECES`] pieces of whole records: `[0, ..., end]`,
/// where `end` is the end of the last complete record (all of `buf` at the end of the
/// file). `None` when no record ends in `buf`.
///
/// Cuts go after a newline that is outside quotes. With no quote character in `buf`,
/// any newline will do. When every quote is *regular* (odd-numbered ones open a field:
/// at the start of `buf` or after a delimiter or line end; even-numbered ones close it:
/// followed by a delimiter or line end), a newline is outside quotes exactly when an
/// even number of quotes precede it. Otherwise csv-core finds the record ends.
pub(crate) fn cut_points(buf: &[u8], delimiter: u8, eof: bool) -> Option<Vec<usize>> {
    let quotes: Vec<usize> = memchr::memchr_iter(b'"', buf).collect();
    let sep = |c: u8| c == delimiter || c == b'\n' || c == b'\r';
    let regular = quotes.iter().enumerate().all(|(k, &q)| {
        if k % 2 == 0 {
            q == 0 || sep(buf[q - 1])
        } else {
            buf.get(q + 1).map_or(eof, |&c| sep(c))
        }
    });
    let exact = if regular { Vec::new() } else { record_ends(buf, delimiter, eof) };
    let outside = |nl: usize| quotes.partition_point(|&q| q < nl) % 2 == 0;
    // The first record boundary at or after `t`.
    let next_cut = |mut t: usize| -> Option<usize> {
        if !regular {
            return exact.get(exact.partition_point(|&b| b < t)).copied();
        }
        while let Some(i) = memchr::memchr(b'\n', &buf[t..]) {
            if outside(t + i) {
                return Some(t + i + 1);
            }
            t += i + 1;
        }
        None
    };
    let end = if eof {
        buf.len()
    } else if !regular {
        exact.last().copied()?
    } else {
        let mut to = buf.len();
        loop {
            let nl = memchr::memrchr(b'\n', &buf[..to])?;
            if outside(nl) {
                break nl + 1;
            }
            to = nl;
        }
    };
    if end == 0 {
        return None;
    }
    let mut cuts = vec![0usize];
    for k in 1..PIECES {
        if let Some(b) = next_cut(k * end / PIECES).filter(|&b| b > *cuts.last().unwrap_or(&0) && b < end) {
            cuts.push(b);
        }
    }
    cuts.push(end);
    Some(cuts)
}

/// Blocks of complete records read from a file.
struct Blocks {
    file: File,
    delimiter: u8,
    block: usize,
    carry: Vec<u8>,
    eof: bool,
}

/// A block and the boundaries of its pieces (`cuts[0] = 0`, last = its length).
struct Block {
    bytes: Vec<u8>,
    cuts: Vec<usize>,
}

impl Blocks {
    fn next(&mut self) -> Step<Option<Block>> {
        loop {
            if self.eof && self.carry.is_empty() {
                return Ok(None);
            }
            let mut buf = std::mem::take(&mut self.carry);
            if !self.eof {
                let old = buf.len();
                buf.resize(old + self.block, 0);
                let mut filled = old;
                while filled < buf.len() {
                    let n = self.file.read(&mut buf[filled..]).map_err(|_| Stop::Fallback)?;
                    if n == 0 {
                        self.eof = true;
                        break;
                    }
                    filled += n;
                }
                buf.truncate(filled);
            }
            let cuts = match cut_points(&buf, self.delimiter, self.eof) {
                Some(c) => c,
                None if buf.len() > MAX_CARRY => return Err(Stop::Fallback),
                None => {
                    self.carry = buf;
                    continue;
                }
            };
            let cut = *cuts.last().unwrap_or(&0);
            self.carry = buf[cut..].to_vec();
            buf.truncate(cut);
            return Ok(Some(Block { bytes: buf, cuts }));
        }
    }
}

/// Read `input` from byte `start` in blocks, run `work` on each block's pieces in
/// parallel and hand the results to `take` in file order. While a block is being worked
/// on, the previous block's results are taken and the next block is read.
pub(crate) fn for_each_block<T: Send>(
    input: &Path,
    start: u64,
    delimiter: u8,
    block: usize,
    work: &(dyn Fn(&[u8]) -> Step<T> + Sync),
    take: &mut (dyn FnMut(T) -> Step<()> + Send),
    progress: &mut dyn FnMut(u64),
) -> Step<()> {
    let mut file = File::open(input).map_err(|_| Stop::Fallback)?;
    file.seek(SeekFrom::Start(start)).map_err(|_| Stop::Fallback)?;
    let mut blocks = Blocks { file, delimiter, block, carry: Vec::new(), eof: false };
    let take_all = |take: &mut (dyn FnMut(T) -> Step<()> + Send), results: Vec<Step<T>>| -> Step<()> {
        for r in results {
            take(r?)?;
        }
        Ok(())
    };
    let mut done = start;
    let mut pending: Vec<Step<T>> = Vec::new();
    let mut current = blocks.next()?;
    while let Some(block) = current {
        let pieces: Vec<&[u8]> = block.cuts.windows(2).map(|w| &block.bytes[w[0]..w[1]]).collect();
        let previous = std::mem::take(&mut pending);
        let (results, (taken, next)) = rayon::join(
            || pieces.par_iter().map(|p| work(p)).collect::<Vec<Step<T>>>(),
            || (take_all(&mut *take, previous), blocks.next()),
        );
        taken?;
        pending = results;
        done += block.bytes.len() as u64;
        progress(done);
        current = next?;
    }
    take_all(take, pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_between_records_with_quoted_newlines() {
        let block = b"a,\"x\ny\",1\nb,c,2\nd,\"e\",3\nf,g,4\n";
        for eof in [false, true] {
            let cuts = cut_points(block, b',', eof).unwrap();
            let ends = record_ends(block, b',', true);
            for c in &cuts[1..] {
                assert!(ends.contains(c), "cut {c} is not a record end ({ends:?})");
            }
            assert_eq!(*cuts.last().unwrap(), block.len());
        }
        // An irregular quote (inside an unquoted field) sends the block to csv-core.
        let odd = b"a,5\" screen,1\nb,c,2\n";
        let cuts = cut_points(odd, b',', false).unwrap();
        assert_eq!(*cuts.last().unwrap(), record_ends(odd, b',', false).last().copied().unwrap());
    }

    /// Every way of writing a record gives the fields the csv crate gives, or is left to it.
    #[test]
    fn split_record_reads_as_the_csv_crate_does() {
        let inputs = [
            "a,b,c\n1,2,3\n",
            "a,b,c\r\n1,2,3\r\n\r\n4,5,6",
            "\"x, y\",2,3\n\"multi\nline\",\"\",z\n",
            "a,,\n,,\n",
            "x,\"he said \"\"hi\"\"\",3\n",
            "x,5\" screen,3\n",
            "x,\"q\"tail,3\n",
            "last,field,\"open",
            "\n\n\r\nonly,one,rec",
        ];
        for input in inputs {
            let mut ours: Vec<Vec<String>> = Vec::new();
            let mut fields = Vec::new();
            let mut pos = 0;
            let mut left = None;
            loop {
                match split_record(input, pos, b',', &mut fields) {
                    Split::Record(next) => {
                        ours.push(fields.iter().map(|s| s.to_string()).collect());
                        pos = next;
                    }
                    Split::End => break,
                    Split::Unsupported(at) => {
                        left = Some(at);
                        break;
                    }
                }
            }
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input.as_bytes());
            let theirs: Vec<Vec<String>> =
                rdr.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
            match left {
                None => assert_eq!(ours, theirs, "{input:?}"),
                // The records before the hand-over agree, and the csv crate reads the rest.
                Some(at) => {
                    let mut rest = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .from_reader(&input.as_bytes()[at..]);
                    let mut all = ours.clone();
                    all.extend(rest.records().map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>()));
                    assert_eq!(all, theirs, "{input:?}");
                }
            }
        }
    }

    #[test]
    fn record_ends_respect_quoted_newlines() {
        let block = b"a,\"x\ny\",1\nb,c,2\nd,e";
        assert_eq!(record_ends(block, b',', false), vec![10, 16]);
        assert_eq!(record_ends(block, b',', true), vec![10, 16, 19]);
    }
}
