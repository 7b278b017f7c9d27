//! `score --state FILE --changes FILE.jsonl`: which leads changed since the last run
//! (issue 16, first part).
//!
//! Sits after scoring: the scored file just written is read back (its id, probability,
//! tier, decision and reasons, in whatever dialect it was written), compared with the
//! state the previous run left, and two files are written, each atomically: the changes
//! (one JSON object per line) and then the new state (Parquet). A run that fails before
//! that changes neither; a run that fails between the two leaves the old state, so the
//! next run finds the same changes again, with the same `event_id`s (a hash of the lead,
//! the kind of change, the model and the previous state's run id), which a receiver uses
//! to drop duplicates.
//!
//! Hysteresis: a lead is routed (crosses up) when its probability reaches the threshold,
//! as the scored file's `decision` says, and stays routed until it falls below the
//! threshold minus the hysteresis, so that a lead hovering at the line does not flap.
//! Tiers follow the same rule: a lead moves up a tier as soon as it reaches its lower
//! bound, and down only when it falls more than the hysteresis below its tier's lower
//! bound. The state and the changes hold the routing and tier after hysteresis.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::{self, Table};
use crate::error::{polars_err, Error, Result};
use crate::score::ScoredLead;

/// One lead as the last run left it (a row of the state file).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadState {
    pub id: String,
    pub probability: f64,
    pub tier: String,
    /// Routed to sales, after hysteresis.
    pub decision: bool,
    pub model: String,
    /// The run's as-of date.
    pub scored_as_of: String,
}

/// The state file: every lead of the last run, and that run's id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    pub run_id: String,
    pub leads: Vec<LeadState>,
}

/// The id of a lead read by [`read_scored`] (which refuses a lead without one).
fn id_of(lead: &ScoredLead) -> &str {
    lead.id.as_deref().unwrap_or_default()
}

/// What happened to a lead between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    New,
    CrossedUp,
    CrossedDown,
    TierChanged,
    Removed,
}

/// One line of the changes file (and of the webhook outbox).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub event_id: String,
    pub change: ChangeKind,
    pub id: String,
    pub previous_probability: Option<f64>,
    pub probability: Option<f64>,
    pub previous_tier: Option<String>,
    pub tier: Option<String>,
    pub decision: bool,
    pub threshold: f64,
    pub hysteresis: f64,
    pub model: String,
    pub as_of: String,
    /// The lead's current reasons (empty for a removed lead).
    pub reasons: String,
}

/// The run being compared: the model's checksum and threshold, the as-of date.
#[derive(Debug, Clone)]
pub struct Run {
    pub model: String,
    pub threshold: f64,
    pub hysteresis: f64,
    pub as_of: String,
    /// The model's tiers, for hysteresis on tier changes (`None`: tiers as scored).
    pub tiers: Option<crate::model::Tiers>,
}

/// The tier a lead holds: the scored one, unless it is lower than the tier the lead held
/// and the probability is within the hysteresis of that tier's lower bound.
fn held_tier(run: &Run, old: Option<&LeadState>, lead: &ScoredLead) -> String {
    let (Some(tiers), Some(old)) = (&run.tiers, old) else { return lead.tier.clone() };
    let (Some(k), Some(j)) =
        (tiers.names.iter().position(|n| *n == old.tier), tiers.names.iter().position(|n| *n == lead.tier))
    else {
        return lead.tier.clone();
    };
    if j < k && k > 0 && lead.probability >= tiers.cuts[k - 1] - run.hysteresis {
        old.tier.clone()
    } else {
        lead.tier.clone()
    }
}

fn hash_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    data::hex(&h.finalize()[..16])
}

/// The changes from `previous` (none on the first run) to `current`, and the new state.
/// Leads are listed in the current file's order, then removed leads in the state's.
pub fn diff(previous: Option<&State>, current: &[ScoredLead], run: &Run) -> (Vec<Change>, State) {
    let prev_run = previous.map_or("", |s| s.run_id.as_str());
    let before: HashMap<&str, &LeadState> =
        previous.map(|s| s.leads.iter().map(|l| (l.id.as_str(), l)).collect()).unwrap_or_default();
    let mut changes = Vec::new();
    let mut leads = Vec::with_capacity(current.len());
    let event = |id: &str, kind: ChangeKind| {
        let k = serde_json::to_string(&kind).unwrap_or_default();
        hash_hex(&[id, &k, &run.model, prev_run])
    };
    let mut seen: HashMap<&str, ()> = HashMap::with_capacity(current.len());
    for lead in current {
        let id = id_of(lead);
        seen.insert(id, ());
        let old = before.get(id).copied();
        // Routed from the threshold up; once routed, until below threshold - hysteresis.
        let decision = match old {
            Some(o) if o.decision => lead.probability >= run.threshold - run.hysteresis,
            _ => lead.probability >= run.threshold,
        };
        let tier = held_tier(run, old, lead);
        let kind = match old {
            None => Some(ChangeKind::New),
            Some(o) if !o.decision && decision => Some(ChangeKind::CrossedUp),
            Some(o) if o.decision && !decision => Some(ChangeKind::CrossedDown),
            Some(o) if o.tier != tier => Some(ChangeKind::TierChanged),
            Some(_) => None,
        };
        if let Some(kind) = kind {
            changes.push(Change {
                event_id: event(id, kind),
                change: kind,
                id: id.to_string(),
                previous_probability: old.map(|o| o.probability),
                probability: Some(lead.probability),
                previous_tier: old.map(|o| o.tier.clone()),
                tier: Some(tier.clone()),
                decision,
                threshold: run.threshold,
                hysteresis: run.hysteresis,
                model: run.model.clone(),
                as_of: run.as_of.clone(),
                reasons: lead.reasons.clone(),
            });
        }
        leads.push(LeadState {
            id: id.to_string(),
            probability: lead.probability,
            tier,
            decision,
            model: run.model.clone(),
            scored_as_of: run.as_of.clone(),
        });
    }
    for old in previous.map(|s| s.leads.as_slice()).unwrap_or_default() {
        if !seen.contains_key(old.id.as_str()) {
            changes.push(Change {
                event_id: event(&old.id, ChangeKind::Removed),
                change: ChangeKind::Removed,
                id: old.id.clone(),
                previous_probability: Some(old.probability),
                probability: None,
                previous_tier: Some(old.tier.clone()),
                tier: None,
                decision: false,
                threshold: run.threshold,
                hysteresis: run.hysteresis,
                model: run.model.clone(),
                as_of: run.as_of.clone(),
                reasons: String::new(),
            });
        }
    }
    // The new run's id: from the previous one, the model, the as-of date and the leads,
    // so that the same run repeated on the same state has the same id.
    let mut h = Sha256::new();
    for l in &leads {
        h.update(l.id.as_bytes());
        h.update([0]);
        h.update(l.probability.to_le_bytes());
    }
    let leads_hash = data::hex(&h.finalize());
    let run_id = hash_hex(&[prev_run, &run.model, &run.as_of, &leads_hash]);
    (changes, State { run_id, leads })
}

/// The leads of a scored file (as `score` writes it: the id first, then `probability`,
/// `score`, `tier`, `decision`, `reasons`), in any dialect it was written in.
pub fn read_scored(path: &Path) -> Result<Vec<ScoredLead>> {
    let (leads, _) = crate::score::read_scored(path)?;
    if let Some(i) = leads.iter().position(|l| l.id.is_none()) {
        return Err(Error::Internal(format!(
            "{}: row {}: no id in the scored file just written",
            path.display(),
            i + 1
        )));
    }
    Ok(leads)
}

/// The state left by the last run at `path`; `None` when there is none yet.
pub fn read_state(path: &Path) -> Result<Option<State>> {
    if !path.exists() {
        return Ok(None);
    }
    let table: Table = data::load(path)?;
    let df = &table.df;
    let s = |name: &str| -> Result<Vec<String>> {
        let col = table.column(name)?.cast(&DataType::String).map_err(|e| polars_err(path, e))?;
        Ok(col.str().map_err(|e| polars_err(path, e))?.iter().map(|v| v.unwrap_or("").to_string()).collect())
    };
    let prob = table.column("probability")?.cast(&DataType::Float64).map_err(|e| polars_err(path, e))?;
    let prob: Vec<f64> = prob.f64().map_err(|e| polars_err(path, e))?.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    let dec = table.column("decision")?.cast(&DataType::Boolean).map_err(|e| polars_err(path, e))?;
    let dec: Vec<bool> = dec.bool().map_err(|e| polars_err(path, e))?.iter().map(|v| v.unwrap_or(false)).collect();
    let (ids, tiers, models, dates, runs) = (s("id")?, s("tier")?, s("model")?, s("scored_as_of")?, s("run_id")?);
    let leads = (0..df.height())
        .map(|i| LeadState {
            id: ids[i].clone(),
            probability: prob[i],
            tier: tiers[i].clone(),
            decision: dec[i],
            model: models[i].clone(),
            scored_as_of: dates[i].clone(),
        })
        .collect();
    Ok(Some(State { run_id: runs.first().cloned().unwrap_or_default(), leads }))
}

/// Write `state` to `path` (Parquet; replaced atomically).
pub fn write_state(state: &State, path: &Path) -> Result<()> {
    let n = state.leads.len();
    let col = |name: &str, f: &dyn Fn(&LeadState) -> String| {
        Column::new(name.into(), state.leads.iter().map(f).collect::<Vec<String>>())
    };
    let mut df = DataFrame::new(
        n,
        vec![
            col("id", &|l| l.id.clone()),
            Column::new("probability".into(), state.leads.iter().map(|l| l.probability).collect::<Vec<f64>>()),
            col("tier", &|l| l.tier.clone()),
            Column::new("decision".into(), state.leads.iter().map(|l| l.decision).collect::<Vec<bool>>()),
            col("model", &|l| l.model.clone()),
            col("scored_as_of", &|l| l.scored_as_of.clone()),
            col("run_id", &|_| state.run_id.clone()),
        ],
    )
    .map_err(|e| Error::Internal(format!("building the state table: {e}")))?;
    data::write_table(&mut df, path)
}

/// Write the changes to `path`, one JSON object per line (replaced atomically).
pub fn write_changes(changes: &[Change], path: &Path) -> Result<()> {
    data::atomic_write(path, |w| {
        use std::io::Write;
        for c in changes {
            let line = serde_json::to_string(c).map_err(|e| Error::Internal(format!("a change as JSON: {e}")))?;
            writeln!(w, "{line}").map_err(|e| Error::write(path, e))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(id: &str, p: f64, tier: &str) -> ScoredLead {
        ScoredLead {
            id: Some(id.into()),
            probability: p,
            score: (p * 100.0) as i32,
            tier: tier.into(),
            decision: false,
            reasons: String::new(),
            segment: None,
        }
    }

    #[test]
    fn hysteresis_keeps_a_hovering_lead_routed() {
        let run = Run {
            model: "m".into(),
            threshold: 0.5,
            hysteresis: 0.05,
            as_of: "2026-01-01".into(),
            tiers: Some(crate::model::Tiers::default_for(0.5)),
        };
        let (c1, s1) = diff(None, &[lead("a", 0.51, "hot"), lead("b", 0.2, "cold")], &run);
        assert_eq!(c1.iter().map(|c| c.change).collect::<Vec<_>>(), [ChangeKind::New, ChangeKind::New]);
        // a dips just under the threshold (scored warm): still routed and still hot, no
        // change; b rises: crossed up.
        let (c2, s2) = diff(Some(&s1), &[lead("a", 0.48, "warm"), lead("b", 0.6, "hot")], &run);
        assert_eq!(c2.len(), 1);
        assert_eq!((s2.leads[0].tier.as_str(), s2.leads[0].decision), ("hot", true));
        assert_eq!((c2[0].id.as_str(), c2[0].change), ("b", ChangeKind::CrossedUp));
        // a falls below threshold - hysteresis: crossed down; b is gone: removed.
        let (c3, _) = diff(Some(&s2), &[lead("a", 0.44, "warm")], &run);
        let kinds: Vec<_> = c3.iter().map(|c| (c.id.as_str(), c.change)).collect();
        assert_eq!(kinds, [("a", ChangeKind::CrossedDown), ("b", ChangeKind::Removed)]);
        // The same run on the same state gives the same event ids.
        let (again, _) = diff(Some(&s2), &[lead("a", 0.44, "warm")], &run);
        assert_eq!(again, c3);
        assert_ne!(c3[0].event_id, c3[1].event_id);
    }
}
