//! `leadscore threshold`: choose a new operating point on labelled held-out leads.

use std::path::PathBuf;

use clap::Parser;
use leadscore::api::{
    self,
    threshold::{ThresholdJob, Thresholded},
};
use leadscore::error::Result;
use leadscore::evaluate::neighbourhood;
use leadscore::threshold::Strategy;
use leadscore::{data, model_file};

use super::args::{parse_strategy, Force, Leads, ModelIn, Quiet};
use super::output::{count, out, text_table};

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
    #[command(flatten)]
    pub model: ModelIn,
    #[command(flatten)]
    pub leads: Leads,
    /// How to choose: f1, fbeta:B, precision:P, recall:R, top:K, top:X%, value:GAIN,COST.
    #[arg(long, value_name = "S", value_parser = parse_strategy)]
    pub strategy: Strategy,
    /// Write the model with the new threshold here [default: replace the model file].
    #[arg(long, value_name = "M2")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let strategy = args.strategy.clone();
    let (data_path, model_path) = (&args.leads.data, &args.model.model);
    let target = args.output.clone().unwrap_or_else(|| model_path.clone());
    if let Some(o) = &args.output {
        data::check_output(o, &[data_path, model_path], args.force.force)?;
    } else {
        data::check_output(model_path, &[data_path], true)?;
    }
    let model = model_file::load(model_path)?;
    let job = ThresholdJob { model, leads: args.leads.job(), strategy: strategy.clone() };
    let Thresholded { model, curve, choice, as_of, rows: labelled, won, training_file } =
        api::threshold::threshold(job)?;
    console.note(&format!("as of {}", as_of.describe()));
    if training_file {
        console.note(&format!(
            "warning: {} is the file the model was trained on; its training rows flatter the model. Prefer held-out leads.",
            data_path.display()
        ));
    }
    let pt = choice.point;
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
        count(labelled),
        count(won),
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
