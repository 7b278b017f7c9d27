//! From the training settings as the analyst gives them ([`TrainSettings`]: each option's
//! text, as `train`'s flags take it) to [`TrainParams`]: the one way from flags to
//! parameters. `train` calls it with its command line; `retrain` with the champion's
//! recorded settings and any overrides, so that "the same model on newer data" is trained
//! exactly as the champion was.

use std::path::Path;

use super::{Alpha, EventsInput, TrainParams};
use crate::error::{Error, Result};
use crate::events::{EventLog, EventParams};
use crate::features::{ColumnFormat, DateOrder, FeatureParams, FeatureSpec, ResolutionSetting};
use crate::model::record::{EventSettings, SplitSetting, TrainSettings};
use crate::split::Split;

/// The parameters the settings describe; `events` is the activity log when the settings
/// name one (its column options are the settings').
pub fn params(s: &TrainSettings, events: Option<EventLog>) -> Result<TrainParams> {
    let usage = |flag: &str, m: String| Error::usage(flag, m);
    let mut p = TrainParams::new(&s.label);
    let mut features = FeatureParams::new(&s.label)
        .exclude(s.exclude.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect())
        .as_of(s.as_of)
        .screen(s.screen.parse().map_err(|m| usage("--screen", m))?);
    if let Some(spec) = &s.spec {
        features = features.spec(&FeatureSpec::from_text(&spec.text, Path::new(&spec.file))?)?;
    }
    for given in &s.date_formats {
        let bad = |m: String| usage("--date-format", m);
        match given.rsplit_once('=') {
            Some((col, f)) => features = features.format(col.trim(), f.parse().map_err(bad)?)?,
            None => match given.parse().map_err(bad)? {
                ColumnFormat::Date(Some(o)) if o != DateOrder::ExcelSerial => features = features.date_order(Some(o)),
                _ => {
                    return Err(bad(format!(
                        "{given:?} without a column must be dd-mm-yyyy or mm/dd/yyyy; give other formats per column, \
                         as COL={given}"
                    )))
                }
            },
        }
    }
    match s
        .resolution
        .as_deref()
        .map(str::parse::<ResolutionSetting>)
        .transpose()
        .map_err(|m| usage("--resolution", m))?
    {
        Some(ResolutionSetting::Auto) => {
            p.choose_resolution = true;
            // The spec's resolution gives way to the choice.
            features = features.unfix_resolution();
        }
        Some(ResolutionSetting::Fixed(r)) => features = features.fixed_resolution(r),
        None => {}
    }
    p.features = features;
    p.positive = s.positive.clone();
    p.id = s.id.clone();
    p.holdout = s.holdout;
    p.split = match &s.split {
        SplitSetting::Stratified => Split::Stratified,
        SplitSetting::Last => Split::Last,
        SplitSetting::ByDate(c) => Split::ByDate(c.clone()),
    };
    p.seed = s.seed;
    p.alpha = parse_alpha(&s.alpha).map_err(|m| usage("--alpha", m))?;
    p.max_iterations = s.max_iter;
    p.strategy = s.strategy.parse()?;
    p.cv = s.cv;
    p.tiers = s.tiers.as_deref().map(crate::model::Tiers::parse).transpose()?;
    p.calibrate = s.calibrate.parse().map_err(|m| usage("--calibrate", m))?;
    p.segment_by = s.segment_by.clone();
    p.refit = s.refit;
    p.carry = s.carry;
    match (events, &s.events) {
        (Some(log), Some(e)) => {
            p.events = Some(EventsInput {
                log,
                params: EventParams { half_life_days: e.half_life_days, ..Default::default() },
                cutoff_col: e.cutoff_col.clone(),
                as_of: s.as_of,
            })
        }
        (Some(_), None) => return Err(Error::Internal("an activity log without its settings".into())),
        (None, Some(_)) => {
            return Err(usage(
                "--events",
                "these settings read an activity log (the model was trained with --events): give the log with --events"
                    .into(),
            ))
        }
        (None, None) => {}
    }
    p.settings = Some(s.clone());
    Ok(p)
}

/// `--alpha`: a number above 0, or auto.
pub fn parse_alpha(s: &str) -> std::result::Result<Alpha, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(Alpha::Auto);
    }
    match s.trim().parse::<f64>() {
        Ok(a) if a.is_finite() && a > 0.0 => Ok(Alpha::Fixed(a)),
        _ => Err(format!("{s:?} is not a number above 0 or \"auto\"")),
    }
}

/// The settings a library caller's parameters stand for, when it gave none: what the
/// parameters hold as text (a feature spec given as parameters is not kept).
pub fn of_params(p: &TrainParams) -> TrainSettings {
    let mut s = TrainSettings::new(&p.label);
    s.positive = p.positive.clone();
    s.id = p.id.clone();
    s.holdout = p.holdout;
    s.split = match &p.split {
        Split::Stratified => SplitSetting::Stratified,
        Split::Last => SplitSetting::Last,
        Split::ByDate(c) => SplitSetting::ByDate(c.clone()),
    };
    s.seed = p.seed;
    s.alpha = match p.alpha {
        Alpha::Fixed(a) => a.to_string(),
        Alpha::Auto => "auto".into(),
    };
    s.max_iter = p.max_iterations;
    s.strategy = p.strategy.to_string();
    s.cv = p.cv;
    s.segment_by = p.segment_by.clone();
    s.refit = p.refit;
    s.carry = p.carry;
    s.events = p.events.as_ref().map(|e| EventSettings {
        contact: None,
        event_type: None,
        time: None,
        cutoff_col: e.cutoff_col.clone(),
        half_life_days: e.params.half_life_days,
    });
    s
}
