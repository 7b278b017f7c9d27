//! `leadscore score`: score new leads with a saved model.

use std::path::PathBuf;

use clap::Parser;
use leadscore::alerts::run::AfterRun;
use leadscore::alerts::webhook;
use leadscore::api::{
    self,
    score::{FileOutput, FileProgress, ScoreJob},
};
use leadscore::error::{Error, Result};
use leadscore::score::{OnBadRow, Route, STREAM_BATCH};
use leadscore::{data, model_file};

use super::args::{parse_dialect, Force, Leads, ModelIn, Quiet};
use super::output::count;
use leadscore::dialect::OutputDialect;

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
    /// Output: CSV or Parquet, by extension; `-` writes CSV to standard output (written
    /// only when the whole run succeeds; messages stay on stderr).
    #[arg(long, value_name = "OUT")]
    pub output: PathBuf,
    /// How a CSV output is written: auto (as the input: its delimiter; decimal commas
    /// with `;`; a UTF-8 byte-order mark when the input had one or was Windows-1252 or
    /// UTF-16, so that Excel shows æøå), plain (`,` and `.`, for polars and pandas),
    /// excel (`,` and `.` with a byte-order mark), excel-semicolon (`;` and decimal
    /// commas with a byte-order mark), tsv.
    #[arg(long, value_name = "DIALECT", default_value = "auto", value_parser = parse_dialect)]
    pub output_dialect: OutputDialect,
    /// Positive reasons per lead (negative reasons: one fewer); 0 leaves them out.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub reasons: usize,
    /// Id column to carry to the output [default: the model's id column].
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Set aside the leads with a cell the model cannot read into this CSV file (row, id,
    /// column, value, reason) and score all the others; the run then ends with a warning,
    /// not an error. Without it, the first such cell stops the run (exit 2).
    #[arg(long, value_name = "FILE.csv")]
    pub rejects: Option<PathBuf>,
    /// What a lead with a cell the model cannot read does: fail (stop, the default) or
    /// reject (set it aside into --rejects).
    #[arg(long, value_name = "MODE", value_parser = ["fail", "reject"])]
    pub on_bad_row: Option<String>,
    /// Keep each lead's last probability, tier and routing here (Parquet; created on the
    /// first run, replaced atomically after each), to tell which leads changed since the
    /// last run. Leads are matched by id.
    #[arg(long, value_name = "FILE.parquet")]
    pub state: Option<PathBuf>,
    /// Write the changes since the last run (--state) here, one JSON object per line:
    /// new, crossed_up, crossed_down, tier_changed, removed; each with the id, previous
    /// and current probability and tier, the threshold, the model's checksum, the lead's
    /// reasons and a stable event_id (the same change found again has the same id).
    #[arg(long, value_name = "FILE.jsonl", requires = "state")]
    pub changes: Option<PathBuf>,
    /// A routed lead stays routed until its probability falls this far below the
    /// threshold, so that a lead hovering at the line does not flap [default: 0].
    #[arg(long, value_name = "P", default_value_t = 0.0, requires = "state")]
    pub hysteresis: f64,
    /// Post the changes (--state) to this address, signed as the Standard Webhooks
    /// specification says (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256),
    /// in batches of JSON: {"type": "leadscore.changes", "timestamp", "data": {"changes":
    /// [...]}}. Failed deliveries are retried with backoff (a 429's Retry-After is
    /// honoured; other 4xx answers are not retried). What is not delivered waits in an
    /// outbox beside the state (STATE.outbox.jsonl) and is sent first on the next run.
    /// The scored file is written first and delivery never fails the run: a warning says
    /// what is left.
    #[arg(long, value_name = "URL", requires = "state")]
    pub webhook: Option<String>,
    /// The environment variable holding the webhook's signing secret (whsec_ and base64,
    /// as the receiver shows it).
    #[arg(long, value_name = "NAME", default_value = "LEADSCORE_WEBHOOK_SECRET", requires = "webhook")]
    pub webhook_secret_env: String,
    /// Changes per webhook request.
    #[arg(long, value_name = "N", default_value_t = 100, requires = "webhook")]
    pub webhook_batch: usize,
    /// Further attempts per webhook request after a failed one (waits of about 1, 2, 4, ...
    /// seconds, at most 60, with jitter).
    #[arg(long, value_name = "N", default_value_t = 5, requires = "webhook")]
    pub webhook_retries: u32,
    /// Seconds to wait for the receiver's answer (connecting: at most 5).
    #[arg(long, value_name = "SECS", default_value_t = 15.0, requires = "webhook")]
    pub webhook_timeout: f64,
    /// The first wait before a retry, in milliseconds (for tests).
    #[arg(long, value_name = "MS", default_value_t = 1000, hide = true)]
    pub webhook_backoff_ms: u64,
    /// Print the webhook requests that would be sent (the outbox first, then this run's
    /// changes) to standard output and send nothing; the state, the outbox and the changes
    /// file are left as they were.
    #[arg(long, requires = "webhook")]
    pub dry_run: bool,
    /// Write the scores as a file the CRM's own importer takes as it is, in place of the
    /// scored file: hubspot (an import file: the record's identifier, one column per
    /// property) or salesforce (a Bulk API 2.0 upsert CSV: the external ID field, field
    /// API names, `#N/A` for a value that is gone). With --state, only the leads whose
    /// score, tier or decision changed since the last run (and new ones) are written.
    #[arg(long, value_name = "CRM", requires = "crm_key")]
    pub crm: Option<leadscore::crm::Crm>,
    /// The column holding each lead's CRM identifier, and its header in the file when it
    /// differs: `email=Email`, `hs_object_id=Record ID`, `lead_key=Lead_Key__c`.
    #[arg(long, value_name = "COL[=HEADER]", requires = "crm")]
    pub crm_key: Option<String>,
    /// Which scored fields to write and under which CRM names:
    /// `probability=ls_probability,tier=ls_tier` [default: all five, as leadscore_probability,
    /// leadscore_score, leadscore_tier, leadscore_decision, leadscore_reasons for HubSpot;
    /// Leadscore_Probability__c ... Leadscore_Reasons__c for Salesforce].
    #[arg(long, value_name = "FIELD=NAME,...", requires = "crm")]
    pub crm_fields: Option<String>,
    #[command(flatten)]
    pub force: Force,
    #[command(flatten)]
    pub quiet: Quiet,
    /// Skip the parallel CSV-to-CSV scorer and use the general path (same output;
    /// for tests and for comparing the two).
    #[arg(long, hide = true)]
    pub general_path: bool,
}

pub fn run(mut args: Args) -> Result<()> {
    if args.output.as_os_str() != "-" {
        return score(args);
    }
    if args.state.is_some() {
        return Err(Error::usage("--state", "compares the scored file with the last run's: give --output a file"));
    }
    // Standard output: scored into a temporary file, then copied out whole.
    let stdout = std::io::stdout();
    data::through_temp_file(
        "standard-output.csv",
        std::path::Path::new("(standard output)"),
        |tmp| {
            super::output::show_as(tmp, "(standard output)");
            args.output = tmp.to_path_buf();
            score(args)
        },
        &mut stdout.lock(),
    )
}

fn score(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let (data_path, model_path) = (&args.leads.data, &args.model.model);
    data::check_output(&args.output, &[data_path, model_path], args.force.force)?;
    let on_bad_row = match (args.on_bad_row.as_deref(), &args.rejects) {
        (Some("reject"), None) => {
            return Err(Error::usage("--on-bad-row reject", "say where the rejected leads go with --rejects FILE.csv"))
        }
        (Some("fail"), Some(_)) => {
            return Err(Error::usage("--on-bad-row fail", "--rejects sets leads aside; leave out one of the two"))
        }
        (_, Some(r)) => {
            data::check_output(r, &[data_path, model_path, &args.output], args.force.force)?;
            OnBadRow::Reject
        }
        _ => OnBadRow::Fail,
    };
    if let Some(st) = &args.state {
        if data::Format::of(st).ok() != Some(data::Format::Parquet) {
            return Err(Error::usage("--state", format!("{} should be a Parquet file (.parquet)", st.display())));
        }
        // Replaced after each run, so it may exist; never one of the inputs.
        data::check_output(st, &[data_path, model_path, &args.output], true)?;
        if let Some(c) = &args.changes {
            data::check_output(c, &[data_path, model_path, &args.output, st], true)?;
        }
        leadscore::alerts::run::check_hysteresis(args.hysteresis)?;
        data::check_output(&webhook::outbox_path(st), &[data_path, model_path, &args.output], true)?;
    }
    // The webhook's address and secret are checked before any work.
    let warn = &mut |m: &str| eprintln!("leadscore: warning: {m}");
    let sender = match &args.webhook {
        Some(url) => Some(
            leadscore::alerts::run::WebhookSettings {
                url: url.clone(),
                secret_env: args.webhook_secret_env.clone(),
                batch: args.webhook_batch,
                retries: args.webhook_retries,
                backoff_ms: args.webhook_backoff_ms,
                timeout_s: args.webhook_timeout,
            }
            .sender(warn)?,
        ),
        None => None,
    };
    let crm = match (&args.crm, &args.crm_key) {
        (Some(c), Some(k)) => Some(leadscore::crm::CrmSpec::new(*c, k, args.crm_fields.as_deref())?),
        _ => None,
    };
    let (model, checksum) = model_file::load_with_checksum(model_path)?;
    let job = ScoreJob {
        reasons: args.reasons,
        id: crm.as_ref().map(|c| c.key_column.clone()).or_else(|| args.id.clone()),
        on_bad_row,
        dialect: args.output_dialect,
        ..ScoreJob::new(&model, args.leads.job())
    };
    console.note(&format!("as of {}", job.as_of.describe()));
    if let Some(w) = job.gap_warning() {
        console.note(&w);
    }
    let after = args.state.as_deref().map(|state| AfterRun {
        state,
        changes: args.changes.as_deref(),
        hysteresis: args.hysteresis,
        dry_run: args.dry_run,
        sender: sender.as_ref(),
    });
    let output = FileOutput {
        path: &args.output,
        streaming_only: args.general_path,
        rejects: args.rejects.as_deref(),
        crm: crm.as_ref(),
        alerts: after.as_ref().map(|a| (a, checksum)),
    };
    // The bar appears with the first bytes scored (a CSV path), sized to the text read.
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut shown = None;
    let stdout = std::io::stdout();
    api::score::score_file(&job, &output, &mut stdout.lock(), &mut |p| match p {
        FileProgress::Csv { route, done, total } => {
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
                let b = bar.get_or_insert_with(|| console.bytes_bar(total));
                b.suspend(|| console.note(&note));
                b.set_position(0);
            }
            if let Some(b) = &bar {
                b.set_position(done);
            }
        }
        FileProgress::Reading => console.note(&format!("reading {}", data_path.display())),
        FileProgress::Scored(done) => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            if let Some(e) = &done.encoding {
                console.note(&format!("read {} as {}", data_path.display(), e.describe()));
            }
            if let (Some(path), Some(first)) = (&args.rejects, done.rejects.first()) {
                // A warning even with --quiet: leads were left out of the output.
                eprintln!(
                    "leadscore: warning: {} leads set aside into {} (the first: row {}, column {:?}, {:?}: {})",
                    count(done.rejects.len()),
                    path.display(),
                    first.row,
                    first.column,
                    first.value,
                    first.reason
                );
            }
            console.note(&scored_note(done, &model, &args, crm.as_ref()));
        }
        FileProgress::Note(m) => console.note(m),
        FileProgress::Warning(m) => warn(m),
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    Ok(())
}

/// The closing note: the leads scored and where they went.
fn scored_note(
    done: &leadscore::api::score::FileScored,
    model: &leadscore::model::LeadModel,
    args: &Args,
    crm: Option<&leadscore::crm::CrmSpec>,
) -> String {
    match (crm, &done.crm) {
        (Some(spec), Some(w)) => crm_note(spec, w, done.rows, done.decisions, model.threshold.value, &args.output),
        _ => format!(
            "scored {} leads: {} at or above the threshold {:.4}; written to {}",
            count(done.rows),
            count(done.decisions),
            model.threshold.value,
            args.output.display()
        ),
    }
}

/// The closing note of a `--crm` run.
fn crm_note(
    spec: &leadscore::crm::CrmSpec,
    w: &leadscore::crm::Written,
    rows: usize,
    decisions: usize,
    threshold: f64,
    out: &std::path::Path,
) -> String {
    let mut left_out = Vec::new();
    if w.compared {
        left_out.push(format!("{} unchanged since the last run", count(w.unchanged)));
    }
    if w.without_key > 0 {
        left_out.push(format!("{} without a {}", count(w.without_key), spec.key_column));
    }
    let left_out = match left_out.is_empty() {
        true => String::new(),
        false => format!(" (left out: {})", left_out.join("; ")),
    };
    let crm = match spec.crm {
        leadscore::crm::Crm::HubSpot => "HubSpot",
        leadscore::crm::Crm::Salesforce => "Salesforce",
    };
    format!(
        "scored {} leads: {} at or above the threshold {threshold:.4}; {} written for {crm}'s importer to {}{left_out}",
        count(rows),
        count(decisions),
        count(w.rows),
        out.display()
    )
}
