//! `leadscore threshold`: choose a new operating point on labelled held-out leads.

use std::path::PathBuf;

use clap::Parser;
use leadscore::error::Result;
use leadscore::evaluate::{labelled_predictions, neighbourhood};
use leadscore::model::ThresholdInfo;
use leadscore::threshold::{choose, Strategy};
use leadscore::{data, features::text::day_number, metrics, model_file};

use super::{count, file_name, out, parse_date, text_table, Console};

/// Choose the model's threshold from precision and recall on labelled held-out leads.
///
/// Strategies:
///   f1, fbeta:B        best F1 / F-beta (B > 1 favours recall)
///   precision:P        the highest recall whose precision is at least P
///   recall:R           the highest precision whose recall is at least R
///   top:K, top:X%      route exactly the K (or X%) best leads: sales capacity
///   value:GAIN,COST    maximise GAIN per won lead minus COST per lead routed
/// Tied scores are routed together, never split. Writes a copy of the model with the new
/// threshold to --output, or replaces the model file atomically when --output is not
/// given, and prints the precision/recall table around the chosen point.
///
/// Use rows the model did not train on: a threshold chosen on training rows is optimistic.
///
/// Example: leadscore threshold --model leads.model --data holdout.csv --strategy top:500
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Model file written by `leadscore train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Labelled held-out leads.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The strategy (see above).
    #[arg(long, value_name = "S")]
    pub strategy: String,
    /// Write the updated model here instead of replacing --model.
    #[arg(long, value_name = "M2")]
    pub output: Option<PathBuf>,
    /// Date that date columns count days back from [default: latest date in the data].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub events: super::EventArgs,
    /// Replace an existing --output file.
    #[arg(long)]
    pub force: bool,
    /// No notes on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let console = Console { quiet: args.quiet };
    let strategy: Strategy = args.strategy.parse()?;
    let target = args.output.clone().unwrap_or_else(|| args.model.clone());
    if let Some(o) = &args.output {
        data::check_output(o, &[&args.data, &args.model], args.force)?;
    } else {
        data::check_output(&args.model, &[&args.data], true)?;
    }
    let mut model = model_file::load(&args.model)?;
    let table = super::load_leads(&model, &args.data, &args.events, args.as_of)?;
    if table.sha256 == model.meta.data_sha256 {
        console.note(&format!(
            "warning: {} is the file the model was trained on; its training rows flatter the model. Prefer held-out leads.",
            args.data.display()
        ));
    }
    let (p, y, _) = labelled_predictions(&model, &table, args.as_of.map(day_number))?;
    let curve = metrics::curve(&p, &y);
    let choice = choose(&curve, &strategy)?;
    let pt = choice.point;
    model.set_threshold(ThresholdInfo {
        value: pt.threshold,
        strategy: strategy.to_string(),
        chosen_on: format!("{} ({} labelled rows)", file_name(&args.data), y.len()),
        precision: pt.precision(),
        recall: pt.recall(),
        routed: pt.routed(),
    });
    model_file::save(&model, &target)?;
    let rows: Vec<Vec<String>> = neighbourhood(curve.len(), choice.index)
        .into_iter()
        .map(|i| {
            let c = &curve[i];
            vec![
                if i == choice.index { "->".into() } else { String::new() },
                format!("{:.4}", c.threshold),
                count(c.routed()),
                count(c.tp),
                format!("{:.3}", c.precision()),
                format!("{:.3}", c.recall()),
                format!("{:.3}", c.f_beta(1.0)),
            ]
        })
        .collect();
    let mut s = format!(
        "{strategy} on {} labelled leads ({} won): threshold {:.4}, routes {}, precision {:.3}, recall {:.3}\n",
        count(y.len()),
        count(y.iter().filter(|&&v| v).count()),
        pt.threshold,
        count(pt.routed()),
        pt.precision(),
        pt.recall()
    );
    if let Some(n) = &choice.note {
        s.push_str(&format!("note: {n}\n"));
    }
    s.push_str(&text_table(&["", "threshold", "routed", "won", "precision", "recall", "F1"], &rows));
    s.push_str(&format!("tiers: {}\nmodel written to {}\n", model.tiers.describe(), target.display()));
    out(&s)
}
