//! Training end to end: label, split, features, fit, holdout metrics, threshold.
//!
//! The `train` command's work, between loading ([`crate::data`]) and the model file
//! ([`crate::model_file`]). The holdout is set aside first; the feature pipeline and the
//! coefficients are learned on the training rows only; the holdout then gives the
//! honest metrics and chooses the threshold. Cross-validation (`--cv`, `--alpha auto`)
//! runs on the training rows, never on the holdout.

pub mod interactions;
mod refit;
pub mod settings;
pub mod summary;
mod warnings;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::{read_label, Table};
use crate::error::{Error, Result};
use crate::events::{EventLog, EventParams, EventReport};
use crate::features::{FeatureParams, FitReport};
use crate::fit::LogisticParams;
pub use crate::metrics::SampleSize;
use crate::metrics::{self, Summary};
use crate::model::record::{
    CarryRule, Figures, Record, RecordedWarning, SavedFit, SeenIds, TrainSettings, WarningKind,
};
use crate::model::{HoldoutInfo, LeadModel, ThresholdInfo, Tiers, TrainMeta};
pub use crate::resolution::{
    mean_sd, PairedGain, ResolutionChoice, RESOLUTION_FOLDS, RESOLUTION_GRID, RESOLUTION_LEVEL, RESOLUTION_ROWS,
};
pub use crate::split::Split;
use crate::threshold::Strategy;

/// The L2 strength: fixed, or chosen by cross-validation from [`ALPHA_GRID`].
#[derive(Debug, Clone, PartialEq)]
pub enum Alpha {
    Fixed(f64),
    Auto,
}

/// The grid `--alpha auto` searches (scikit-learn's C = 100 down to 0.01).
pub const ALPHA_GRID: [f64; 5] = [0.01, 0.1, 1.0, 10.0, 100.0];

/// Everything `train` needs beyond the table.
#[derive(Debug, Clone)]
pub struct TrainParams {
    pub features: FeatureParams,
    pub label: String,
    pub positive: Option<String>,
    pub id: Option<String>,
    pub holdout: f64,
    pub split: Split,
    pub seed: u64,
    pub alpha: Alpha,
    pub max_iterations: u64,
    pub strategy: Strategy,
    pub cv: Option<usize>,
    pub tiers: Option<Tiers>,
    /// An activity log to aggregate into behavioural features.
    pub events: Option<EventsInput>,
    /// The calibration map fitted on the held-out rows. Default: none.
    pub calibrate: crate::calibrate::Method,
    /// Choose the resolution of numbers ([`RESOLUTION_GRID`]) by cross-validated log loss
    /// on the training rows, unless the feature spec fixes it ([`choose_resolution`]'s
    /// rule keeps steps at 5 quantile groups unless a finer one wins significantly).
    /// Default: true; false keeps the spec's, else steps at 5 quantile groups.
    pub choose_resolution: bool,
    /// A category column whose values (products, regions) get their own update of the
    /// global model where their held-out leads call for one ([`crate::segments`]).
    /// Default: none.
    pub segment_by: Option<String>,
    /// Fit the saved model again on every labelled row once the holdout has measured the
    /// procedure ([`refit`]). Default: true; false saves the measured fit (`--no-refit`).
    pub refit: bool,
    /// How the threshold and tiers carry over to the final fit. Default: the same routed
    /// share of held-out leads.
    pub carry: CarryRule,
    /// Hold out exactly these rows (table indices) instead of splitting: `retrain`'s
    /// window of leads the champion never saw. Default: none.
    pub holdout_rows: Option<Vec<usize>>,
    /// The settings as given, recorded in the model ([`crate::model::record`]).
    pub settings: Option<TrainSettings>,
    /// Pairwise interactions ([`interactions`]). Default: off. A segmented model has
    /// none.
    pub interactions: interactions::Interactions,
}

/// An activity log and how to use it in training.
#[derive(Debug, Clone)]
pub struct EventsInput {
    pub log: EventLog,
    pub params: EventParams,
    /// Per-contact cut-off date column (e.g. the day the deal was won or lost); it is
    /// never a feature.
    pub cutoff_col: Option<String>,
    /// Cut-off for contacts without one [default: the day of the latest event].
    pub as_of: Option<chrono::NaiveDate>,
}

impl TrainParams {
    /// Defaults: 20% stratified holdout, seed 42, alpha 1, F1 threshold, no CV.
    pub fn new(label: &str) -> Self {
        TrainParams {
            features: FeatureParams::new(label),
            label: label.to_string(),
            positive: None,
            id: None,
            holdout: 0.2,
            split: Split::Stratified,
            seed: 42,
            alpha: Alpha::Fixed(1.0),
            max_iterations: 500,
            strategy: Strategy::FBeta(1.0),
            cv: None,
            tiers: None,
            events: None,
            calibrate: crate::calibrate::Method::None,
            segment_by: None,
            choose_resolution: true,
            refit: true,
            carry: CarryRule::Share,
            holdout_rows: None,
            settings: None,
            interactions: interactions::Interactions::Auto,
        }
    }

    /// The pairs looked for: none for a segmented model (each segment's own model has
    /// no pairs), else as set.
    fn pairs_sought(&self) -> interactions::Interactions {
        match self.segment_by {
            Some(_) => interactions::Interactions::Off,
            None => self.interactions,
        }
    }

    fn check(&self) -> Result<()> {
        if !(self.holdout > 0.0 && self.holdout < 1.0) {
            return Err(Error::usage(
                "--holdout",
                format!("must be above 0 and below 1 (the threshold is chosen on held-out rows), got {}", self.holdout),
            ));
        }
        if self.segment_by.is_some() && matches!(self.interactions, interactions::Interactions::Count(_)) {
            return Err(Error::usage(
                "--interactions",
                "a model with --segment-by has no pairwise interactions: give --interactions off or auto",
            ));
        }
        if let Some(k) = self.cv {
            if !(2..=20).contains(&k) {
                return Err(Error::usage("--cv", format!("must be 2 to 20 folds, got {k}")));
            }
        }
        Ok(())
    }
}

/// A warning about a column, for the summary and `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub column: String,
    pub message: String,
}

impl Warning {
    /// The warning as the summary shows it: `column "x": message`, or the message.
    pub fn text(&self) -> String {
        crate::model::record::warning_text(&self.column, &self.message)
    }
}

/// What training produced besides the model.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    pub model: LeadModel,
    pub fit_report: FitReport,
    pub warnings: Vec<Warning>,
    /// Row indices (0-based, in the input table) of the held-out leads.
    pub holdout_rows: Vec<usize>,
    pub holdout_probs: Vec<f64>,
    pub holdout_labels: Vec<bool>,
    pub cv_aucs: Vec<f64>,
    /// (alpha, mean CV AUC) for each alpha tried by `--alpha auto`.
    pub alpha_search: Vec<(f64, f64)>,
    pub threshold_note: Option<String>,
    pub event_report: Option<EventReport>,
    /// The as-of date that date columns counted back from, and why (none without dates).
    pub as_of: Option<crate::as_of::AsOf>,
    /// The text encoding the training file was read in (CSV).
    pub encoding: Option<crate::encoding::Detected>,
    /// The holdout's ROC AUC with its DeLong interval.
    pub holdout_auc: Option<crate::uncertainty::AucInterval>,
    /// PR AUC, precision, recall and lift at the threshold on the holdout, with bootstrap
    /// intervals (seeded with the training seed).
    pub holdout_at: crate::uncertainty::AtThreshold,
    /// Riley et al.'s sample-size check for the number of features.
    pub sample_size: SampleSize,
    /// Calibration in the large and slope on the holdout.
    pub holdout_calibration: Option<crate::metrics::CalibrationFit>,
    /// How the calibration map was chosen.
    pub calibration: crate::calibrate::Choice,
    /// How finely numbers bend, when training chose it (`None`: the feature spec fixed it).
    pub resolution: Option<ResolutionChoice>,
    /// With `--segment-by`: the global and the segmented model's held-out ROC AUC, over
    /// all held-out leads first (value "(all)"), then per segment.
    pub segment_checks: Vec<crate::segments::SegmentCheck>,
    /// How the pairwise interactions were chosen (`None`: `--interactions off`).
    pub interactions: Option<interactions::InteractionChoice>,
}

/// Single-column ROC AUC above which a column is named as a likely leak.
pub const LEAK_AUC: f64 = 0.95;

/// Train a model on `table` with `params`. `progress` hears what is happening.
pub fn train(table: &Table, params: &TrainParams, progress: &mut dyn FnMut(&str)) -> Result<TrainOutcome> {
    params.check()?;
    let found = with_found_id(table, params, progress);
    let params = found.as_ref().unwrap_or(params);
    let mut feature_params = params.features.clone();
    let (with_events, event_spec, event_report) = join_activity(table, params, &mut feature_params, progress)?;
    let table: &Table = with_events.as_ref().unwrap_or(table);
    progress("checking ids and labels");
    let Labelled {
        y_all,
        rows_missing_label,
        positives,
        pos_value,
        neg_value,
        train_rows,
        holdout_rows,
        method,
        train_y,
    } = label_and_split(table, params)?;
    if let Some(col) = &params.segment_by {
        feature_params = segment_role(table, params, feature_params, col)?;
    }
    let mut fparams = feature_params.id(params.id.clone());
    // The columns read and fitted on the training rows once: the resolution choice
    // compares its candidates on them, and the final design is built from them.
    let out_rows: Vec<usize> = train_rows.iter().chain(&holdout_rows).copied().collect();
    progress("reading the columns");
    let prepared = fparams.prepare(table, &train_rows, &train_y, &out_rows)?;
    let resolution = choose_resolution(table, params, &mut fparams, &prepared, (&train_rows, &y_all), progress)?;
    let (alpha, cv_aucs, alpha_search) = choose_alpha(table, params, &fparams, &train_rows, &y_all, progress)?;
    let pair_choice = interactions::choose(
        table,
        &fparams,
        &prepared,
        (&train_rows, &y_all),
        alpha,
        (params.seed, &params.split),
        params.pairs_sought(),
        out_rows.len(),
        resolution.as_ref().and_then(|r| r.shapes.as_ref()),
        progress,
    )?;
    let pair_list = pair_choice.as_ref().map(|c| c.pairs.clone()).unwrap_or_default();
    let pairs = pair_list.as_slice();
    let pair_scale = pair_choice.as_ref().map_or(1.0, |c| (alpha / c.lambda).sqrt());

    // The final fit on every labelled row (training rows first, then held out), on a
    // thread of its own beside the measured fit and the measuring: it needs only the
    // cells read and the settings the training rows chose (resolution, alpha).
    let y_out: Vec<bool> = out_rows.iter().map(|&i| y_all[i]).collect();
    let n_train = train_rows.len();
    std::thread::scope(|scope| {
        let final_job = params.refit.then(|| {
            let (fp, prepared, rows, y) = (&fparams, &prepared, &out_rows, &y_out);
            let keep_design = params.segment_by.is_some();
            progress(&format!("the final fit on all {} labelled rows, beside the measured fit", rows.len()));
            let (tx, rx) = std::sync::mpsc::channel::<refit::Start>();
            let handle = scope.spawn(move || {
                refit::design_and_fit(
                    fp,
                    prepared,
                    (rows, y, n_train),
                    rx,
                    (alpha, params.max_iterations),
                    keep_design,
                    (pairs, pair_scale),
                )
            });
            (handle, tx)
        });
        progress("building features");
        // One design matrix: the training rows first, then the holdout (views, no copies),
        // with one spare column: the solver whitens the training rows in place.
        let chosen = resolution.as_ref().map(|r| r.chosen);
        let (features, fit_report, x) =
            fparams.finish(&prepared, chosen, (&train_rows, &train_y), &out_rows, 1, true)?;
        let width = features.n_features();
        // The pairs' cells beside the columns' own design columns.
        let (mut x, pair_design) =
            interactions::PairDesign::build(&prepared, pairs, &out_rows, (x, width, n_train), pair_scale)?;
        if let Some(col) = &params.segment_by {
            check_segment_column(&features, &fit_report, col)?;
        }
        // The training rows' design for the segments' own models: the solver whitens them.
        let x_train_design = params.segment_by.as_ref().map(|_| x.slice(ndarray::s![..n_train, ..width]).to_owned());
        progress(&format!("fitting logistic regression: {} rows x {} features", n_train, width));
        // The training rows of `x` are the solver's from here on; the holdout rows are kept.
        let start = match pair_choice.as_ref() {
            Some(c) if !pairs.is_empty() => interactions::warm_start(
                x.view(),
                (n_train, width),
                &train_y,
                pairs,
                &pair_design,
                (alpha, c.lambda, pair_scale),
            ),
            _ => None,
        };
        let mut fitted = solver(alpha, params.max_iterations, &fparams, !pairs.is_empty())
            .signs(features.sign_constraints(&fparams.monotone)?)
            .fit_in_place_from(
                x.slice_mut(ndarray::s![..n_train, ..]),
                &train_y,
                start.as_ref().map(|(c, b)| (c.as_slice(), *b)),
            )?;
        let (pair_terms, hold_cells) = pair_design.split(pairs, &mut fitted.coef, (width, pair_scale), n_train);
        // With the final fit, the held-out rows are kept and the rest of the measured
        // design dropped before the final design is built.
        let x_hold: ndarray::CowArray<f64, ndarray::Ix2> = match final_job {
            Some(_) => {
                let held = x.slice(ndarray::s![n_train.., ..width]).to_owned();
                drop(x);
                held.into()
            }
            None => x.slice_move(ndarray::s![n_train.., ..width]).into(),
        };
        // The final fit starts from the measured fit's coefficients, by feature name.
        let final_job = final_job.map(|(handle, tx)| {
            // The start of the final fit without pairs (one with pairs starts from its own):
            // every coefficient by name.
            let start = refit::Start {
                coef: features.features.iter().map(|f| f.name.clone()).zip(fitted.coef.iter().copied()).collect(),
                intercept: fitted.intercept,
            };
            // A thread that already failed has hung up; its error comes with the join.
            let _ = tx.send(start);
            handle
        });
        measure_and_finish(
            table,
            params,
            Trained {
                x_hold: x_hold.view(),
                width,
                n_train,
                x_train_design,
                features,
                fit_report,
                fitted,
                alpha,
                event_spec,
                event_report,
                cv_aucs,
                alpha_search,
                resolution,
                pairs: (pair_terms, hold_cells, pair_choice),
                labelled: Labelled {
                    y_all,
                    rows_missing_label,
                    positives,
                    pos_value,
                    neg_value,
                    train_rows,
                    holdout_rows,
                    method,
                    train_y,
                },
            },
            final_job,
            progress,
        )
    })
}

/// What the fits left for measuring.
struct Trained<'a> {
    /// The held-out rows' design.
    x_hold: ndarray::ArrayView2<'a, f64>,
    width: usize,
    n_train: usize,
    x_train_design: Option<ndarray::Array2<f64>>,
    features: crate::features::FittedFeatures,
    fit_report: FitReport,
    fitted: crate::fit::FittedLogistic,
    alpha: f64,
    event_spec: Option<crate::events::EventSpec>,
    event_report: Option<EventReport>,
    cv_aucs: Vec<f64>,
    alpha_search: Vec<(f64, f64)>,
    resolution: Option<ResolutionChoice>,
    /// The measured fit's pairs, their cells on the held-out rows, and how they were chosen.
    pairs: (Vec<crate::features::pair::PairTerm>, Vec<Vec<u32>>, Option<interactions::InteractionChoice>),
    labelled: Labelled,
}

/// The measured model, its holdout figures, threshold and warnings; then (with the final
/// fit's thread) the saved model and its record.
fn measure_and_finish(
    table: &Table,
    params: &TrainParams,
    t: Trained,
    final_job: Option<std::thread::ScopedJoinHandle<'_, Result<refit::FinalWork>>>,
    progress: &mut dyn FnMut(&str),
) -> Result<TrainOutcome> {
    let Trained {
        x_hold,
        width,
        n_train,
        x_train_design,
        features,
        fit_report,
        fitted,
        alpha,
        event_spec,
        event_report,
        cv_aucs,
        alpha_search,
        resolution,
        pairs: (pair_terms, hold_cells, pair_choice),
        labelled,
    } = t;
    let Labelled {
        y_all,
        rows_missing_label,
        positives,
        pos_value,
        neg_value,
        train_rows,
        holdout_rows,
        method,
        train_y,
    } = labelled;

    let mut model = LeadModel {
        events: event_spec,
        features,
        intercept: fitted.intercept,
        coef: fitted.coef.clone(),
        threshold: unset_threshold(),
        tiers: Tiers::default_for(0.5),
        meta: train_meta(
            table,
            params,
            (rows_missing_label, positives),
            (pos_value, neg_value),
            alpha,
            &fitted,
            (train_rows.len(), &cv_aucs),
        ),
        sample: None,
        profile: None,
        calibration: crate::calibrate::Calibration::None,
        segments: None,
        record: None,
        pairs: pair_terms,
    };

    // Holdout metrics and the threshold.
    progress("measuring the holdout and choosing the threshold");
    let holdout_labels: Vec<bool> = holdout_rows.iter().map(|&i| y_all[i]).collect();
    // The calibration map, on the held-out log-odds; the threshold and every holdout
    // figure below are on the calibrated probabilities.
    let mut holdout_z = model.log_odds(x_hold).to_vec();
    interactions::add_pairs(&mut holdout_z, &model.pairs, &hold_cells);
    let (calibration, calibration_choice) =
        crate::calibrate::fit(params.calibrate, &holdout_z, &holdout_labels, params.seed)?;
    model.calibration = calibration;
    let mut holdout_probs: Vec<f64> = holdout_z.iter().map(|&z| model.probability(z)).collect();
    let mut segment_checks = Vec::new();
    let seg_keys = match &params.segment_by {
        Some(col) => {
            Some((crate::segments::keys(table, col, &train_rows)?, crate::segments::keys(table, col, &holdout_rows)?))
        }
        None => None,
    };
    if let (Some(col), Some(x_train), Some(keys)) = (&params.segment_by, &x_train_design, &seg_keys) {
        progress(&format!("segments by {col}"));
        let holdout = Held { x: x_hold.view(), y: &holdout_labels, z: &holdout_z, p: &holdout_probs };
        // A segment's own model keeps the monotone columns' signs too.
        let solver = LogisticParams::default()
            .alpha(alpha)
            .max_iterations(params.max_iterations)
            .signs(model.features.sign_constraints(&params.features.monotone)?);
        let (segments, probs, checks) =
            fit_segments(&model, col, keys, (x_train.view(), &train_y), &holdout, solver, progress)?;
        segment_checks = checks;
        holdout_probs = probs;
        model.segments = Some(segments);
    }
    let summary: Summary = metrics::summary(&holdout_probs, &holdout_labels)
        .ok_or_else(|| Error::Internal("holdout lacks a class after the check".into()))?;
    model.meta.holdout = Some(HoldoutInfo { method: method.clone(), fraction: params.holdout, metrics: summary });
    let chosen_on = format!("holdout ({method}) of {} rows of {}", holdout_rows.len(), model.meta.data_file);
    let (_, choice) = model.choose_threshold(&holdout_probs, &holdout_labels, &params.strategy, chosen_on)?;
    if let Some(t) = &params.tiers {
        model.tiers = t.clone();
    }
    progress("intervals on the holdout");
    let holdout_auc = crate::uncertainty::auc_interval(&holdout_probs, &holdout_labels);
    let holdout_at = crate::uncertainty::at_threshold(
        &holdout_probs,
        &holdout_labels,
        model.threshold.value,
        crate::uncertainty::Bootstrap { seed: params.seed, ..Default::default() },
    );
    let pair_width: usize = model.pairs.iter().map(|p| p.table.len()).sum();
    let sample_size = SampleSize::of(width + pair_width + 1, &holdout_probs, &holdout_labels, train_rows.len());
    let holdout_calibration = metrics::calibration_fit(&holdout_probs, &holdout_labels);
    model.profile = Some(crate::monitor::profile(fit_report.profile.clone(), train_rows.len(), &holdout_probs));

    let warnings = warnings::of(&warnings::Evidence {
        fit_report: &fit_report,
        holdout_auc,
        sample_size: &sample_size,
        holdout_calibration,
        holdout_probs: &holdout_probs,
        holdout_labels: &holdout_labels,
        fitted: &fitted,
        width,
    });
    let as_of = trained_as_of(&model, params);
    let figures = figures(&model, holdout_auc, &holdout_at, holdout_calibration);
    let (mut model, saved_fit, fitted_rows) = match final_job {
        Some(job) => {
            progress("the final fit: waiting for it");
            let work = job.join().map_err(|_| Error::Internal("the final fit's thread panicked".into()))??;
            let measured = refit::Measured { model: &model, holdout_probs: &holdout_probs, alpha };
            let keys = seg_keys.map(|(t, h)| t.into_iter().chain(h).collect());
            let saved = refit::final_model(params, work, keys, &measured, progress)?;
            let labelled: Vec<usize> = train_rows.iter().chain(&holdout_rows).copied().collect();
            let saved_fit = SavedFit::Refit {
                rows: labelled.len(),
                won: labelled.iter().filter(|&&i| y_all[i]).count(),
                measured_rows: n_train,
                carry: params.carry,
                measured_threshold: model.threshold.value,
            };
            (saved, saved_fit, labelled)
        }
        None => (model, SavedFit::Measured, train_rows.clone()),
    };
    let mut settings = params.settings.clone().unwrap_or_else(|| settings::of_params(params));
    settings.interactions = params.interactions.to_string();
    model.record = Some(Record {
        settings,
        saved_fit,
        figures,
        warnings: warnings
            .iter()
            .map(|w| RecordedWarning { kind: w.kind, column: w.column.clone(), message: w.message.clone() })
            .collect(),
        seen: seen_ids(table, params.id.as_deref(), &fitted_rows)?,
    });
    Ok(TrainOutcome {
        model,
        fit_report,
        warnings,
        holdout_rows,
        holdout_probs,
        holdout_labels,
        cv_aucs,
        alpha_search,
        threshold_note: choice.note,
        event_report,
        as_of,
        encoding: table.encoding,
        holdout_auc,
        holdout_at,
        sample_size,
        holdout_calibration,
        calibration: calibration_choice,
        resolution,
        segment_checks,
        interactions: pair_choice,
    })
}

/// The holdout's figures with their intervals, as the model records them.
fn figures(
    model: &LeadModel,
    auc: Option<crate::uncertainty::AucInterval>,
    at: &crate::uncertainty::AtThreshold,
    calibration: Option<crate::metrics::CalibrationFit>,
) -> Option<Figures> {
    let h = model.meta.holdout.as_ref()?;
    let a = auc?;
    let m = &h.metrics;
    Some(Figures {
        measured_on: model.threshold.chosen_on.clone(),
        rows: m.rows,
        won: m.positives,
        roc_auc: a.roc_auc,
        roc_auc_ci: a.roc_auc_ci,
        pr_auc: m.pr_auc,
        pr_auc_ci: at.pr_auc_ci,
        log_loss: m.log_loss,
        brier: m.brier,
        precision: model.threshold.precision,
        precision_ci: at.precision_ci,
        recall: model.threshold.recall,
        recall_ci: at.recall_ci,
        calibration_in_the_large: calibration.map(|c| c.calibration_in_the_large),
        calibration_slope: calibration.map(|c| c.calibration_slope),
    })
}

/// The ids of the rows a fit saw, when the model has an id column.
fn seen_ids(table: &Table, id: Option<&str>, rows: &[usize]) -> Result<Option<SeenIds>> {
    let Some(id) = id else { return Ok(None) };
    let cells = crate::features::text_cells(table, table.column(id)?)?;
    let ids: Vec<&str> = rows.iter().filter_map(|&i| cells.get(i)).collect();
    Ok(Some(SeenIds::new(id, ids)))
}

/// The as-of date the model's date columns counted back from, and whether it was given.
fn trained_as_of(model: &LeadModel, params: &TrainParams) -> Option<crate::as_of::AsOf> {
    model.features.as_of_day.and_then(crate::features::cell::from_day_number).map(|date| crate::as_of::AsOf {
        date,
        source: if params.features.given_as_of().is_some() {
            crate::as_of::Source::Given
        } else {
            crate::as_of::Source::LatestInData
        },
    })
}

/// How finely numbers may bend: fixed by the feature spec (`None`), else chosen by
/// cross-validated log loss on the training rows and set in `fparams`.
fn choose_resolution(
    table: &Table,
    params: &TrainParams,
    fparams: &mut FeatureParams,
    prepared: &crate::features::Prepared,
    (train_rows, y_all): (&[usize], &[bool]),
    progress: &mut dyn FnMut(&str),
) -> Result<Option<ResolutionChoice>> {
    Ok(match params.choose_resolution && !fparams.resolution_given() {
        false => None,
        true => {
            let alpha = match params.alpha {
                Alpha::Fixed(a) => a,
                Alpha::Auto => 1.0,
            };
            let split = (params.seed, &params.split);
            // The search for pairs starts from the chosen resolution's fits on the folds.
            let keep = params.pairs_sought() != interactions::Interactions::Off;
            let choice =
                crate::resolution::choose(table, fparams, prepared, train_rows, y_all, alpha, split, keep, progress)?;
            *fparams = fparams.clone().with_resolution(choice.chosen);
            Some(choice)
        }
    })
}

/// The threshold until the holdout chooses it.
fn unset_threshold() -> ThresholdInfo {
    ThresholdInfo {
        value: 0.5,
        strategy: String::new(),
        chosen_on: String::new(),
        precision: 0.0,
        recall: 0.0,
        routed: 0,
    }
}

/// The training run's record in the model: the file, the label, the solver's figures.
fn train_meta(
    table: &Table,
    params: &TrainParams,
    (rows_missing_label, positives): (usize, usize),
    (positive_value, negative_value): (String, String),
    alpha: f64,
    fitted: &crate::fit::FittedLogistic,
    (train_rows, cv_aucs): (usize, &[f64]),
) -> TrainMeta {
    TrainMeta {
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        data_file: table.path.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
        data_sha256: table.sha256.clone(),
        rows: table.height(),
        rows_missing_label,
        positives,
        label: params.label.clone(),
        positive_value,
        negative_value,
        id_column: params.id.clone(),
        seed: params.seed,
        alpha,
        iterations: fitted.iterations,
        preconditioned: fitted.preconditioned,
        converged: fitted.converged,
        gradient_norm: fitted.gradient_norm,
        train_rows,
        holdout: None,
        cv_auc: (!cv_aucs.is_empty()).then(|| {
            let (m, s) = mean_sd(cv_aucs);
            (m, s, cv_aucs.len())
        }),
        cutoff_col: params.events.as_ref().and_then(|e| e.cutoff_col.clone()),
    }
}

/// `--segment-by col`: the column must have become a category of the global model.
fn check_segment_column(features: &crate::features::FittedFeatures, fit_report: &FitReport, col: &str) -> Result<()> {
    let category = features
        .columns
        .iter()
        .find(|c| c.name == col)
        .is_some_and(|c| matches!(c.parts.as_slice(), [crate::features::Part::Levels(_)]));
    if !category {
        let why = fit_report.skipped.iter().find(|k| k.column == col).map(|k| k.reason.clone());
        return Err(Error::usage(
            format!("--segment-by {col}"),
            match why {
                Some(r) => format!("the column was left out of the features ({r}); a segment column must be a category"),
                None => "the column is not read as a category (its role in the feature spec?); a segment column must be a category".into(),
            },
        ));
    }
    Ok(())
}

/// The held-out rows as the segments' fit reads them: design, labels, log-odds and
/// (calibrated) probabilities.
struct Held<'a> {
    x: ndarray::ArrayView2<'a, f64>,
    y: &'a [bool],
    z: &'a [f64],
    p: &'a [f64],
}

/// `--segment-by`: each segment's update of the global `model` (see [`crate::segments`]),
/// the held-out probabilities under it, and the checks: over all held-out leads first
/// (value "(all)"), then per segment.
fn fit_segments<'a>(
    model: &LeadModel,
    col: &'a str,
    (train_keys, holdout_keys): &'a (Vec<Option<String>>, Vec<Option<String>>),
    (x_train, y_train): (ndarray::ArrayView2<'a, f64>, &'a [bool]),
    holdout: &Held<'a>,
    solver: LogisticParams,
    progress: &mut dyn FnMut(&str),
) -> Result<(crate::segments::Segments, Vec<f64>, Vec<crate::segments::SegmentCheck>)> {
    let (segments, probs, checks) = crate::segments::fit(
        model,
        &crate::segments::Inputs {
            column: col,
            train_keys,
            holdout_keys,
            x_train,
            y_train,
            x_holdout: holdout.x,
            y_holdout: holdout.y,
            z_holdout: holdout.z,
            p_holdout: holdout.p,
            // Preconditioned at any size: on a segment's rows the global standardisation leaves
            // the problem ill-conditioned (its own dummy column is constant), and the plain
            // solve takes many more iterations.
            solver: solver.precondition_min_rows(1),
        },
        progress,
    )?;
    let mut all = vec![crate::segments::SegmentCheck {
        value: "(all)".into(),
        global: crate::uncertainty::auc_interval(holdout.p, holdout.y),
        segmented: crate::uncertainty::auc_interval(&probs, holdout.y),
        difference: crate::uncertainty::auc_difference(&probs, holdout.p, holdout.y),
    }];
    all.extend(checks);
    Ok((segments, probs, all))
}

/// The id column found by name and uniqueness (as `rules` finds it) when none is given:
/// `params` with it, else `None` (the given or no id).
fn with_found_id(table: &Table, params: &TrainParams, progress: &mut dyn FnMut(&str)) -> Option<TrainParams> {
    if params.id.is_some() {
        return None;
    }
    let id = table.find_id_column_except(|c| params.features.is_excluded(c) || c == params.label)?;
    progress(&format!("id column {id:?} (found by its name and unique values; give --id to choose)"));
    Some(TrainParams { id: Some(id), ..params.clone() })
}

/// With an activity log: the table with the log's aggregates appended, their spec and
/// report; the aggregates made numbers never screened, the cut-off column excluded.
#[allow(clippy::type_complexity)]
fn join_activity(
    table: &Table,
    params: &TrainParams,
    feature_params: &mut FeatureParams,
    progress: &mut dyn FnMut(&str),
) -> Result<(Option<Table>, Option<crate::events::EventSpec>, Option<EventReport>)> {
    let Some(ev) = &params.events else { return Ok((None, None, None)) };
    let id = params.id.clone().ok_or_else(|| {
        Error::usage("--events", "an activity log is joined to the contacts on the id column: give --id")
    })?;
    progress("aggregating the activity log");
    let (t, spec, report) =
        crate::events::fit_and_append(&ev.log, table, &id, ev.cutoff_col.as_deref(), ev.as_of, &ev.params)?;
    let mut fp = feature_params.clone();
    if let Some(c) = &ev.cutoff_col {
        fp = fp.also_exclude(c);
    }
    // Activity aggregates are counts and days: numbers, even when the training
    // rows happen to hold only 0 and 1 in a window (issue 14).
    // They are engineered here, not an export's properties: never screened.
    for c in spec.column_names() {
        fp = fp.default_role(&c, crate::features::Role::Number).never_screen(&c);
    }
    *feature_params = fp;
    Ok((Some(t), Some(spec), Some(report)))
}

/// The labels read and the labelled rows split into training and holdout rows.
struct Labelled {
    /// Every row's label (`false` where missing).
    y_all: Vec<bool>,
    rows_missing_label: usize,
    positives: usize,
    pos_value: String,
    neg_value: String,
    train_rows: Vec<usize>,
    holdout_rows: Vec<usize>,
    /// How the holdout was chosen, in words.
    method: String,
    train_y: Vec<bool>,
}

/// Check the ids, read the labels and split the labelled rows; refuse too few labelled
/// rows and a holdout or training set without both outcomes.
fn label_and_split(table: &Table, params: &TrainParams) -> Result<Labelled> {
    if let Some(id) = &params.id {
        table.check_unique_ids(id)?;
    }
    let (labels, pos_value, neg_value) = read_label(table, &params.label, params.positive.as_deref())?;
    let labeled: Vec<usize> = (0..labels.len()).filter(|&i| labels[i].is_some()).collect();
    let y_all: Vec<bool> = labels.iter().map(|l| l.unwrap_or(false)).collect();
    let rows_missing_label = labels.len() - labeled.len();
    let positives = labeled.iter().filter(|&&i| y_all[i]).count();
    if labeled.len() < 10 {
        return Err(Error::BadLabel {
            path: table.path.clone(),
            column: params.label.clone(),
            problem: format!("has only {} labelled rows; at least 10 are needed", labeled.len()),
        });
    }
    let (train_rows, holdout_rows, method) = split_rows(table, params, &labeled, &y_all)?;
    let hold_pos = holdout_rows.iter().filter(|&&i| y_all[i]).count();
    if hold_pos == 0 || hold_pos == holdout_rows.len() {
        return Err(Error::data(
            format!("holdout ({method}, {} rows)", holdout_rows.len()),
            format!(
                "has {hold_pos} won leads of {}; it needs both won and lost leads to measure the model and choose a threshold; use a larger --holdout",
                holdout_rows.len()
            ),
        ));
    }
    let train_y: Vec<bool> = train_rows.iter().map(|&i| y_all[i]).collect();
    let train_pos = train_y.iter().filter(|&&v| v).count();
    if train_pos == 0 || train_pos == train_y.len() {
        return Err(Error::data(
            "training rows",
            format!("have {train_pos} won leads of {}; need both won and lost", train_y.len()),
        ));
    }
    Ok(Labelled {
        y_all,
        rows_missing_label,
        positives,
        pos_value,
        neg_value,
        train_rows,
        holdout_rows,
        method,
        train_y,
    })
}

/// `--segment-by col`: the column checked and made a category never screened.
fn segment_role(
    table: &Table,
    params: &TrainParams,
    feature_params: FeatureParams,
    col: &str,
) -> Result<FeatureParams> {
    let usage = |m: String| Error::usage(format!("--segment-by {col}"), m);
    table.column(col)?;
    if col == params.label || params.id.as_deref() == Some(col) || feature_params.is_excluded(col) {
        return Err(usage(
            "the segment column is also a category of the global model: it cannot be the label, the id or an \
             excluded column"
                .into(),
        ));
    }
    Ok(feature_params.default_role(col, crate::features::Role::Category).never_screen(col))
}

/// The L2 strength: fixed, or searched on [`ALPHA_GRID`] by cross-validated ROC AUC on
/// the training rows only. Also the folds' ROC AUCs (of the chosen alpha, or of the
/// fixed one with `--cv`) and each alpha tried with its mean.
#[allow(clippy::type_complexity)]
fn choose_alpha(
    table: &Table,
    params: &TrainParams,
    fparams: &FeatureParams,
    train_rows: &[usize],
    y_all: &[bool],
    progress: &mut dyn FnMut(&str),
) -> Result<(f64, Vec<f64>, Vec<(f64, f64)>)> {
    let mut cv_aucs = Vec::new();
    let mut alpha_search = Vec::new();
    let folds = params.cv.unwrap_or(5);
    let alpha = match params.alpha {
        Alpha::Fixed(a) => {
            if params.cv.is_some() {
                progress(&format!("cross-validating {folds} folds"));
                cv_aucs = cross_validate(table, fparams, train_rows, y_all, folds, a, params)?;
            }
            a
        }
        Alpha::Auto => {
            let mut best = (ALPHA_GRID[2], f64::NEG_INFINITY);
            for &a in &ALPHA_GRID {
                progress(&format!("alpha {a}: cross-validating {folds} folds"));
                let aucs = cross_validate(table, fparams, train_rows, y_all, folds, a, params)?;
                let mean = aucs.iter().sum::<f64>() / aucs.len() as f64;
                alpha_search.push((a, mean));
                if mean > best.1 + 1e-12 {
                    best = (a, mean);
                    cv_aucs = aucs;
                }
            }
            best.0
        }
    };
    Ok((alpha, cv_aucs, alpha_search))
}

/// linfa's iterations per run between our gradient checks for a design with pairs: on X
/// Education (64 pairs), runs of 10 took 10.7 s to converge, runs of 100 5.3 s; the
/// model's iteration count is then given in hundreds.
const PAIR_BLOCK: u64 = 100;

/// The solver for a design built by `fparams`: spline terms are strongly correlated with
/// their value's own column, which slows the plain solve (250 iterations against 60 on
/// 40,000 synthetic leads), so a spline design is solved preconditioned at any size.
fn solver(alpha: f64, max_iterations: u64, fparams: &FeatureParams, pairs: bool) -> LogisticParams {
    let s = LogisticParams::default().alpha(alpha).max_iterations(max_iterations);
    match fparams.resolution() {
        // With pairs, the plain solve: the preconditioned one solves the unpenalised loss
        // first, far from the answer when the pairs' cells are shrunk hard (820
        // iterations on X Education with 16 pairs, where the plain solve took 150). In
        // runs of PAIR_BLOCK iterations, since each restart drops L-BFGS's memory.
        _ if pairs => s.block(PAIR_BLOCK),
        crate::features::Resolution::Spline(_) => s.precondition_min_rows(1),
        crate::features::Resolution::Steps(_) => s,
    }
}

/// Split the labelled rows into (training, holdout, description).
fn split_rows(
    table: &Table,
    params: &TrainParams,
    labeled: &[usize],
    y: &[bool],
) -> Result<(Vec<usize>, Vec<usize>, String)> {
    let n = labeled.len();
    if let Some(window) = &params.holdout_rows {
        let mut in_window = vec![false; table.height()];
        for &i in window {
            if let Some(w) = in_window.get_mut(i) {
                *w = true;
            }
        }
        let (hold, train): (Vec<usize>, Vec<usize>) = labeled.iter().partition(|&&i| in_window[i]);
        let method = format!("the {} labelled leads the previous model never saw", hold.len());
        return Ok((train, hold, method));
    }
    let k = ((params.holdout * n as f64).round() as usize).clamp(1, n - 1);
    match &params.split {
        Split::Stratified => {
            let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
            let mut pos: Vec<usize> = labeled.iter().copied().filter(|&i| y[i]).collect();
            let mut neg: Vec<usize> = labeled.iter().copied().filter(|&i| !y[i]).collect();
            pos.shuffle(&mut rng);
            neg.shuffle(&mut rng);
            let kp = (params.holdout * pos.len() as f64).round() as usize;
            let kn = (params.holdout * neg.len() as f64).round() as usize;
            let mut hold: Vec<usize> = pos[..kp].iter().chain(&neg[..kn]).copied().collect();
            let mut train: Vec<usize> = pos[kp..].iter().chain(&neg[kn..]).copied().collect();
            hold.sort_unstable();
            train.sort_unstable();
            Ok((train, hold, format!("stratified random, seed {}", params.seed)))
        }
        Split::Last => {
            Ok((labeled[..n - k].to_vec(), labeled[n - k..].to_vec(), "last rows in file order".to_string()))
        }
        Split::ByDate(col) => {
            let c = table.column(col)?;
            let days = crate::features::read_dates(table, c)?;
            let mut order = labeled.to_vec();
            // Missing dates count as oldest; ties keep file order.
            order.sort_by_key(|&i| (days[i].unwrap_or(i64::MIN), i));
            let hold: Vec<usize> = {
                let mut h = order[n - k..].to_vec();
                h.sort_unstable();
                h
            };
            let train: Vec<usize> = {
                let mut t = order[..n - k].to_vec();
                t.sort_unstable();
                t
            };
            Ok((train, hold, format!("most recent by {col}")))
        }
    }
}

/// Stratified K-fold ROC AUC on the training rows.
fn cross_validate(
    table: &Table,
    fparams: &FeatureParams,
    rows: &[usize],
    y: &[bool],
    k: usize,
    alpha: f64,
    params: &TrainParams,
) -> Result<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed.wrapping_add(1));
    let mut pos: Vec<usize> = rows.iter().copied().filter(|&i| y[i]).collect();
    let mut neg: Vec<usize> = rows.iter().copied().filter(|&i| !y[i]).collect();
    if pos.len() < k || neg.len() < k {
        return Err(Error::usage(
            "--cv",
            format!("{k} folds need at least {k} won and {k} lost training rows; have {} and {}", pos.len(), neg.len()),
        ));
    }
    pos.shuffle(&mut rng);
    neg.shuffle(&mut rng);
    let mut fold = vec![usize::MAX; table.height()];
    for (j, &i) in pos.iter().enumerate() {
        fold[i] = j % k;
    }
    for (j, &i) in neg.iter().enumerate() {
        fold[i] = j % k;
    }
    let mut aucs = Vec::with_capacity(k);
    for f in 0..k {
        let tr: Vec<usize> = rows.iter().copied().filter(|&i| fold[i] != f).collect();
        let va: Vec<usize> = rows.iter().copied().filter(|&i| fold[i] == f).collect();
        let tr_y: Vec<bool> = tr.iter().map(|&i| y[i]).collect();
        let va_y: Vec<bool> = va.iter().map(|&i| y[i]).collect();
        let out: Vec<usize> = tr.iter().chain(&va).copied().collect();
        let (_, _, x) = fparams.fit_transform(table, &tr, &tr_y, &out)?;
        let fitted =
            solver(alpha, params.max_iterations, fparams, false).fit(x.slice(ndarray::s![..tr.len(), ..]), &tr_y)?;
        let xv = x.slice(ndarray::s![tr.len().., ..]);
        let w = ndarray::Array1::from(fitted.coef);
        let z = xv.dot(&w) + fitted.intercept;
        let auc = metrics::roc_auc(&z.to_vec(), &va_y).unwrap_or(0.5);
        aucs.push(auc);
    }
    Ok(aucs)
}
