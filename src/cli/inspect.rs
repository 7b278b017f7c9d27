//! `leadscore inspect`: what a saved model is.

use std::path::PathBuf;

use clap::Parser;
use leadscore::error::Result;

use super::args::Json;
use super::output::{out, out_json};

/// Show what a model file is: the settings that made it (the ones `retrain` reuses), the
/// training data's name, row count and SHA-256, the holdout's figures with their 95%
/// intervals and whether the saved fit is the one they measured, the features and their
/// largest effects, the threshold and tiers, the warnings training gave, the checksum
/// and the file format version. Reads every model version that still loads.
///
/// Example: leadscore inspect leads.model
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The model file.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    #[command(flatten)]
    pub json: Json,
}

pub fn run(args: Args) -> Result<()> {
    let i = leadscore::inspect::inspect(&args.model)?;
    if args.json.json {
        out_json(&i)
    } else {
        out(&i.text())
    }
}
