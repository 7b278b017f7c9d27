//! `leadscore score`: score new leads with a saved model.

use std::path::PathBuf;

use clap::Parser;
use leadscore::as_of;
use leadscore::error::Result;
use leadscore::score::{can_stream, score_csv_file, score_table, Route, ScoreParams, STREAM_BATCH};
use leadscore::{data, model_file};

use super::args::{Force, Leads, ModelIn, Quiet};
use super::count;

/// Score new leads with a saved model.
///
/// Writes one row per lead: the id column (or the row number), probability of winning,
/// score (0-100), tier, decision (true at or above the model's threshold) and the
/// reasons: the input columns that pushed the score up or down most, with the lead's
/// value and the signed contribution to the log-odds. Extra input columns are ignored;
/// a missing model column is an error naming every missing column.
///
/// Dates count back from --as-of, by default today (UTC): a lead's score never depends on
/// the other leads in the file. To score historical leads as of their time, give --as-of.
///
/// Example: leadscore score --model leads.model --data new_leads.csv --output scored.csv
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    #[command(flatten)]
    pub leads: Leads,
    /// Output: CSV or Parquet, by extension.
    #[arg(long, value_name = "OUT")]
    pub output: PathBuf,
    /// Positive reasons per lead (negative reasons: one fewer); 0 leaves them out.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub reasons: usize,
    /// Id column to carry to the output [default: the model's id column].
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
    /// Skip the parallel CSV-to-CSV scorer and use the general path (same output;
    /// for tests and for comparing the two).
    #[arg(long, hide = true)]
    pub general_path: bool,
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let (data_path, model_path) = (&args.leads.data, &args.model.model);
    data::check_output(&args.output, &[data_path, model_path], args.force.force)?;
    let model = model_file::load(model_path)?;
    let as_of = as_of::for_scoring(args.leads.as_of);
    console.note(&format!("as of {}", as_of.describe()));
    if let Some(w) = as_of::scoring_gap_warning(&model, &as_of) {
        console.note(&w);
    }
    let params = ScoreParams { as_of_day: as_of.day(), reasons: args.reasons, id: args.id.clone() };
    let (rows, decisions) = if can_stream(&model, data_path, &args.output) && args.leads.events.events.is_none() {
        let size = std::fs::metadata(data_path).map(|m| m.len()).unwrap_or(0);
        let bar = console.bytes_bar(size);
        let mut shown = None;
        let done = score_csv_file(
            &model,
            data_path,
            &args.output,
            &params,
            args.leads.encoding,
            args.general_path,
            &mut |route, done, _| {
                if shown != Some(route) {
                    shown = Some(route);
                    let note = match route {
                        Route::Parallel => {
                            format!("scoring {} on {} threads", data_path.display(), rayon::current_num_threads())
                        }
                        Route::Streaming => {
                            format!("scoring {} in batches of {}", data_path.display(), count(STREAM_BATCH))
                        }
                    };
                    bar.suspend(|| console.note(&note));
                    bar.set_position(0);
                }
                bar.set_position(done);
            },
        )?;
        bar.finish_and_clear();
        console.note(&format!("read {} as {}", data_path.display(), done.encoding.describe()));
        (done.rows, done.decisions)
    } else {
        console.note(&format!("reading {}", data_path.display()));
        let (table, _) = args.leads.load_new(&model)?;
        let mut scored = score_table(&model, &table, &params)?;
        data::write_table(&mut scored, &args.output)?;
        (table.height(), leadscore::score::count_decisions(&scored))
    };
    console.note(&format!(
        "scored {} leads: {} at or above the threshold {:.4}; written to {}",
        count(rows),
        count(decisions),
        model.threshold.value,
        args.output.display()
    ));
    Ok(())
}
