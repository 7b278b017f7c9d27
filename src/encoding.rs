//! The text encodings exports arrive in, and the one place that turns them into UTF-8.
//!
//! First step of reading a CSV (before [`crate::data`]): Excel saves "CSV" in the
//! computer's legacy code page (Windows-1252 on Danish, Norwegian, Swedish and German
//! machines) and "Unicode text" as UTF-16 with a byte-order mark; CRMs write UTF-8, often
//! with a byte-order mark. [`Utf8File::open`] decides the encoding ([`sniff`]: a
//! byte-order mark, else UTF-8 when the head is valid UTF-8, else Windows-1252; or the
//! analyst's `--encoding`) and, for anything but UTF-8, decodes the file once into a
//! temporary UTF-8 file (encoding_rs) that the readers use instead. Line structure is
//! kept, so rows and lines in messages are the original file's; messages name the
//! original file.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// A text encoding leadscore reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// Windows-1252, the superset of Latin-1 (ISO-8859-1) that Excel writes.
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Windows1252 => "Windows-1252",
        }
    }

    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Utf16Le => encoding_rs::UTF_16LE,
            Encoding::Utf16Be => encoding_rs::UTF_16BE,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }
}

/// `--encoding`: decided from the file, or given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    #[default]
    Auto,
    Given(Encoding),
}

impl std::str::FromStr for EncodingChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let e = match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => return Ok(EncodingChoice::Auto),
            "utf-8" | "utf8" => Encoding::Utf8,
            "utf-16" | "utf16" | "utf-16le" | "utf16le" | "unicode" => Encoding::Utf16Le,
            "utf-16be" | "utf16be" => Encoding::Utf16Be,
            "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" | "ansi" => Encoding::Windows1252,
            other => {
                return Err(format!("unknown encoding {other:?}; use auto, utf-8, utf-16le, utf-16be or windows-1252"))
            }
        };
        Ok(EncodingChoice::Given(e))
    }
}

impl std::fmt::Display for EncodingChoice {
    /// The text `--encoding` takes for it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodingChoice::Auto => f.write_str("auto"),
            EncodingChoice::Given(e) => f.write_str(&e.codec().name().to_ascii_lowercase()),
        }
    }
}

/// How a file's encoding was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Detected {
    pub encoding: Encoding,
    /// The file starts with a byte-order mark.
    pub bom: bool,
    /// Given with `--encoding` rather than found in the file.
    pub given: bool,
}

impl Detected {
    /// "Windows-1252 (no UTF-8 in the file)", for summaries.
    pub fn describe(&self) -> String {
        let why = match (self.given, self.bom, self.encoding) {
            (true, _, _) => "given with --encoding",
            (false, true, _) => "byte-order mark",
            (false, false, Encoding::Windows1252) => {
                "the file is not UTF-8; give --encoding if it is another code page"
            }
            (false, false, _) => "valid UTF-8",
        };
        format!("{} ({why})", self.encoding.name())
    }
}

/// Bytes read to decide the encoding.
const SNIFF_BYTES: usize = 1 << 20;

/// The encoding of `path` from its first bytes: a byte-order mark (UTF-8, UTF-16LE,
/// UTF-16BE); else UTF-8 when the head is valid UTF-8 (an incomplete character at the
/// cut is allowed); else Windows-1252. A head with NUL bytes and no byte-order mark is
/// UTF-16 that leadscore will not guess: an error says to give `--encoding`.
pub fn sniff(path: &Path) -> Result<Detected> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut f).take(SNIFF_BYTES as u64).read_to_end(&mut head).map_err(|e| Error::read(path, e))?;
    let found = |encoding, bom| Ok(Detected { encoding, bom, given: false });
    if head.starts_with(b"\xEF\xBB\xBF") {
        return found(Encoding::Utf8, true);
    }
    if head.starts_with(b"\xFF\xFE") {
        return found(Encoding::Utf16Le, true);
    }
    if head.starts_with(b"\xFE\xFF") {
        return found(Encoding::Utf16Be, true);
    }
    if head.contains(&0) {
        return Err(Error::malformed(
            path,
            "the file holds NUL bytes but no byte-order mark: it looks like UTF-16; give --encoding utf-16le or utf-16be",
        ));
    }
    match std::str::from_utf8(&head) {
        Ok(_) => found(Encoding::Utf8, false),
        // Cut inside a character at the end of the head: still UTF-8.
        Err(e) if e.error_len().is_none() => found(Encoding::Utf8, false),
        // Letters written as UTF-8 beside bytes that are not: a file of mixed encodings,
        // read as UTF-8 so that the first bad row is named, not turned into mojibake.
        Err(_) if head.utf8_chunks().any(|c| !c.valid().is_ascii()) => found(Encoding::Utf8, false),
        Err(_) => found(Encoding::Windows1252, false),
    }
}

/// A file as UTF-8: the file itself, or a temporary UTF-8 copy (removed when this is
/// dropped).
pub struct Utf8File {
    /// The file to read (UTF-8).
    pub path: PathBuf,
    /// The file the user named.
    pub original: PathBuf,
    pub detected: Detected,
    _temp: Option<tempfile::TempPath>,
}

impl Utf8File {
    /// `path` as UTF-8 (see the module notes).
    pub fn open(path: &Path, choice: EncodingChoice) -> Result<Utf8File> {
        let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
        let detected = match choice {
            _ if meta.is_dir() || meta.len() == 0 => Detected { encoding: Encoding::Utf8, bom: false, given: false },
            EncodingChoice::Auto => sniff(path)?,
            EncodingChoice::Given(encoding) => {
                let bom = sniff(path).map(|d| d.bom && d.encoding == encoding).unwrap_or(false);
                Detected { encoding, bom, given: true }
            }
        };
        let plain = |temp| Utf8File { path: path.to_path_buf(), original: path.to_path_buf(), detected, _temp: temp };
        if detected.encoding == Encoding::Utf8 {
            return Ok(plain(None));
        }
        let temp = transcode(path, detected.encoding)?;
        Ok(Utf8File { path: temp.to_path_buf(), original: path.to_path_buf(), detected, _temp: Some(temp) })
    }

    /// An error about the UTF-8 copy, told about the user's file.
    pub fn blame_original(&self, e: Error) -> Error {
        if self.path == self.original {
            e
        } else {
            e.with_path(&self.path, &self.original)
        }
    }
}

/// Decode `path` from `encoding` into a temporary UTF-8 file (the byte-order mark
/// dropped), in blocks.
fn transcode(path: &Path, encoding: Encoding) -> Result<tempfile::TempPath> {
    let mut input = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".leadscore-utf8-")
        .suffix(".csv")
        .tempfile()
        .map_err(|e| Error::Internal(format!("a temporary file for the UTF-8 copy of {}: {e}", path.display())))?;
    let (file, temp) = tmp.into_parts();
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut decoder = encoding.codec().new_decoder_with_bom_removal();
    let mut buf = vec![0u8; 1 << 20];
    let mut text = String::with_capacity(3 << 20);
    let write_err = |e: std::io::Error| Error::Internal(format!("writing the UTF-8 copy of {}: {e}", path.display()));
    loop {
        let n = input.read(&mut buf).map_err(|e| Error::read(path, e))?;
        let last = n == 0;
        let mut src = &buf[..n];
        loop {
            text.clear();
            let (result, read, _) = decoder.decode_to_string(src, &mut text, last);
            out.write_all(text.as_bytes()).map_err(write_err)?;
            src = &src[read..];
            if result == encoding_rs::CoderResult::InputEmpty {
                break;
            }
        }
        if last {
            break;
        }
    }
    out.flush().map_err(write_err)?;
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_encodings() {
        assert_eq!("latin-1".parse(), Ok(EncodingChoice::Given(Encoding::Windows1252)));
        assert_eq!("UTF_16".parse(), Ok(EncodingChoice::Given(Encoding::Utf16Le)));
        assert_eq!("auto".parse(), Ok(EncodingChoice::Auto));
        assert!("ebcdic".parse::<EncodingChoice>().is_err());
    }

    #[test]
    fn sniffs_boms_utf8_and_windows_1252() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[u8], Encoding, bool); 5] = [
            (b"\xEF\xBB\xBFa,b\n1,2\n", Encoding::Utf8, true),
            (b"\xFF\xFEa\x00,\x00b\x00", Encoding::Utf16Le, true),
            (b"\xFE\xFF\x00a\x00,\x00b", Encoding::Utf16Be, true),
            ("navn;by\nSøren;Århus\n".as_bytes(), Encoding::Utf8, false),
            (b"navn;by\nS\xF8ren;\xC5rhus\n", Encoding::Windows1252, false),
        ];
        let mixed: &[u8] = b"navn;by\nS\xC3\xB8ren;Aarhus\nS\xF8ren;\xC5rhus\n";
        let p = dir.path().join("mixed.csv");
        std::fs::write(&p, mixed).unwrap();
        assert_eq!(sniff(&p).unwrap().encoding, Encoding::Utf8);
        for (bytes, want, bom) in cases {
            let p = dir.path().join("f.csv");
            std::fs::write(&p, bytes).unwrap();
            let d = sniff(&p).unwrap();
            assert_eq!((d.encoding, d.bom), (want, bom), "{bytes:?}");
        }
    }

    #[test]
    fn decodes_to_the_same_text() {
        let dir = tempfile::tempdir().unwrap();
        let text = "navn;by;omsætning\nSøren Ærø;Århus;1,5\n";
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        for (bytes, enc) in [(latin.to_vec(), Encoding::Windows1252), (utf16, Encoding::Utf16Le)] {
            let p = dir.path().join("f.csv");
            std::fs::write(&p, &bytes).unwrap();
            let f = Utf8File::open(&p, EncodingChoice::Auto).unwrap();
            assert_eq!(f.detected.encoding, enc);
            assert_eq!(std::fs::read_to_string(&f.path).unwrap(), text);
        }
    }
}
