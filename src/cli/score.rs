//! `leadscore score`: score new leads with a saved model.

use std::path::PathBuf;

use clap::Parser;
use leadscore::error::Result;
use leadscore::score::fast::score_csv_fast;
use leadscore::score::{score_csv_stream, score_table, ScoreParams, STREAM_BATCH};
use leadscore::{data, features::text::day_number, model_file};

use super::{count, parse_date, Console};

/// Score new leads with a saved model.
///
/// Writes one row per lead: the id column (or the row number), probability of winning,
/// score (0-100), tier, decision (true at or above the model's threshold) and the
/// reasons: the input columns that pushed the score up or down most, with the lead's
/// value and the signed contribution to the log-odds. Extra input columns are ignored;
/// a missing model column is an error naming every missing column.
///
/// Example: leadscore score --model leads.model --data new_leads.csv --output scored.csv
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Model file written by `leadscore train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Leads to score: CSV or Parquet.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Output: CSV or Parquet, by extension.
    #[arg(long, value_name = "OUT")]
    pub output: PathBuf,
    /// Date that date columns count days back from [default: latest date in the data].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Positive reasons per lead (negative reasons: one fewer); 0 leaves them out.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub reasons: usize,
    /// Id column to carry to the output [default: the model's id column].
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    #[command(flatten)]
    pub events: super::EventArgs,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// No progress messages.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip the parallel CSV-to-CSV scorer and use the general path (same output;
    /// for tests and for comparing the two).
    #[arg(long, hide = true)]
    pub general_path: bool,
}

pub fn run(args: Args) -> Result<()> {
    let console = Console { quiet: args.quiet };
    data::check_output(&args.output, &[&args.data, &args.model], args.force)?;
    let model = model_file::load(&args.model)?;
    let params = ScoreParams {
        as_of_day: args.as_of.map(day_number),
        reasons: args.reasons,
        id: args.id.clone(),
    };
    if leadscore::score::can_stream(&model, &args.data, &args.output) && args.events.events.is_none() {
        let size = std::fs::metadata(&args.data).map(|m| m.len()).unwrap_or(0);
        let fast = if args.general_path {
            None
        } else {
            console.note(&format!("scoring {} on {} threads", args.data.display(), rayon::current_num_threads()));
            let bar = console.bytes_bar(size);
            let done = score_csv_fast(&model, &args.data, &args.output, &params, &mut |done, _| bar.set_position(done))?;
            bar.finish_and_clear();
            done
        };
        let (rows, decisions) = match fast {
            Some(done) => done,
            None => {
                console.note(&format!("scoring {} in batches of {}", args.data.display(), count(STREAM_BATCH)));
                let bar = console.bytes_bar(size);
                let done = score_csv_stream(&model, &args.data, &args.output, &params, STREAM_BATCH, &mut |done, _| {
                    bar.set_position(done)
                })?;
                bar.finish_and_clear();
                done
            }
        };
        console.note(&format!(
            "scored {} leads: {} at or above the threshold {:.4}; written to {}",
            count(rows),
            count(decisions),
            model.threshold.value,
            args.output.display()
        ));
        return Ok(());
    }
    console.note(&format!("reading {}", args.data.display()));
    let table = super::load_leads(&model, &args.data, &args.events, args.as_of)?;
    let mut scored = score_table(&model, &table, &params)?;
    data::write_table(&mut scored, &args.output)?;
    let decisions = scored
        .column("decision")
        .ok()
        .and_then(|c| c.bool().ok().map(|b| b.sum().unwrap_or(0) as usize))
        .unwrap_or(0);
    console.note(&format!(
        "scored {} leads: {} at or above the threshold {:.4}; written to {}",
        count(table.height()),
        count(decisions),
        model.threshold.value,
        args.output.display()
    ));
    Ok(())
}
