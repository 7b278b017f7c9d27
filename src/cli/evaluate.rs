//! `leadscore evaluate`: measure a saved model on labelled leads it did not train on.

use std::path::PathBuf;

use clap::Parser;
use leadscore::api::{
    self,
    evaluate::{EvaluateJob, Evaluated},
};
use leadscore::error::Result;
use leadscore::evaluate::Evaluation;
use leadscore::{data, model_file};

use super::args::{Force, Json, Leads, ModelIn, Quiet, Seed};
use super::output::{count, out, out_json, pct, text_table};

/// Measure a saved model on labelled leads it did not train on.
///
/// Prints ROC AUC, PR AUC (average precision), log loss, Brier score and base rate;
/// calibration in 10 bins with the expected calibration error; the gains table by score
/// decile and by tier (leads, conversions, conversion rate, share of all conversions,
/// cumulative lift); and, at the model's threshold, the confusion matrix, precision,
/// recall, F1 and the number of leads routed to sales.
///
/// Example: leadscore evaluate --model leads.model --data holdout.csv
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    #[command(flatten)]
    pub leads: Leads,
    /// Also report the figures per value of this column (a product, region, source)
    /// [default: a segmented model's segment column].
    #[arg(long, value_name = "COL")]
    pub by: Option<String>,
    /// Also write the precision/recall/ROC curve as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub curves: Option<PathBuf>,
    #[command(flatten)]
    pub seed: Seed,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub quiet: Quiet,
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let (data_path, model_path) = (&args.leads.data, &args.model.model);
    if let Some(c) = &args.curves {
        data::check_output(c, &[data_path, model_path], args.force.force)?;
    }
    let model = model_file::load(model_path)?;
    let job =
        EvaluateJob { model: &model, leads: args.leads.job(), by: args.by.clone(), bootstrap: args.seed.bootstrap() };
    let Evaluated { evaluation: ev, as_of } = api::evaluate::evaluate(&job)?;
    console.note(&format!("as of {}", as_of.describe()));
    if let Some(c) = &args.curves {
        leadscore::evaluate::write_curve(&ev.curve, c)?;
    }
    if args.json.json {
        out_json(&ev)
    } else {
        out(&render(&ev))
    }
}

/// The human report of an evaluation.
pub fn render(ev: &Evaluation) -> String {
    let mut s =
        format!("{} labelled leads, {} won (base rate {})", count(ev.rows), count(ev.positives), pct(ev.base_rate));
    if ev.rows_missing_label > 0 {
        s.push_str(&format!("; {} rows without a label skipped", count(ev.rows_missing_label)));
    }
    s.push_str(&format!(
        "\nROC AUC {:.4} (95% CI {}, DeLong)   PR AUC {:.4} ({})   log loss {:.4}   Brier {:.4}   ECE {:.4}\n",
        ev.roc_auc,
        ev.roc_auc_ci.map_or("n/a".into(), ci),
        ev.pr_auc,
        ci(ev.at.pr_auc_ci),
        ev.log_loss,
        ev.brier,
        ev.ece
    ));
    if let Some(c) = &ev.calibration_fit {
        s.push_str(&format!("{}\n", c.describe()));
    }
    if ev.no_signal {
        s.push_str("warning: no signal: the ROC AUC's interval includes 0.5: the model ranks these leads no better than chance, and routing by it would be arbitrary\n");
    }
    if let Some(col) = &ev.segment_column {
        s.push_str(&format!("\nby {col} (ROC AUC with its 95% CI, DeLong; precision and recall at the threshold)\n"));
        s.push_str(&segment_table(&ev.segments));
    }
    s.push('\n');
    s.push_str(&at_threshold(ev));
    s.push_str(&format!(
        "  (95% intervals: ROC AUC by DeLong's method, the others by {} bootstrap replicates, seed {})\n",
        ev.at.bootstrap.replicates, ev.at.bootstrap.seed
    ));
    let c = &ev.confusion;
    s.push_str(&text_table(
        &["", "won", "lost"],
        &[
            vec!["routed".into(), count(c.true_positives), count(c.false_positives)],
            vec!["not routed".into(), count(c.false_negatives), count(c.true_negatives)],
        ],
    ));
    s.push_str("\ngains by score decile (best first)\n");
    s.push_str(&gains(&ev.bands));
    s.push_str("\nconversion by tier (best first)\n");
    s.push_str(&gains(&ev.tiers));
    s.push_str("\ncalibration\n");
    let rows: Vec<Vec<String>> = ev
        .calibration
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| {
            vec![
                format!("{:.1}-{:.1}", b.lower, b.upper),
                count(b.count),
                format!("{:.3}", b.mean_predicted),
                format!("{:.3}", b.observed_rate),
            ]
        })
        .collect();
    s.push_str(&text_table(&["predicted", "leads", "mean predicted", "observed rate"], &rows));
    s
}

/// An interval as the summary shows it: `0.123-0.456`.
fn ci(c: [f64; 2]) -> String {
    format!("{:.3}-{:.3}", c[0], c[1])
}

/// The line on what happens at the model's threshold: leads routed, precision, recall,
/// lift and F1, with their intervals.
pub fn at_threshold(ev: &Evaluation) -> String {
    format!(
        "at the threshold {:.4}: {} leads routed to sales, precision {:.3} ({}), recall {:.3} ({}), lift {:.2} ({:.2}-{:.2}), F1 {:.3}\n",
        ev.threshold,
        count(ev.routed),
        ev.precision,
        ci(ev.at.precision_ci),
        ev.recall,
        ci(ev.at.recall_ci),
        ev.at.lift,
        ev.at.lift_ci[0],
        ev.at.lift_ci[1],
        ev.f1
    )
}

pub fn gains(bands: &[leadscore::metrics::Band]) -> String {
    let rows: Vec<Vec<String>> = bands
        .iter()
        .map(|b| {
            vec![
                b.band.clone(),
                count(b.leads),
                count(b.conversions),
                pct(b.conversion_rate),
                pct(b.share_of_conversions),
                pct(b.cumulative_conversions_share),
                format!("{:.2}", b.cumulative_lift),
            ]
        })
        .collect();
    text_table(&["band", "leads", "won", "conv. rate", "share of won", "cum. share of won", "cum. lift"], &rows)
}

/// The per-segment table of `evaluate` and `compare`.
pub fn segment_table(segs: &[leadscore::evaluate::SegmentFigures]) -> String {
    let rows: Vec<Vec<String>> = segs
        .iter()
        .map(|g| {
            vec![
                g.segment.clone(),
                g.model.clone(),
                count(g.rows),
                count(g.positives),
                g.roc_auc.map_or("n/a".into(), |a| format!("{a:.3}")),
                g.roc_auc_ci.map_or("n/a".into(), |c| format!("{:.3}-{:.3}", c[0], c[1])),
                count(g.routed),
                g.precision.map_or("n/a".into(), |v| format!("{v:.3}")),
                g.recall.map_or("n/a".into(), |v| format!("{v:.3}")),
                match (g.global_roc_auc, g.difference_from_global) {
                    (Some(a), Some(d)) => format!(
                        "{a:.3} (gain {:+.3}, {:+.3} to {:+.3}, p {})",
                        d.difference,
                        d.ci[0],
                        d.ci[1],
                        leadscore::uncertainty::p_text(d.p_value)
                    ),
                    _ => "-".into(),
                },
            ]
        })
        .collect();
    let mut s = text_table(
        &[
            "segment",
            "model",
            "leads",
            "won",
            "ROC AUC",
            "95% CI",
            "routed",
            "precision",
            "recall",
            "global model alone",
        ],
        &rows,
    );
    for g in segs.iter().filter(|g| g.no_signal) {
        s.push_str(&format!(
            "warning: no signal in {:?}: its ROC AUC's interval includes 0.5; the model ranks these leads no better than chance\n",
            g.segment
        ));
    }
    s
}
