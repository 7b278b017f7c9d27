//! What `POST /v1/score` takes and answers, without any HTTP: a request body (JSON) to
//! leads, each lead through the one per-lead arithmetic ([`crate::score::RowScorer`]),
//! and the answer as JSON.
//!
//! Three shapes are read:
//! - one lead as a flat object, keys the training columns: `{"title": "VP Sales", ...}`;
//! - `{"leads": [{...}, {...}]}`;
//! - the record HubSpot's workflow "Send a webhook" action posts: the object as its CRM
//!   API gives it, properties under `properties`, each either a value or (contacts) an
//!   object `{"value": ..., "versions": [...]}`; the id from `objectId`, `vid`, `id` or
//!   the `hs_object_id` property.
//!
//! A value is a JSON string (read as the batch scorer reads a CSV cell), number,
//! boolean or null (missing). Numbers and booleans are typed cells, as a Parquet file's
//! are. `as_of` (`YYYY-MM-DD`) at the top level sets the date that dates count back from.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::cell::Cell;
use crate::model::LeadModel;
use crate::score::RowScorer;

/// A request the server refuses, with the HTTP status and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Refusal {
    pub fn bad(message: impl Into<String>) -> Refusal {
        Refusal { status: 400, message: message.into() }
    }
}

/// Which of the three shapes a body had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Flat,
    Leads,
    HubSpot,
}

/// The leads of one request, each an object of fields.
pub struct Request {
    pub shape: Shape,
    pub leads: Vec<Map<String, Value>>,
    /// The id given with a HubSpot record (its object id), per lead.
    pub ids: Vec<Option<Value>>,
    pub as_of: Option<chrono::NaiveDate>,
}

/// One lead's answer: flat, so that Marketo's response mappings and HubSpot's workflow
/// outputs can pick fields by name.
#[derive(Debug, Serialize)]
pub struct Scored {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    pub probability: f64,
    pub score: i32,
    pub tier: String,
    pub decision: bool,
    /// As the batch scorer writes them: `column = value (+0.84); ...`.
    pub reasons: String,
    /// The segment whose own weights scored the lead (segmented models only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
}

/// Read a request body. `model` tells which top-level keys are columns (a model with a
/// column called `leads`, `properties` or `as_of` keeps it as a column).
pub fn parse(body: &[u8], model: &LeadModel, max_leads: usize) -> Result<Request, Refusal> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Refusal::bad(format!("the body is not valid JSON: {e}")))?;
    let Value::Object(mut top) = value else {
        return Err(Refusal::bad(format!(
            "the body is JSON {}; send one lead as an object, or {{\"leads\": [...]}}",
            kind(&value)
        )));
    };
    let is_column = |k: &str| model.features.columns.iter().any(|c| c.name == k);
    let as_of = match top.get("as_of") {
        Some(v) if !is_column("as_of") => {
            let d = as_of_date(v)?;
            top.remove("as_of");
            d
        }
        _ => None,
    };
    if !is_column("leads") {
        if let Some(v) = top.remove("leads") {
            let Value::Array(items) = v else {
                return Err(Refusal::bad(format!("\"leads\" is {}; give an array of lead objects", kind(&v))));
            };
            if items.len() > max_leads {
                return Err(Refusal {
                    status: 413,
                    message: format!("{} leads in one request; at most {max_leads} (--max-leads)", items.len()),
                });
            }
            let mut leads = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::Object(m) => leads.push(m),
                    other => return Err(Refusal::bad(format!("lead {}: {}; give an object", i + 1, kind(&other)))),
                }
            }
            let ids = vec![None; leads.len()];
            return Ok(Request { shape: Shape::Leads, leads, ids, as_of });
        }
    }
    if !is_column("properties") {
        if let Some(Value::Object(props)) = top.get("properties") {
            let id = ["objectId", "vid", "id"]
                .iter()
                .find_map(|k| top.get(*k).filter(|v| !v.is_null()).cloned())
                .or_else(|| props.get("hs_object_id").map(hubspot_value).filter(|v| !v.is_null()));
            let lead: Map<String, Value> = props.iter().map(|(k, v)| (k.clone(), hubspot_value(v))).collect();
            return Ok(Request { shape: Shape::HubSpot, leads: vec![lead], ids: vec![id], as_of });
        }
    }
    Ok(Request { shape: Shape::Flat, leads: vec![top], ids: vec![None], as_of })
}

/// A HubSpot property: the value itself, or a contact property's `{"value": ...}`.
fn hubspot_value(v: &Value) -> Value {
    match v {
        Value::Object(o) if o.contains_key("value") => o.get("value").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    }
}

fn as_of_date(v: &Value) -> Result<Option<chrono::NaiveDate>, Refusal> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Refusal::bad(format!("\"as_of\" is {s:?}; give a date as YYYY-MM-DD"))),
        other => Err(Refusal::bad(format!("\"as_of\" is {}; give a date as \"YYYY-MM-DD\"", kind(other)))),
    }
}

/// "a string", "an array", ... for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A number as text, as a typed number cell shows it (`120`, `1.5`).
fn number_text(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => i.to_string(),
        (_, Some(u)) => u.to_string(),
        _ => format!("{}", n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// The model's columns read from the leads of one request.
pub struct Scoring<'m> {
    scorer: RowScorer<'m>,
    columns: Vec<&'m str>,
    /// The model's activity-log columns (empty for other models).
    event_columns: Vec<String>,
    id_column: Option<&'m str>,
    reasons: usize,
}

impl<'m> Scoring<'m> {
    pub fn new(model: &'m LeadModel, reasons: usize) -> crate::Result<Scoring<'m>> {
        let scorer = RowScorer::new(model)?;
        let columns = model.features.input_columns();
        let event_columns = model.events.as_ref().map(|e| e.column_names()).unwrap_or_default();
        Ok(Scoring { scorer, columns, event_columns, id_column: model.meta.id_column.as_deref(), reasons })
    }

    /// Score every lead of `req` as of `as_of_day`; the answers and the fields no lead's
    /// score used (sorted).
    pub fn score(&self, req: &Request, as_of_day: i64) -> Result<(Vec<Scored>, Vec<String>), Refusal> {
        let m = self.scorer.model;
        let mut st = self.scorer.state();
        let mut out = Vec::with_capacity(req.leads.len());
        let mut ignored: BTreeSet<&str> = BTreeSet::new();
        let mut values: Vec<Option<&Value>> = Vec::with_capacity(self.columns.len());
        let mut texts: Vec<Option<Cow<str>>> = Vec::with_capacity(self.columns.len());
        let mut reasons = String::new();
        let many = req.leads.len() > 1 || req.shape == Shape::Leads;
        for (i, lead) in req.leads.iter().enumerate() {
            let at = |field: &str| match many {
                true => format!("lead {}: field {field:?}", i + 1),
                false => format!("field {field:?}"),
            };
            if !self.event_columns.is_empty() {
                let absent: Vec<&str> =
                    self.event_columns.iter().map(String::as_str).filter(|c| !lead.contains_key(*c)).collect();
                if !absent.is_empty() {
                    return Err(Refusal::bad(format!(
                        "{}the model was trained with an activity log: give each lead's activity counts as fields \
                         ({} missing: {})",
                        if many { format!("lead {}: ", i + 1) } else { String::new() },
                        absent.len(),
                        absent.iter().take(5).map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
            values.clear();
            texts.clear();
            for &c in &self.columns {
                let v = lead.get(c);
                let text = match v {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
                    Some(Value::Number(n)) => Some(Cow::Owned(number_text(n))),
                    Some(Value::Bool(b)) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
                    Some(other) => {
                        return Err(Refusal::bad(format!(
                            "{}: {}; give a string, number, boolean or null",
                            at(c),
                            kind(other)
                        )))
                    }
                };
                values.push(v);
                texts.push(text);
            }
            for k in lead.keys() {
                if !self.columns.contains(&k.as_str()) && Some(k.as_str()) != self.id_column && k != "id" {
                    ignored.insert(k);
                }
            }
            let cell = |k: usize| match values[k] {
                None | Some(Value::Null) => Cell::Missing,
                Some(Value::String(s)) => Cell::text(Some(s)),
                Some(Value::Number(n)) => Cell::Number(n.as_f64().unwrap_or(f64::NAN)),
                Some(Value::Bool(b)) => Cell::Bool(*b),
                Some(_) => Cell::Missing,
            };
            let z = self.scorer.log_odds(cell, as_of_day, &mut st).map_err(|e| {
                let shown = texts[e.column].as_deref().unwrap_or("");
                Refusal::bad(format!("{}: {:?} is {}", at(self.columns[e.column]), shown, e.problem.describe()))
            })?;
            let probability = self.scorer.probability(z, &st);
            let verdict = m.verdict(probability);
            if self.reasons > 0 {
                self.scorer.reason_text(&mut st, self.reasons, |k| texts[k].as_deref(), '.', &mut reasons);
            }
            let id = req.ids[i].clone().or_else(|| {
                let key = self.id_column.filter(|c| lead.contains_key(*c)).unwrap_or("id");
                lead.get(key).filter(|v| !v.is_null()).cloned()
            });
            out.push(Scored {
                id,
                probability,
                score: verdict.score,
                tier: m.tiers.names.get(verdict.tier).cloned().unwrap_or_default(),
                decision: verdict.decision,
                reasons: reasons.clone(),
                segment: self.scorer.segment(&st).map(str::to_string),
            });
        }
        Ok((out, ignored.into_iter().map(str::to_string).collect()))
    }
}

/// The answer's body: one lead's fields at the top for a flat or HubSpot request,
/// `{"leads": [...]}` for a list; both with the fields ignored, the as-of date and the
/// model's checksum.
pub fn answer(shape: Shape, scored: Vec<Scored>, ignored: Vec<String>, as_of: &str, model: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct One<'a> {
        #[serde(flatten)]
        lead: Scored,
        ignored: Vec<String>,
        as_of: &'a str,
        model: &'a str,
    }
    #[derive(Serialize)]
    struct Many<'a> {
        leads: Vec<Scored>,
        ignored: Vec<String>,
        as_of: &'a str,
        model: &'a str,
    }
    let r = match (shape, scored.len()) {
        (Shape::Flat | Shape::HubSpot, 1) => {
            let lead = scored.into_iter().next();
            match lead {
                Some(lead) => serde_json::to_vec(&One { lead, ignored, as_of, model }),
                None => serde_json::to_vec(&Many { leads: Vec::new(), ignored, as_of, model }),
            }
        }
        _ => serde_json::to_vec(&Many { leads: scored, ignored, as_of, model }),
    };
    r.unwrap_or_else(|e| format!("{{\"error\":\"the answer as JSON: {e}\"}}").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubspot_contact_properties_are_read_from_their_value() {
        let v = serde_json::json!({"value": "VP Sales", "versions": [{"value": "VP Sales"}]});
        assert_eq!(hubspot_value(&v), Value::String("VP Sales".into()));
        assert_eq!(hubspot_value(&Value::from(12)), Value::from(12));
    }

    #[test]
    fn numbers_show_as_typed_number_cells_do() {
        let n = |s: &str| number_text(&serde_json::from_str(s).unwrap());
        assert_eq!(n("120"), "120");
        assert_eq!(n("1.5"), "1.5");
        assert_eq!(n("-3"), "-3");
        assert_eq!(n("120.0"), format!("{}", 120.0f64));
    }

    #[test]
    fn an_as_of_that_is_not_a_date_is_refused_by_name() {
        let e = as_of_date(&Value::from("31/12/2026")).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("as_of") && e.message.contains("YYYY-MM-DD"), "{}", e.message);
        assert_eq!(as_of_date(&Value::from("2026-12-31")).unwrap(), chrono::NaiveDate::from_ymd_opt(2026, 12, 31));
    }
}
