//! `leadscore retrain`: a challenger against the champion, promoted only when it is not
//! worse (the gate is the library's: [`leadscore::retrain`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use leadscore::api::{
    self,
    retrain::{RetrainJob, Retrained},
};
use leadscore::error::{Error, Result};
use leadscore::history;
use leadscore::retrain::{Decision, Graded, RetrainReport};

use super::args::{Json, Leads, Quiet};
use super::output::{count, out, out_json};
use super::train::Options;

/// Train a challenger the champion's way on a newer history and promote it only when it
/// is not worse.
///
/// The challenger takes the settings recorded in the champion (`leadscore inspect`
/// shows them); the train flags below override them, and the report names each
/// override. Both models are graded on the labelled leads of the history that the
/// champion never saw (by id): the challenger fitted without them, as `train` measures
/// its holdout. It is promoted when every check passes: enough new leads (200, 30 won),
/// the champion's columns all present and no new ones read, ROC AUC not below the
/// champion's by more than --margin (one-sided 95% bound, DeLong's paired test), no new
/// leakage warning, and not flagged overfitted. Promotion renames the new model over
/// the file, so a running `serve` reloads it; the replaced model is kept in
/// MODEL.history/ (`leadscore models`, `leadscore rollback`).
///
/// Exit codes: 0 promoted (with --dry-run: would promote), 4 kept the champion (the
/// reasons, one a line), 2 bad input or usage, 5 another retrain or rollback holds the
/// model's lock, 1 internal failure.
///
/// Example: leadscore retrain --model prod.model --data history.csv
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The live model (the champion); a promoted challenger replaces it.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub leads: Leads,
    /// How far below the champion's ROC AUC the challenger may be (non-inferiority
    /// margin).
    #[arg(long, default_value_t = leadscore::retrain::MARGIN, value_name = "AUC")]
    pub margin: f64,
    /// Compare and report, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Promote even when the window of new leads is smaller than 200 leads or 30 won.
    #[arg(long)]
    pub force: bool,
    /// Versions the history keeps (the live one always).
    #[arg(long, default_value_t = history::KEEP, value_name = "N")]
    pub keep: usize,
    /// Wait up to this many seconds for another retrain or rollback of the same model.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub wait: u64,
    /// Also write the challenger (promoted or not) to this file, for `inspect` or `report`.
    #[arg(long, value_name = "FILE")]
    pub challenger: Option<PathBuf>,
    /// Also write the comparison as a self-contained HTML page (the window, both models
    /// side by side, the gate's checks, the decision).
    #[arg(long, value_name = "FILE.html")]
    pub page: Option<PathBuf>,
    /// The label column, when the history names it otherwise than the champion's data.
    #[arg(long, value_name = "COL")]
    pub label: Option<String>,
    #[command(flatten)]
    pub options: Options,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// The exit code of a run that kept the champion.
pub const KEPT: i32 = 4;

pub fn run(args: Args) -> Result<i32> {
    let console = args.quiet.console();
    let job = RetrainJob {
        model: args.model.clone(),
        leads: args.leads.job(),
        options: args.options.given(),
        label: args.label.clone(),
        margin: args.margin,
        force: args.force,
        dry_run: args.dry_run,
        keep: args.keep,
        wait: Duration::from_secs(args.wait),
    };
    // The reading note before the spinner; the stages on it.
    let spinner = std::cell::OnceCell::new();
    let done = api::retrain::retrain(&job, &mut |m| match m.starts_with("reading ") && spinner.get().is_none() {
        true => console.note(m),
        false => spinner.get_or_init(|| console.spinner()).set_message(m.to_string()),
    });
    if let Some(s) = spinner.get() {
        s.finish_and_clear();
    }
    let Retrained { report, challenger } = done?;
    if let (Some(path), Some(bytes)) = (&args.challenger, &challenger) {
        leadscore::data::check_output(path, &[&args.leads.data, &args.model], true)?;
        leadscore::data::atomic_write(path, |w| {
            use std::io::Write;
            w.write_all(bytes).map_err(|e| Error::write(path, e))
        })?;
    }
    if let Some(path) = &args.page {
        leadscore::data::check_output(path, &[&args.leads.data, &args.model], true)?;
        leadscore::data::write_text(path, &leadscore::report::retrain_page(&report))?;
    }
    let text = text(&report, &args);
    if args.json.json {
        eprint!("{}", super::output::shown(&text));
        out_json(&report)?;
    } else {
        out(&text)?;
    }
    Ok(match report.decision {
        Decision::Promoted | Decision::WouldPromote => 0,
        Decision::KeptChampion => KEPT,
    })
}

/// The human report.
fn text(r: &RetrainReport, args: &Args) -> String {
    let mut s = format!("champion {}\n", args.model.display());
    s.push_str(&format!(
        "window: {} new labelled leads, {} won ({})\n",
        count(r.window.rows),
        count(r.window.won),
        r.window.how
    ));
    if r.overrides.is_empty() {
        s.push_str("settings: the champion's (leadscore inspect shows them)\n");
    } else {
        s.push_str(&format!("settings: the champion's, overridden by {}\n", r.overrides.join(" ")));
    }
    if let (Some(c), Some(n)) = (&r.champion, &r.challenger) {
        s.push_str(&format!(
            "on the window ({} leads; ROC AUC with 95% CI by DeLong; top {} = the champion's routed count):\n",
            count(r.window.rows),
            count(r.capacity)
        ));
        s.push_str(&format!(
            "  {:<11} {:<22} {:>7} {:>10} {:>6} {:>9} {:>9} {:>7} {:>11}\n",
            "model", "ROC AUC", "PR AUC", "cal. large", "slope", "threshold", "precision", "recall", "top buyers"
        ));
        for (name, g) in [("champion", c), ("challenger", n)] {
            s.push_str(&row(name, g));
        }
        if let (Some(d), Some(lb)) = (&r.difference, r.difference_lower_bound) {
            s.push_str(&format!(
                "difference (challenger - champion): {:+.4} (95% CI {:+.4} to {:+.4}, p {}); one-sided lower bound {:+.4} against the margin {:+.4}\n",
                d.difference,
                d.ci[0],
                d.ci[1],
                leadscore::uncertainty::p_text(d.p_value),
                lb,
                -r.margin
            ));
        }
    }
    s.push_str("checks:\n");
    for c in &r.checks {
        s.push_str(&format!("  {:<4}  {}: {}\n", if c.passed { "ok" } else { "FAIL" }, c.check, c.detail));
    }
    match r.decision {
        Decision::Promoted => {
            let sw = r.switch.as_ref();
            s.push_str(&format!(
                "promoted: {} is now {} (the previous model {} is kept in {})\n",
                args.model.display(),
                sw.map_or("", |w| &w.live[..12]),
                sw.and_then(|w| w.previous.as_deref()).map_or("(none)", |p| &p[..12]),
                history::dir_of(&args.model).display()
            ));
        }
        Decision::WouldPromote => s.push_str("dry run: the challenger would be promoted; nothing was written\n"),
        Decision::KeptChampion => {
            s.push_str("kept the champion:\n");
            for reason in r.reasons() {
                s.push_str(&format!("  {reason}\n"));
            }
        }
    }
    s
}

fn row(name: &str, g: &Graded) -> String {
    let auc = g
        .roc_auc
        .map_or("n/a".to_string(), |a| format!("{:.4} ({:.3}-{:.3})", a.roc_auc, a.roc_auc_ci[0], a.roc_auc_ci[1]));
    let (cil, slope) = g.calibration.map_or(("n/a".to_string(), "n/a".to_string()), |c| {
        (format!("{:+.3}", c.calibration_in_the_large), format!("{:.3}", c.calibration_slope))
    });
    format!(
        "  {:<11} {:<22} {:>7.4} {:>10} {:>6} {:>9.4} {:>9.3} {:>7.3} {:>11}\n",
        name,
        auc,
        g.pr_auc,
        cil,
        slope,
        g.threshold,
        g.precision,
        g.recall,
        count(g.top_buyers)
    )
}
