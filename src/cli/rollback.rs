//! `leadscore rollback`: put an earlier version of a model back.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use leadscore::error::Result;
use leadscore::history;

use super::output::out;

/// Put an earlier version of a model back, byte for byte, by an atomic rename (a running
/// `serve` reloads it): the version before the live one, or the one --to names. The
/// version replaced stays in the history. `leadscore models MODEL` lists the versions.
///
/// Example: leadscore rollback prod.model
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The live model file.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// The version to put back: its checksum, or the start of it (as `models` lists it).
    #[arg(long, value_name = "CHECKSUM")]
    pub to: Option<String>,
    /// Wait up to this many seconds for another retrain or rollback of the same model.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub wait: u64,
}

pub fn run(args: Args) -> Result<()> {
    let lock = history::Lock::acquire(&args.model, Duration::from_secs(args.wait))?;
    let sw = history::rollback(&args.model, args.to.as_deref(), &lock)?;
    out(&format!(
        "rolled back {}: now {} (was {}, kept in {})\n",
        args.model.display(),
        &sw.live[..12],
        sw.previous.as_deref().map_or("(none)", |p| &p[..12]),
        history::dir_of(&args.model).display()
    ))
}
