//! `leadscore train`: fit a model on labelled contacts and save it.

use std::path::PathBuf;

use clap::Parser;
use leadscore::api::{
    self,
    train::{TrainJob, TrainProgress},
};
use leadscore::data;
use leadscore::error::Result;
use leadscore::features::ResolutionSetting;
use leadscore::model::record::{CarryRule, TrainSettings};
use leadscore::train::{self, TrainOutcome};
use leadscore::{evaluate, metrics, model_file};

use super::args::{parse_alpha, parse_screen, parse_strategy, parse_tiers, Force, Json, Leads, Quiet};
use super::output::{count, out, out_json};

/// Train a lead-scoring model on historical contacts labelled won/lost.
///
/// Features are engineered from the column types with no configuration: numbers
/// (median-imputed, log1p when skewed, standardised, with quantile steps for nonlinear
/// effects), categories (case-folded, placeholders such as "Select" as missing, rare
/// levels pooled, one-hot), yes/no flags, dates (days before the as-of date), e-mail
/// addresses (free-mail vs company domain) and job titles (seniority and function).
/// Identifier-like columns are left out. A column that alone predicts the outcome almost
/// perfectly is named in a leakage warning.
///
/// A share of the rows is held out; the model is fitted on the rest, measured on the
/// holdout, and the threshold is chosen on the holdout.
///
/// Example: leadscore train --data leads.csv --label outcome --id lead_id --model leads.model
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub leads: Leads,
    /// The outcome column (two values, e.g. won/lost, 1/0, yes/no).
    #[arg(long, value_name = "COL")]
    pub label: String,
    #[command(flatten)]
    pub options: Options,
    /// Train on a stratified sample of N rows (by label value), drawn while streaming the
    /// CSV file, so that memory depends on N, not on the file: for exports larger than
    /// memory. The model records that it was trained on a sample, and the rate.
    /// Scoring is streaming anyway.
    #[arg(long, value_name = "N")]
    pub sample: Option<u64>,
    /// Where to write the model file.
    #[arg(long, value_name = "OUT")]
    pub model: PathBuf,
    /// Also write the holdout precision/recall/ROC curve as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub curves: Option<PathBuf>,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub quiet: Quiet,
}

/// The options that shape a model, shared by `train` and `retrain` (which takes the
/// champion's recorded ones and lets these override them). Each is kept as its text,
/// checked here by the parser the library reads it with.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Options {
    /// The label value that means won. Recognised on its own for 1, true, yes, won,
    /// closed won, converted.
    #[arg(long, value_name = "VALUE")]
    pub positive: Option<String>,
    /// Id column, carried to scored output and never used as a feature.
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Columns to leave out, comma-separated (e.g. leaky status or note columns).
    #[arg(long, value_name = "COL,COL", value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Feature spec (TOML): column roles, formats and limits, and [monotone] columns whose
    /// effect only rises ("up") or only falls ("down") with their value. See
    /// docs/guide.md. The model keeps its text.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// How dates are written where the values cannot tell: COL=FORMAT for one column,
    /// or FORMAT for every day-first or month-first date column. FORMAT: dd-mm-yyyy
    /// (also dd.mm.yyyy, dd/mm/yyyy), mm/dd/yyyy, yyyy-mm-dd, or excel (serial day
    /// numbers). Repeat for more columns [default: inferred from each column's values].
    #[arg(long, value_name = "[COL=]FORMAT")]
    pub date_format: Vec<String>,
    /// Leave out columns that carry no signal before the fit (cross-validated on the
    /// training rows; sparse, pure-noise and near-duplicate columns; each decision is
    /// listed): auto (when the file has more than 40 candidate columns, as CRM
    /// all-property exports do), on, off [default: auto]. A column is kept when its
    /// cross-validated ROC AUC clears a bar set from the number of columns, so that half
    /// a noise column gets through on average; MODE:Z fixes the bar at Z standard errors
    /// (auto:3 is the bar every width had before 2026-12-07).
    #[arg(long, value_name = "MODE", value_parser = text_of(parse_screen))]
    pub screen: Option<String>,
    /// Share of labelled rows held out for measuring and for the threshold [default: 0.2].
    #[arg(long, value_name = "SHARE")]
    pub holdout: Option<f64>,
    /// Hold out the most recent rows by this date column instead of a random split.
    #[arg(long, value_name = "DATECOL", conflicts_with = "holdout_last")]
    pub holdout_by: Option<String>,
    /// Hold out the last rows in file order (exports are often in date order).
    #[arg(long)]
    pub holdout_last: bool,
    /// Seed for the split, cross-validation folds and --sample [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
    /// L2 strength (scikit-learn's 1/C), or "auto" to choose by cross-validation from
    /// 0.01, 0.1, 1, 10, 100 [default: 1].
    #[arg(long, allow_hyphen_values = true, value_parser = text_of(parse_alpha))]
    pub alpha: Option<String>,
    /// Most solver iterations [default: 500].
    #[arg(long, value_name = "N")]
    pub max_iter: Option<u64>,
    /// Threshold strategy on the holdout: f1, fbeta:B, precision:P, recall:R, top:K,
    /// top:X%, value:GAIN,COST [default: f1].
    #[arg(long, value_parser = text_of(parse_strategy))]
    pub strategy: Option<String>,
    /// Report ROC AUC across K stratified folds of the training rows.
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,
    /// Calibration of the probabilities, fitted on the held-out rows: none (the model's
    /// logistic function), platt (logistic of a + b x log-odds), isotonic (pooled
    /// adjacent violators, kept strictly increasing so the ranking does not change; from
    /// 1,000 held-out rows), auto (the lowest 5-fold cross-validated log loss on the
    /// held-out rows). Every scoring path and the SQL export apply it. The holdout's
    /// calibration figures are then in-sample for the map; evaluate on new leads
    /// [default: none].
    #[arg(long, value_name = "HOW", value_parser = text_of(|s: &str| s.parse::<leadscore::calibrate::Method>()))]
    pub calibrate: Option<String>,
    /// How finely a number's or date's effect may bend: steps:N (N quantile groups; 0 or
    /// 1: straight lines), spline:K (a natural cubic spline with K knots at training
    /// quantiles, 3 to 7, linear beyond the outer knots), or auto: cross-validated log loss
    /// on at most 20,000 training rows (5 folds repeated 3 times, seeded with --seed; or 5
    /// forward-chained folds in time with --holdout-last or --holdout-by) among steps:5,
    /// steps:10 and spline:3 to spline:5; steps:5 stays unless another beats it on the
    /// folds, significantly at 5% by Nadeau and Bengio's corrected t-test. The summary and --json give every candidate's loss
    /// [default: auto, unless the feature spec gives bins or knots].
    #[arg(long, value_name = "HOW", value_parser = text_of(|s: &str| s.parse::<ResolutionSetting>()))]
    pub resolution: Option<String>,
    /// Update the global model per value of this category column (a product, region or
    /// market; at most 50 values): for each, the global model as it is, with its own
    /// intercept, recalibrated (own intercept and slope), or its own model shrunk towards
    /// the global one, chosen by likelihood-ratio tests on its held-out leads (closed
    /// testing, Vergouwe et al. 2017). Its own model only when its training rows meet
    /// Riley et al.'s sample-size criteria (see docs/guide.md). One model file holds them
    /// all; scoring routes each lead by its value, and a value not seen in training gets
    /// the global model.
    #[arg(long, value_name = "COL")]
    pub segment_by: Option<String>,
    /// Tier names and cut points, lowest first: "contact,mql:0.2,sql:0.5"
    /// [default: cold, warm from half the threshold, hot from the threshold].
    #[arg(long, value_name = "SPEC", value_parser = text_of(parse_tiers))]
    pub tiers: Option<String>,
    /// Per-contact cut-off date column for the activity log (e.g. the day the deal was
    /// won or lost): only events before it count. Never used as a feature.
    #[arg(long, value_name = "COL", requires = "events")]
    pub cutoff_col: Option<String>,
    /// Half-life in days of the recency-decayed event counts [default: 30].
    #[arg(long, value_name = "DAYS")]
    pub event_half_life: Option<f64>,
    /// Save the fit the holdout measured, instead of the final fit on every labelled row.
    /// By default, once the holdout has measured the procedure, the saved model is fitted
    /// again on all labelled rows with the settings the training rows chose (resolution,
    /// alpha, the columns screening kept); the figures stay the holdout's.
    #[arg(long)]
    pub no_refit: bool,
    /// How the threshold and tiers carry over to the final fit: share (cuts that route as
    /// many held-out leads as the measured fit's did) or probability (the same
    /// probabilities). Share held the routed share better on the next period's leads
    /// (bench/RESULTS.md, docs/guide.md) [default: share].
    #[arg(long, value_name = "RULE", value_parser = text_of(|s: &str| s.parse::<CarryRule>()))]
    pub carry: Option<String>,
    /// How a number or date beyond what training saw is scored: edge (as the nearest
    /// edge of the training range: one mistyped headcount of 1,000,000,000 counts as the
    /// largest headcount trained on, and its reason says so) or extend (on the line the
    /// fit ends on, as models trained before this option). Measured on bank marketing's
    /// next period, whose economic columns lie beyond training on most rows: 0.7619 ROC
    /// AUC with the defaults, 0.7549 with extend and --rare-levels standardise
    /// (bench/RESULTS.md) [default: edge].
    #[arg(long, value_name = "HOW", value_parser = text_of(|s: &str| s.parse::<leadscore::features::BeyondRange>()))]
    pub beyond_range: Option<String>,
    /// How the ridge treats a category's rare levels: shrink (no level's indicator is
    /// scaled up more than a level held by half the rows, so the rarer a level, the more
    /// its effect is shrunk towards none) or standardise (each indicator divided by its
    /// own standard deviation, as models trained before this option: a level seen on 67
    /// rows could then move a lead's log-odds by +3.3) [default: shrink].
    #[arg(long, value_name = "HOW", value_parser = text_of(|s: &str| s.parse::<leadscore::features::RareLevels>()))]
    pub rare_levels: Option<String>,
    /// Pairwise interactions, found and fitted the GA2M way: auto (pairs of columns
    /// ranked by InterpretML's FAST on cross-validation folds of the training rows, each
    /// pair a coarse grid of cells with a ridge of its own; as many pairs, up to 64, as
    /// the folds' log loss supports, and none unless they beat none significantly), off,
    /// or a number of pairs. A pair's reason reads `employees x title = 50-200 x vp
    /// (+0.30)`; score, export-sql, monitor, report and inspect read the pairs, rules
    /// suggest leaves them out. With --segment-by, auto seeks none and a number is
    /// refused [default: auto].
    #[arg(long, value_name = "HOW", value_parser = text_of(|s: &str| s.parse::<leadscore::train::interactions::Interactions>()))]
    pub interactions: Option<String>,
}

/// A value parser that checks a value with `parse` and keeps its text.
fn text_of<T, E: std::fmt::Display>(
    parse: impl Fn(&str) -> std::result::Result<T, E> + Clone + Send + Sync + 'static,
) -> impl Fn(&str) -> std::result::Result<String, String> + Clone + Send + Sync + 'static {
    move |s: &str| parse(s).map(|_| s.trim().to_string()).map_err(|e| e.to_string())
}

impl Options {
    /// The options given, as (flag, values), in the order `retrain`'s report names them
    /// ([`train::settings::apply_options`] sets them: the one mapping from a flag to the
    /// settings, shared with the Python package).
    pub fn given(&self) -> Vec<(String, Vec<String>)> {
        // `None`: not given; a switch given has no values.
        fn shown<T: ToString>(v: &Option<T>) -> Option<Vec<String>> {
            v.as_ref().map(|v| vec![v.to_string()])
        }
        let many = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
        let switch = |on: bool| on.then(Vec::new);
        let given: [(&str, Option<Vec<String>>); 25] = [
            ("positive", shown(&self.positive)),
            ("id", shown(&self.id)),
            ("screen", shown(&self.screen)),
            ("holdout", shown(&self.holdout)),
            ("seed", shown(&self.seed)),
            ("alpha", shown(&self.alpha)),
            ("max-iter", shown(&self.max_iter)),
            ("strategy", shown(&self.strategy)),
            ("cv", shown(&self.cv)),
            ("calibrate", shown(&self.calibrate)),
            ("resolution", shown(&self.resolution)),
            ("segment-by", shown(&self.segment_by)),
            ("tiers", shown(&self.tiers)),
            ("exclude", many(&self.exclude).map(|v| vec![v.join(",")])),
            ("spec", shown(&self.spec.as_ref().map(|p| p.display()))),
            ("date-format", many(&self.date_format)),
            ("holdout-by", shown(&self.holdout_by)),
            ("holdout-last", switch(self.holdout_last && self.holdout_by.is_none())),
            ("no-refit", switch(self.no_refit)),
            ("carry", shown(&self.carry)),
            ("cutoff-col", shown(&self.cutoff_col)),
            ("event-half-life", shown(&self.event_half_life)),
            ("beyond-range", shown(&self.beyond_range)),
            ("rare-levels", shown(&self.rare_levels)),
            ("interactions", shown(&self.interactions)),
        ];
        given.into_iter().filter_map(|(flag, values)| Some((flag.to_string(), values?))).collect()
    }
}

impl Args {
    /// The job this command line gives.
    pub fn job(&self) -> Result<TrainJob> {
        let mut settings = TrainSettings::new(&self.label);
        train::settings::apply_options(&mut settings, &self.options.given())?;
        settings.sample = self.sample;
        Ok(TrainJob { leads: self.leads.job(), settings })
    }
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let data_path = &args.leads.data;
    data::check_output(&args.model, &[data_path], args.force.force)?;
    let job = args.job()?;
    if let Some(c) = &args.curves {
        data::check_output(c, &[data_path, &args.model], args.force.force)?;
    }
    let started = std::time::Instant::now();
    // Stage notes go to the spinner on a terminal, else to stderr as lines.
    let mut spinner: Option<indicatif::ProgressBar> = None;
    let outcome = api::train::train(&job, &mut |p| match p {
        TrainProgress::Note(m) => console.note(m),
        TrainProgress::Stage(m) => {
            let s = spinner.get_or_insert_with(|| console.spinner());
            if !s.is_hidden() {
                s.set_message(m.to_string());
            } else {
                console.note(&format!("{m} (at {:.1} s)", started.elapsed().as_secs_f64()));
            }
        }
    });
    if let Some(s) = &spinner {
        s.finish_and_clear();
    }
    let outcome = outcome?;
    model_file::save(&outcome.model, &args.model)?;
    if let Some(c) = &args.curves {
        let curve = metrics::curve(&outcome.holdout_probs, &outcome.holdout_labels);
        evaluate::write_curve(&curve, c)?;
    }
    let mut text = summary(&outcome);
    if let Some(r) = &outcome.event_report {
        text.push_str(&format!(
            "activity log: {} events, {} used, {} at or after their contact's cut-off dropped, {} for unknown contacts; {} event columns\n",
            count(r.events),
            count(r.used),
            count(r.after_cutoff),
            count(r.unmatched),
            r.columns
        ));
    }
    text.push_str(&format!("model written to {}\n", args.model.display()));
    if args.json.json {
        eprint!("{}", super::output::shown(&text));
        out_json(&leadscore::train::summary::TrainSummary::of(&outcome).to_value()?)
    } else {
        out(&text)
    }
}

/// The human summary of a training run.
pub fn summary(o: &TrainOutcome) -> String {
    let mut s = String::new();
    summary_data(&mut s, o);
    summary_fit(&mut s, o);
    s
}

/// The rows, the sample, the columns used, left out and screened out.
fn summary_data(s: &mut String, o: &TrainOutcome) {
    let m = &o.model;
    let meta = &o.model.meta;
    s.push_str(&format!(
        "trained on {}: {} rows, {} won ({:.1}%, {:?} = won)",
        meta.data_file,
        count(meta.rows - meta.rows_missing_label),
        count(meta.positives),
        100.0 * meta.positives as f64 / (meta.rows - meta.rows_missing_label).max(1) as f64,
        meta.positive_value
    ));
    if meta.rows_missing_label > 0 {
        s.push_str(&format!("; {} rows without a label dropped", count(meta.rows_missing_label)));
    }
    s.push('\n');
    if let Some(sm) = &m.sample {
        s.push_str(&format!(
            "sampled: {} of {} rows ({:.2}%, stratified by label value, seed {}): the counts and metrics here are the sample's\n",
            count(sm.rows_sampled as usize),
            count(sm.rows_in_file as usize),
            100.0 * sm.rate(),
            sm.seed
        ));
    }
    s.push_str(&format!(
        "features: {} input columns -> {} model features\n",
        m.features.columns.len(),
        m.features.n_features()
    ));
    for c in &m.features.columns {
        match c.format_note() {
            Some(f) => s.push_str(&format!("  {:<10} {} ({f})\n", c.role.name(), c.name)),
            None => s.push_str(&format!("  {:<10} {}\n", c.role.name(), c.name)),
        }
    }
    let skipped = &o.fit_report.skipped;
    for sk in skipped.iter().take(if skipped.len() > 12 { 10 } else { 12 }) {
        s.push_str(&format!("  left out  {} ({})\n", sk.column, sk.reason));
    }
    if skipped.len() > 12 {
        s.push_str(&format!("  left out  {} more columns (--json lists each with its reason)\n", skipped.len() - 10));
    }
    if o.fit_report.screening {
        let kept = m.features.columns.len();
        s.push_str(&format!(
            "screening: kept {} of {} columns (each needs a cross-validated ROC AUC on the training rows clearly \
             above 0.5; --screen off fits them all)\n",
            count(kept),
            count(kept + o.fit_report.screened.len())
        ));
    }
    let screened = &o.fit_report.screened;
    if screened.len() > 10 {
        let names: Vec<&str> = screened.iter().take(10).map(|k| k.column.as_str()).collect();
        s.push_str(&format!(
            "  screened out {} columns with no signal on the training rows (--json lists each with its numbers): \
             {}, ...\n",
            count(screened.len()),
            names.join(", ")
        ));
    } else {
        for sk in screened {
            s.push_str(&format!("  screened out {} ({})\n", sk.column, sk.reason));
        }
    }
}

/// The as-of date, the resolution, alpha, cross-validation, the solver, the holdout, calibration, the threshold, segments, coefficients and warnings.
fn summary_fit(s: &mut String, o: &TrainOutcome) {
    let m = &o.model;
    let meta = &o.model.meta;
    if let Some(a) = &o.as_of {
        s.push_str(&format!("dates count back from {}\n", a.describe()));
    }
    if let Some(i) = &o.interactions {
        s.push_str(&format!("pairwise interactions: {}\n", i.describe()));
        for p in &i.chosen {
            s.push_str(&format!("  {} ({} cells, FAST gain {:.1})\n", p.columns, p.cells, p.gain));
        }
    }
    if let Some(r) = &o.resolution {
        s.push_str(&format!("numbers and dates bend by {}\n", r.describe()));
    }
    if !o.alpha_search.is_empty() {
        let tried: Vec<String> = o.alpha_search.iter().map(|(a, auc)| format!("{a}: {auc:.4}")).collect();
        s.push_str(&format!("alpha search (mean CV ROC AUC): {}; chose {}\n", tried.join(", "), meta.alpha));
    }
    if let Some((mean, sd, k)) = meta.cv_auc {
        s.push_str(&format!("cross-validation: ROC AUC {mean:.4} +/- {sd:.4} over {k} folds of the training rows\n"));
    }
    let how = match meta.preconditioned {
        true => format!("preconditioned on a subsample's Hessian, after {} iterations on every row", meta.iterations),
        false => format!("after {} iterations", meta.iterations),
    };
    s.push_str(&format!(
        "solver: {} {} (alpha {}, gradient norm {:.3e}), {} training rows\n",
        if meta.converged { "converged" } else { "NOT converged" },
        how,
        meta.alpha,
        meta.gradient_norm,
        count(meta.train_rows)
    ));
    if let Some(h) = &meta.holdout {
        let x = &h.metrics;
        let ci = |c: [f64; 2]| format!("{:.3}-{:.3}", c[0], c[1]);
        s.push_str(&format!(
            "holdout ({}): {} rows, {} won\n  ROC AUC {:.4} (95% CI {}, DeLong)   PR AUC {:.4} ({})   log loss {:.4}   Brier {:.4}\n",
            h.method,
            count(x.rows),
            count(x.positives),
            x.roc_auc,
            o.holdout_auc.map_or("n/a".into(), |a| ci(a.roc_auc_ci)),
            x.pr_auc,
            ci(o.holdout_at.pr_auc_ci),
            x.log_loss,
            x.brier
        ));
    }
    let t = &m.threshold;
    if let Some(c) = &o.holdout_calibration {
        s.push_str(&format!("  {}\n", c.describe()));
    }
    if o.calibration.asked != leadscore::calibrate::Method::None {
        let tried: Vec<String> =
            o.calibration.cv_log_loss.iter().map(|(k, v)| format!("{} {v:.4}", k.name())).collect();
        s.push_str(&format!(
            "calibration map: {}{}, fitted on the {} held-out rows (its holdout figures above are in-sample for the map)\n",
            m.calibration.describe(),
            if tried.is_empty() {
                String::new()
            } else {
                format!(", chosen by {}-fold cross-validated log loss ({})", leadscore::calibrate::FOLDS, tried.join(", "))
            },
            count(o.calibration.rows)
        ));
    }
    let at = &o.holdout_at;
    // The figures are the measured fit's, at its threshold; the saved fit's follows below.
    let measured_threshold = match m.record.as_ref().map(|r| &r.saved_fit) {
        Some(leadscore::model::record::SavedFit::Refit { measured_threshold, .. }) => *measured_threshold,
        _ => t.value,
    };
    s.push_str(&format!(
        "threshold {:.4} ({} on the holdout): precision {:.3} ({:.3}-{:.3}), recall {:.3} ({:.3}-{:.3}), lift {:.2} ({:.2}-{:.2}), routes {} held-out leads\n",
        measured_threshold,
        t.strategy,
        t.precision,
        at.precision_ci[0],
        at.precision_ci[1],
        t.recall,
        at.recall_ci[0],
        at.recall_ci[1],
        at.lift,
        at.lift_ci[0],
        at.lift_ci[1],
        count(t.routed)
    ));
    s.push_str(&format!(
        "  (intervals: 95%, ROC AUC by DeLong's method, the others by {} bootstrap replicates, seed {})\n",
        at.bootstrap.replicates, at.bootstrap.seed
    ));
    if let Some(n) = &o.threshold_note {
        s.push_str(&format!("  note: {n}\n"));
    }
    if let Some(sg) = &m.segments {
        s.push_str(&segment_summary(sg, &o.segment_checks));
    }
    s.push_str(&format!("tiers: {}\n", m.tiers.describe()));
    if let Some(r) = &m.record {
        s.push_str(&format!("saved model: {}\n", r.saved_fit.describe()));
        if let leadscore::model::record::SavedFit::Refit { carry, measured_threshold, .. } = &r.saved_fit {
            s.push_str(&format!(
                "  its threshold {:.4}: the measured fit's {measured_threshold:.4} carried over by {} (--carry)\n",
                t.value,
                match carry {
                    CarryRule::Share => "routed share",
                    CarryRule::Probability => "probability",
                }
            ));
        }
    }
    let unit = m.record.as_ref().map_or("per standard deviation", |r| r.settings.coefficient_unit());
    s.push_str(&format!("largest coefficients ({unit}):\n"));
    for (name, c) in m.top_coefficients(10) {
        s.push_str(&format!("  {c:+.3}  {name}\n"));
    }
    for w in &o.warnings {
        s.push_str(&format!("warning: {}\n", w.text()));
    }
}

/// The per-segment table of a segmented training run.
fn segment_summary(sg: &leadscore::segments::Segments, checks: &[leadscore::segments::SegmentCheck]) -> String {
    let auc = |a: Option<leadscore::uncertainty::AucInterval>| {
        a.map_or("n/a".to_string(), |a| format!("{:.3} ({:.3}-{:.3})", a.roc_auc, a.roc_auc_ci[0], a.roc_auc_ci[1]))
    };
    let diff = |d: Option<leadscore::uncertainty::AucDifference>| {
        d.map_or("n/a".to_string(), |d| {
            format!(
                "{:+.3} ({:+.3} to {:+.3}, p {})",
                d.difference,
                d.ci[0],
                d.ci[1],
                leadscore::uncertainty::p_text(d.p_value)
            )
        })
    };
    let mut s = format!(
        "segments by {} (held-out ROC AUC with 95% CI, DeLong; the updates were fitted and tested on these held-out \
         leads, so evaluate on new leads for unbiased figures):\n",
        sg.column
    );
    let width = sg.segments.iter().map(|g| g.value.chars().count()).max().unwrap_or(0).max(14);
    s.push_str(&format!(
        "  {:<width$} {:>8} {:>6} {:>8} {:>6}  {:<14} {:<20} {:<20} {}\n",
        "segment", "training", "won", "held out", "won", "model", "global ROC AUC", "segmented ROC AUC", "difference"
    ));
    for g in &sg.segments {
        let c = checks.iter().find(|c| c.value == g.value);
        s.push_str(&format!(
            "  {:<width$} {:>8} {:>6} {:>8} {:>6}  {:<14} {:<20} {:<20} {}\n",
            g.value,
            count(g.train_rows),
            count(g.train_won),
            count(g.holdout_rows),
            count(g.holdout_won),
            g.update.name(),
            auc(c.and_then(|c| c.global)),
            auc(c.and_then(|c| c.segmented)),
            diff(c.and_then(|c| c.difference)),
        ));
    }
    if let Some(all) = checks.first() {
        s.push_str(&format!(
            "  {:<width$} {:>8} {:>6} {:>8} {:>6}  {:<14} {:<20} {:<20} {}\n",
            "(all)",
            "",
            "",
            "",
            "",
            "",
            auc(all.global),
            auc(all.segmented),
            diff(all.difference),
        ));
    }
    for g in &sg.segments {
        s.push_str(&format!("  {}: {}: {}\n", g.value, g.update.describe(), g.why));
    }
    s.push_str("  leads whose segment is missing or was not seen in training get the global model\n");
    s
}
