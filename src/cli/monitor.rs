//! `leadscore monitor`: has the model stopped fitting the leads it sees? Compares new
//! leads with the reference profile the model keeps from its training rows.

use std::path::PathBuf;

use clap::Parser;
use leadscore::api::{
    self,
    monitor::{MonitorJob, Monitored},
};
use leadscore::error::{Error, Result};
use leadscore::monitor::{self, Band, Monitor};
use leadscore::{data, model_file};

use super::args::{Force, Json, Leads, ModelIn, Quiet};
use super::output::{count, out, out_json, pct, text_table};

/// Has the model stopped fitting the leads it sees?
///
/// Compares new leads with the profile the model kept of its training rows, on the bins
/// fixed then (a number's deciles, a column's levels, the score's deciles), never
/// re-binned. Per input column and for the score it prints the population stability
/// index (PSI) and its band: below 0.1 stable, 0.1-0.25 watch, above 0.25 act; beside it
/// the leads counted and a chi-square test (p), because on a few hundred leads a band can
/// be reached by chance. Values never seen in training are listed. Without labels it
/// estimates the precision, recall and share routed to expect at the threshold from the
/// probabilities (as NannyML's CBPE does); with --label, the realised ROC AUC, precision,
/// recall and calibration beside the training figures. It says when the model's training
/// data is more than six months older than the leads' as-of date.
///
/// Exit codes: 0 when nothing is in the act band, 3 when a column or the score is (so that
/// a scheduled job can act), 2 bad input, 1 internal failure.
///
/// Example: leadscore monitor --model leads.model --data this_week.csv --output monitor.html
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    #[command(flatten)]
    pub leads: Leads,
    /// The leads' won/lost column, when known: adds the realised performance (values as
    /// in training, e.g. won/lost).
    #[arg(long, value_name = "COL")]
    pub label: Option<String>,
    /// Also write the monitoring page (HTML, self-contained) here.
    #[arg(long, value_name = "FILE.html")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// Runs `monitor`; the exit code (0, or 3 when something is in the act band).
pub fn run(args: Args) -> Result<i32> {
    let console = args.quiet.console();
    let (data_path, model_path) = (&args.leads.data, &args.model.model);
    if let Some(o) = &args.output {
        data::check_output(o, &[data_path, model_path], args.force.force)?;
    }
    let model = model_file::load(model_path)?;
    console.note(&format!("reading {}", data_path.display()));
    let job = MonitorJob {
        model: &model,
        model_name: model_path.display().to_string(),
        leads: args.leads.job(),
        label: args.label.clone(),
        page: args.output.is_some(),
    };
    let Monitored { monitor: m, as_of, page } = api::monitor::monitor(&job)?;
    console.note(&format!("as of {}", as_of.describe()));
    if let (Some(o), Some(html)) = (&args.output, page) {
        data::atomic_write(o, |w| {
            use std::io::Write;
            w.write_all(html.as_bytes()).map_err(|e| Error::write(o, e))
        })?;
        console.note(&format!("monitoring page written to {}", o.display()));
    }
    if args.json.json {
        out_json(&m)?;
        if !args.quiet.quiet {
            eprint!("{}", render(&m));
        }
    } else {
        out(&render(&m))?;
    }
    Ok(if m.worst == Band::Act { 3 } else { 0 })
}

fn ci(e: &monitor::Estimate) -> String {
    format!("{} ({} to {})", pct(e.value), pct(e.ci[0]), pct(e.ci[1]))
}

/// The human summary.
/// How old the model's training data is, in words (a line).
fn age_line(m: &Monitor) -> String {
    match (&m.model_as_of, m.model_age_days) {
        (Some(d), Some(age)) if m.model_too_old => format!(
            "the model's training data is {age} days old (as of {d}): more than six months; re-evaluate it and retrain on recent won/lost leads\n"
        ),
        (Some(d), Some(1)) => format!("the model's training data is 1 day old (as of {d})\n"),
        (Some(d), Some(age)) if age > 0 => format!("the model's training data is {age} days old (as of {d})\n"),
        (Some(d), Some(_)) => format!("the model's training data is as of {d}, as recent as these leads\n"),
        _ => "the model does not record its training data's date (no date column); retrain at least twice a year\n".into(),
    }
}

pub fn render(m: &Monitor) -> String {
    let mut s = format!(
        "{} leads as of {}; {} scored{}\n",
        count(m.leads),
        m.as_of,
        count(m.scored),
        if m.scored < m.leads {
            format!(" ({} have a cell the model cannot read)", count(m.leads - m.scored))
        } else {
            String::new()
        }
    );
    s.push_str(&age_line(m));
    s.push_str("\nstability against the training rows (PSI: below 0.1 stable, 0.1-0.25 watch, above 0.25 act; p: chi-square test)\n");
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut order: Vec<&monitor::ColumnDrift> = m.columns.iter().collect();
    order.sort_by(|a, b| b.drift.psi.total_cmp(&a.drift.psi));
    for c in &order {
        let mut note = Vec::new();
        if c.new_value_leads > 0 {
            let shown: Vec<String> = c.new_values.iter().take(3).map(|(v, n)| format!("{v:?} ({n})")).collect();
            note.push(format!(
                "{} leads with values not seen in training: {}",
                count(c.new_value_leads as usize),
                shown.join(", ")
            ));
        }
        for (n, side) in [(c.below_range_leads, "below"), (c.above_range_leads, "above")] {
            if n > 0 {
                note.push(format!("{} leads {side} the range seen in training", count(n as usize)));
            }
        }
        if c.unreadable > 0 {
            note.push(format!("{} cells unreadable", count(c.unreadable as usize)));
        }
        rows.push(vec![
            c.part.clone(),
            format!("{:.4}", c.drift.psi),
            c.drift.band.name().into(),
            leadscore::uncertainty::p_text(c.drift.p_value),
            count(c.drift.leads as usize),
            note.join("; "),
        ]);
    }
    rows.push(vec![
        "(score)".into(),
        format!("{:.4}", m.score.psi),
        m.score.band.name().into(),
        leadscore::uncertainty::p_text(m.score.p_value),
        count(m.score.leads as usize),
        String::new(),
    ]);
    s.push_str(&text_table(&["column", "PSI", "band", "p", "leads", ""], &rows));
    let unsure: Vec<&str> = m
        .columns
        .iter()
        .filter(|c| c.drift.band != Band::Stable && c.drift.p_value >= 0.05)
        .map(|c| c.part.as_str())
        .collect();
    if !unsure.is_empty() {
        s.push_str(&format!(
            "not significant at this sample size (p >= 0.05), collect more leads before acting on: {}\n",
            unsure.join(", ")
        ));
    }
    let e = &m.expected;
    s.push_str(&format!(
        "\nexpected at the threshold {:.4}, from the probabilities (no labels): {} leads routed ({}); precision {}, recall {}\n",
        e.threshold,
        count(e.routed),
        pct(e.routed_share),
        ci(&e.precision),
        ci(&e.recall)
    ));
    s.push_str(&format!(
        "on the training holdout: precision {}, recall {}{}\n",
        pct(e.training_precision),
        pct(e.training_recall),
        e.training_routed_share.map_or(String::new(), |r| format!(", {} routed", pct(r)))
    ));
    if !m.segments.is_empty() {
        s.push_str("\nper segment (expected from the probabilities; realised with --label)\n");
        let rows: Vec<Vec<String>> = m
            .segments
            .iter()
            .map(|g| {
                vec![
                    g.segment.clone(),
                    g.model.clone(),
                    count(g.leads),
                    pct(g.share),
                    g.training_share.map_or("not seen".into(), pct),
                    pct(g.expected.routed_share),
                    ci(&g.expected.precision),
                    g.realised
                        .as_ref()
                        .and_then(|r| r.roc_auc.as_ref())
                        .map_or("-".into(), |a| format!("{:.3} ({:.3} to {:.3})", a.value, a.ci[0], a.ci[1])),
                ]
            })
            .collect();
        s.push_str(&super::output::text_table(
            &[
                "segment",
                "model",
                "leads",
                "share",
                "training share",
                "routed",
                "expected precision",
                "realised ROC AUC",
            ],
            &rows,
        ));
    }
    if let Some(r) = &m.realised {
        s.push_str(&format!(
            "\nrealised on {} labelled leads ({} won): ROC AUC {}{}; precision {}, recall {}; mean probability {} against {} won (calibration error {:.4})\n",
            count(r.leads),
            count(r.won),
            r.roc_auc.map_or("n/a (one class)".into(), |a| format!("{:.4} ({:.4} to {:.4})", a.value, a.ci[0], a.ci[1])),
            r.training_roc_auc.map_or(String::new(), |t| format!(", training holdout {t:.4}")),
            ci(&r.precision),
            ci(&r.recall),
            pct(r.mean_probability),
            pct(r.won_share),
            r.ece
        ));
    }
    let act: Vec<&str> = m.columns.iter().filter(|c| c.drift.band == Band::Act).map(|c| c.part.as_str()).collect();
    s.push_str(&match m.worst {
        Band::Act => format!(
            "\nACT: {}{} moved beyond PSI 0.25 since training; check the data feed, then retrain (exit code 3)\n",
            act.join(", "),
            if m.score.band == Band::Act {
                if act.is_empty() {
                    "the score"
                } else {
                    " and the score"
                }
            } else {
                ""
            }
        ),
        Band::Watch => "\nwatch: some columns moved (PSI 0.1-0.25); nothing needs action yet\n".into(),
        Band::Stable => "\nstable: every column and the score are within PSI 0.1 of training\n".into(),
    });
    s
}
