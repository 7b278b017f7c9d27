//! `leadscore demo`: the main job on the sample data shipped in `data/`.

use std::path::{Path, PathBuf};

use clap::Parser;
use leadscore::api::compare::CompareJob;
use leadscore::api::evaluate::EvaluateJob;
use leadscore::api::monitor::{MonitorJob, Monitored};
use leadscore::api::report::ReportJob;
use leadscore::api::score::ScoreJob;
use leadscore::api::train::{TrainJob, TrainProgress};
use leadscore::api::{self, Leads};
use leadscore::error::{Error, Result};
use leadscore::model::record::TrainSettings;
use leadscore::train;
use leadscore::{data, model_file};

use super::output::{count, out};

/// Run the whole job on the sample data shipped in data/.
///
/// Train on data/sample_leads.csv,
/// measure on the holdout, choose the threshold, score data/new_leads.csv, measure the
/// threshold on data/evaluation_leads.csv (leads neither the fit nor the threshold saw),
/// compare with the manual points in data/sample_rules.toml on data/holdout_leads.csv, write the HTML
/// report and the monitoring page (the new leads against the training rows), and put
/// everything into one folder.
///
/// Example: leadscore demo --output demo-output
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Folder with sample_leads.csv and new_leads.csv [default: ./data, else the
    /// data/ folder of the source tree].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder for the outputs (created; files the demo wrote before are replaced).
    #[arg(long, default_value = "demo-output", value_name = "DIR")]
    pub output: PathBuf,
    /// Seed for the holdout split.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub quiet: super::args::Quiet,
}

fn data_dir(arg: &Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = arg {
        return Ok(d.clone());
    }
    let local = PathBuf::from("data");
    if local.join("sample_leads.csv").is_file() {
        return Ok(local);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    if built.join("sample_leads.csv").is_file() {
        return Ok(built);
    }
    Err(Error::usage("demo", "cannot find data/sample_leads.csv; run from the project folder or pass --data-dir"))
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let dir = data_dir(&args.data_dir)?;
    let train_file = dir.join("sample_leads.csv");
    let new_file = dir.join("new_leads.csv");
    std::fs::create_dir_all(&args.output).map_err(|e| Error::write(&args.output, e))?;
    let model_path = args.output.join("model.leadscore");
    let scored_path = args.output.join("scored_new_leads.csv");
    let curves_path = args.output.join("holdout_curves.csv");
    let report_path = args.output.join("report.html");
    let monitor_path = args.output.join("monitor.html");
    for p in [&model_path, &scored_path, &curves_path, &report_path, &monitor_path] {
        data::check_output(p, &[&train_file, &new_file], true)?;
    }

    let mut s = String::new();
    s.push_str(&format!("== 1. train on {} ==\n", train_file.display()));
    let options = [("id", "lead_id".to_string()), ("holdout", "0.25".into()), ("seed", args.seed.to_string())];
    let mut settings = TrainSettings::new("outcome");
    train::settings::apply_options(&mut settings, &options.map(|(f, v)| (f.to_string(), vec![v])))?;
    let job = TrainJob { leads: Leads::file(&train_file), settings };
    let outcome = api::train::train(&job, &mut |p| match p {
        TrainProgress::Note(m) | TrainProgress::Stage(m) => console.note(m),
    })?;
    model_file::save(&outcome.model, &model_path)?;
    s.push_str(&super::train::summary(&outcome));

    s.push_str("\n== 2. the holdout, as sales sees it ==\n");
    let ev = leadscore::evaluate::evaluate_predictions(
        &outcome.model,
        &outcome.holdout_probs,
        &outcome.holdout_labels,
        0,
        "holdout",
        leadscore::uncertainty::Bootstrap { seed: 42, ..Default::default() },
    )?;
    leadscore::evaluate::write_curve(&ev.curve, &curves_path)?;
    s.push_str(&super::evaluate::gains(&ev.bands));

    s.push_str(&format!("\n== 3. score {} ==\n", new_file.display()));
    // The sample leads are synthetic history: scored as of the training data's date,
    // given explicitly, as `score --as-of` would be.
    let mut new_leads = Leads::file(&new_file);
    new_leads.as_of = outcome.model.features.as_of_day.and_then(leadscore::features::cell::from_day_number);
    let job = ScoreJob::new(&outcome.model, new_leads.clone());
    let as_of = job.as_of;
    s.push_str(&format!("as of {} (the sample data's own date)\n", as_of.date));
    let scored = api::score::score_table(&job)?.frame;
    data::write_table(&mut scored.clone(), &scored_path)?;
    let hot = leadscore::score::count_decisions(&scored);
    s.push_str(&format!(
        "{} new leads scored, {} at or above the threshold {:.4}\n",
        count(scored.height()),
        count(hot),
        outcome.model.threshold.value
    ));
    s.push_str("first leads:\n");
    for lead in data::first_rows(&scored, &["lead_id", "score", "tier", "reasons"], 5) {
        s.push_str(&format!("  {}  score {:>3}  {:<5} {}\n", lead[0], lead[1], lead[2], lead[3]));
    }
    // Monitoring: the new leads against the profile of the training rows.
    if outcome.model.profile.is_some() {
        s.push_str(&format!("\n== 4. monitor {} against the training rows ==\n", new_file.display()));
        let job = MonitorJob {
            model: &outcome.model,
            model_name: model_path.display().to_string(),
            leads: new_leads,
            label: None,
            page: true,
        };
        let Monitored { monitor: m, page, .. } = api::monitor::monitor(&job)?;
        let worst: Vec<String> = {
            let mut c: Vec<&leadscore::monitor::ColumnDrift> = m.columns.iter().collect();
            c.sort_by(|a, b| b.drift.psi.total_cmp(&a.drift.psi));
            c.iter().take(3).map(|c| format!("{} {:.4}", c.part, c.drift.psi)).collect()
        };
        s.push_str(&format!("{}: largest PSI {}; score PSI {:.4}\n", m.worst.name(), worst.join(", "), m.score.psi));
        data::write_text(&monitor_path, &page.unwrap_or_default())?;
        s.push_str(&format!("monitoring page: {}\n", monitor_path.display()));
    }
    // The threshold was chosen on the training run's holdout, so its precision there is
    // flattering: measured again on labelled leads that neither the fit nor the choice saw.
    let eval_file = dir.join("evaluation_leads.csv");
    if eval_file.is_file() {
        s.push_str(&format!("\n== 5. the threshold on {}, leads it was not chosen on ==\n", eval_file.display()));
        let mut leads = Leads::file(&eval_file);
        leads.as_of = Some(as_of.date);
        let job = EvaluateJob { model: &outcome.model, leads, by: None, bootstrap: Default::default() };
        let ev = api::evaluate::evaluate(&job)?.evaluation;
        s.push_str(&format!(
            "{} labelled leads, {} won; ROC AUC {:.4} ({})\n",
            count(ev.rows),
            count(ev.positives),
            ev.roc_auc,
            ev.roc_auc_ci.map_or("no interval".to_string(), |c| format!("95% CI {:.3}-{:.3}, DeLong", c[0], c[1]))
        ));
        s.push_str(&super::evaluate::at_threshold(&ev));
    }
    let rules_file = dir.join("sample_rules.toml");
    let holdout_file = dir.join("holdout_leads.csv");
    if rules_file.is_file() && holdout_file.is_file() {
        s.push_str(&format!("\n== 6. predictive versus the manual points in {} ==\n", rules_file.display()));
        let rules = leadscore::rules::RulesFile::load(&rules_file)?;
        let job = CompareJob {
            model: &outcome.model,
            rules: &rules,
            leads: Leads::file(&holdout_file),
            id: Some("lead_id".into()),
            bootstrap: Default::default(),
        };
        let c = api::compare::compare(&job)?.comparison;
        s.push_str(&super::compare::headline(&c, &holdout_file.display().to_string()));
        let job = ReportJob {
            model: &outcome.model,
            leads: Leads::file(&holdout_file),
            rules: Some((&rules, super::output::file_name(&rules_file))),
            bootstrap: Default::default(),
        };
        data::write_text(&report_path, &api::report::report(&job)?.html)?;
        s.push_str(&format!("report: {}\n", report_path.display()));
    }
    s.push_str(&format!(
        "\noutputs in {}:\n  {}\n  {}\n  {}\n  {}\n  {}\n",
        args.output.display(),
        model_path.display(),
        scored_path.display(),
        curves_path.display(),
        report_path.display(),
        monitor_path.display()
    ));
    out(&s)
}
