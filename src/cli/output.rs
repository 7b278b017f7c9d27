//! What every command prints with: notes and progress on stderr ([`Console`], silenced
//! by `--quiet`), text and JSON on stdout, counts, shares and plain-text tables, and the
//! words shown for temporary files that stand for a pipe.

use std::io::Write;
use std::path::{Path, PathBuf};

use leadscore::error::{Error, Result};

/// Progress and notes on stderr, silenced by `--quiet`.
pub struct Console {
    pub quiet: bool,
}

/// Temporary files that stand for standard input or output, and the words shown for
/// them in notes and summaries.
static SHOWN_AS: std::sync::Mutex<Vec<(String, &'static str)>> = std::sync::Mutex::new(Vec::new());

/// Show `path` as `words` ("(standard input)") in every later note and summary.
pub fn show_as(path: &Path, words: &'static str) {
    if let Ok(mut v) = SHOWN_AS.lock() {
        v.push((path.display().to_string(), words));
    }
}

/// `text` with the temporary files of [`show_as`] named as the user knows them.
pub fn shown(text: &str) -> String {
    let mut t = text.to_string();
    if let Ok(v) = SHOWN_AS.lock() {
        for (path, words) in v.iter() {
            t = t.replace(path.as_str(), words);
        }
    }
    t
}

impl Console {
    pub fn note(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{}", shown(msg));
        }
    }

    /// A progress bar over `total` bytes on stderr: drawn only when stderr is a terminal
    /// and not `--quiet`.
    pub fn bytes_bar(&self, total: u64) -> indicatif::ProgressBar {
        if self.quiet {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed} (eta {eta})")
        {
            bar.set_style(style);
        }
        bar
    }

    /// A spinner with the current stage on stderr (terminal only, not with `--quiet`).
    pub fn spinner(&self) -> indicatif::ProgressBar {
        if self.quiet {
            return indicatif::ProgressBar::hidden();
        }
        let s = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        s.enable_steady_tick(std::time::Duration::from_millis(200));
        s
    }
}

/// Write text to stdout; a closed pipe surfaces as a broken-pipe write error (exit 0).
pub fn out(text: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    lock.write_all(shown(text).as_bytes())
        .and_then(|_| lock.flush())
        .map_err(|e| Error::Write { path: PathBuf::from("<stdout>"), source: e })
}

/// Print one JSON object on stdout.
pub fn out_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Internal(format!("JSON: {e}")))?;
    out(&(text + "\n"))
}

pub use leadscore::data::file_name;
pub use leadscore::format::count;

/// Align rows of cells into a plain-text table (first column left, others right).
pub fn text_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            if i == 0 {
                s.push_str(&format!(" {c}{}", " ".repeat(pad)));
            } else {
                s.push_str(&format!("  {}{c}", " ".repeat(pad)));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut s = line(headers.iter().map(|h| h.to_string()).collect());
    for r in rows {
        s.push_str(&line(r.clone()));
    }
    s
}

pub fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}
