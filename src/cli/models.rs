//! `leadscore models`: the versions of a model kept by `retrain` and `rollback`.

use std::path::PathBuf;

use clap::Parser;
use leadscore::error::Result;
use leadscore::history;

use super::args::Json;
use super::output::{count, out, out_json};

/// List the versions of a model: when each entered the history, its training rows,
/// holdout ROC AUC and checksum, and which one is live, oldest first; then the recent
/// promotions and rollbacks.
///
/// Example: leadscore models prod.model
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The live model file (its history is MODEL.history/ beside it).
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    #[command(flatten)]
    pub json: Json,
}

pub fn run(args: Args) -> Result<()> {
    let versions = history::list(&args.model)?;
    if args.json.json {
        return out_json(&versions);
    }
    let mut s = format!(
        "versions of {} (history in {}), oldest first:\n  {:<23} {:<12} {:>10} {:>16}  {}\n",
        args.model.display(),
        history::dir_of(&args.model).display(),
        "since (UTC)",
        "checksum",
        "rows",
        "holdout ROC AUC",
        "training file"
    );
    for v in &versions {
        s.push_str(&format!(
            "{} {:<23} {:<12} {:>10} {:>16}  {}{}\n",
            if v.live { "*" } else { " " },
            since(&v.since),
            v.checksum,
            v.train_rows.map_or("?".into(), count),
            v.holdout_roc_auc.map_or("?".into(), |a| format!("{a:.4}")),
            v.data_file.as_deref().unwrap_or("(does not load)"),
            if v.live { "  (live)" } else { "" }
        ));
    }
    let log = history::recent_log(&args.model, 5);
    if !log.is_empty() {
        s.push_str("recent changes:\n");
        for l in log {
            s.push_str(&format!("  {l}\n"));
        }
    }
    out(&s)
}

/// "20261207T051500.123Z" as "2026-12-07 05:15:00.123".
fn since(stamp: &str) -> String {
    match (stamp.get(0..4), stamp.get(4..6), stamp.get(6..8), stamp.get(9..11), stamp.get(11..13), stamp.get(13..19)) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) => format!("{y}-{mo}-{d} {h}:{mi}:{sec}"),
        _ => stamp.to_string(),
    }
}
