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
    let screen: crate::features::screen::ScreenSetting = s.screen.parse().map_err(|m| usage("--screen", m))?;
    let mut features = FeatureParams::new(&s.label)
        .exclude(s.exclude.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect())
        .as_of(s.as_of)
        .screen(screen.mode)
        .screen_bar(screen.z)
        .clamp_beyond_range(s.beyond_range == crate::features::BeyondRange::Edge)
        .shrink_rare_levels(s.rare_levels == crate::features::RareLevels::Shrink);
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
    p.interactions = match s.interactions.as_str() {
        "" => super::interactions::Interactions::Off,
        i => i.parse().map_err(|m| usage("--interactions", m))?,
    };
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
    s.interactions = p.interactions.to_string();
    s.beyond_range =
        if p.features.clamp { crate::features::BeyondRange::Edge } else { crate::features::BeyondRange::Extend };
    s.rare_levels = if p.features.shrink_rare {
        crate::features::RareLevels::Shrink
    } else {
        crate::features::RareLevels::Standardise
    };
    s.events = p.events.as_ref().map(|e| EventSettings {
        contact: None,
        event_type: None,
        time: None,
        cutoff_col: e.cutoff_col.clone(),
        half_life_days: e.params.half_life_days,
    });
    s
}

/// The options `set_option` knows, as `train`'s flags name them.
pub const OPTIONS: [&str; 25] = [
    "positive",
    "id",
    "exclude",
    "spec",
    "date-format",
    "screen",
    "holdout",
    "holdout-by",
    "holdout-last",
    "seed",
    "alpha",
    "max-iter",
    "strategy",
    "cv",
    "calibrate",
    "resolution",
    "segment-by",
    "tiers",
    "cutoff-col",
    "event-half-life",
    "no-refit",
    "carry",
    "beyond-range",
    "rare-levels",
    "interactions",
];

/// Set one training option from its text, as `train`'s flag `--NAME VALUE` would (a name
/// with `_` for `-` too, as Python's keyword arguments spell it): the one mapping from a
/// flag to the settings, for the command line and the Python package. A flag without a
/// value (`holdout-last`, `no-refit`) takes "true" or "false"; `exclude` (also as
/// `COL,COL`) and `date-format` take several values, which replace those set before;
/// `spec` a file's path, whose text the settings keep. The others take one value.
pub fn set_option(s: &mut TrainSettings, name: &str, values: &[String]) -> Result<()> {
    let flag = name.trim().replace('_', "-");
    let shown = format!("--{flag}");
    let bad = |m: String| Error::usage(&shown, m);
    let number = |v: &str| v.trim().parse::<f64>().map_err(|_| bad(format!("{v:?} is not a number")));
    let whole = |v: &str| v.trim().parse::<u64>().map_err(|_| bad(format!("{v:?} is not a whole number")));
    let switch = |v: &str| match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(bad(format!("{other:?}: expected true or false"))),
    };
    match flag.as_str() {
        "exclude" => {
            s.exclude = values
                .iter()
                .flat_map(|v| v.split(','))
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            return Ok(());
        }
        "date-format" => {
            s.date_formats = values.to_vec();
            return Ok(());
        }
        _ => {}
    }
    let value = match values {
        [v] => v.as_str(),
        [] if matches!(flag.as_str(), "holdout-last" | "no-refit") => "true",
        _ => return Err(bad(format!("takes one value, got {}", values.len()))),
    };
    let text = value.trim().to_string();
    match flag.as_str() {
        "positive" => s.positive = Some(value.to_string()),
        "id" => s.id = Some(text),
        "spec" => {
            let path = Path::new(&text);
            let body = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
            FeatureSpec::from_text(&body, path)?;
            let file = path.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
            s.spec = Some(crate::model::record::SpecText { file, text: body });
        }
        "screen" => {
            text.parse::<crate::features::screen::ScreenSetting>().map_err(bad)?;
            s.screen = text;
        }
        "holdout" => s.holdout = number(&text)?,
        "holdout-by" => s.split = SplitSetting::ByDate(text),
        "holdout-last" => {
            if switch(&text)? {
                s.split = SplitSetting::Last;
            }
        }
        "seed" => s.seed = whole(&text)?,
        "alpha" => {
            parse_alpha(&text).map_err(bad)?;
            s.alpha = text;
        }
        "max-iter" => s.max_iter = whole(&text)?,
        "strategy" => {
            text.parse::<crate::threshold::Strategy>().map_err(|e| bad(e.to_string()))?;
            s.strategy = text;
        }
        "cv" => s.cv = Some(whole(&text)? as usize),
        "calibrate" => {
            text.parse::<crate::calibrate::Method>().map_err(bad)?;
            s.calibrate = text;
        }
        "resolution" => {
            text.parse::<ResolutionSetting>().map_err(bad)?;
            s.resolution = Some(text);
        }
        "segment-by" => s.segment_by = Some(text),
        "tiers" => {
            crate::model::Tiers::parse(&text).map_err(|e| bad(e.to_string()))?;
            s.tiers = Some(text);
        }
        "cutoff-col" => events_of(s).cutoff_col = Some(text),
        "event-half-life" => events_of(s).half_life_days = number(&text)?,
        "no-refit" => s.refit = !switch(&text)?,
        "carry" => s.carry = text.parse().map_err(bad)?,
        "beyond-range" => s.beyond_range = text.parse().map_err(bad)?,
        "rare-levels" => s.rare_levels = text.parse().map_err(bad)?,
        "interactions" => s.interactions = text.parse::<super::interactions::Interactions>().map_err(bad)?.to_string(),
        _ => {
            return Err(Error::usage(
                &shown,
                format!("is not a training option; the options are {}", OPTIONS.join(", ")),
            ))
        }
    }
    Ok(())
}

/// The activity-log settings, made with their defaults when there are none yet.
fn events_of(s: &mut TrainSettings) -> &mut EventSettings {
    s.events.get_or_insert(EventSettings {
        contact: None,
        event_type: None,
        time: None,
        cutoff_col: None,
        half_life_days: 30.0,
    })
}

/// Set the options given, as (flag, values) in the order given ([`set_option`] each);
/// returns them as overrides, one "--flag value" each, for `retrain`'s report.
pub fn apply_options(s: &mut TrainSettings, given: &[(String, Vec<String>)]) -> Result<Vec<String>> {
    let mut overrides = Vec::with_capacity(given.len());
    for (name, values) in given {
        set_option(s, name, values)?;
        let flag = name.trim().replace('_', "-");
        let text = match flag.as_str() {
            "exclude" => s.exclude.join(","),
            _ => values.join(" "),
        };
        overrides.push(format!("--{flag} {text}").trim_end().to_string());
    }
    Ok(overrides)
}
