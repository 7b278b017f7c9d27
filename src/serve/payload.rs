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

use crate::api::score::RecordScorer;
use crate::cell::Cell;
use crate::model::LeadModel;

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

/// One field of a lead as read from the body: strings borrowed from the body where the
/// JSON has no escapes in them.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(Cow<'a, str>),
    /// An array or an object: not a cell (its kind, for the message).
    Nested(&'static str),
}

impl<'a> Field<'a> {
    fn from_value(v: Value) -> Field<'a> {
        match v {
            Value::Null => Field::Null,
            Value::Bool(b) => Field::Bool(b),
            Value::Number(n) => Field::Number(n),
            Value::String(s) => Field::Str(Cow::Owned(s)),
            other => Field::Nested(kind(&other)),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Field::Null | Field::Nested(_) => Value::Null,
            Field::Bool(b) => Value::Bool(*b),
            Field::Number(n) => Value::Number(n.clone()),
            Field::Str(s) => Value::String(s.to_string()),
        }
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Field<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor(std::marker::PhantomData))
    }
}

struct FieldVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> serde::de::Visitor<'de> for FieldVisitor<'a> {
    type Value = Field<'a>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Field<'a>, E> {
        Ok(Field::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Field<'a>, E> {
        Ok(Field::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Field<'a>, E> {
        Ok(Field::Number(n.into()))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Field<'a>, E> {
        Ok(serde_json::Number::from_f64(x).map_or(Field::Null, Field::Number))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Field<'a>, E> {
        Ok(Field::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Field<'a>, E> {
        Ok(Field::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Field<'a>, E> {
        Ok(Field::Str(Cow::Owned(s)))
    }
    fn visit_unit<E>(self) -> Result<Field<'a>, E> {
        Ok(Field::Null)
    }
    fn visit_none<E>(self) -> Result<Field<'a>, E> {
        Ok(Field::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'a>, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Field::Nested("an array"))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Field<'a>, A::Error> {
        while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
        Ok(Field::Nested("an object"))
    }
}

/// A field name, borrowed from the body where it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Key<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A lead: its fields in the order given.
pub type Lead<'a> = Vec<(Cow<'a, str>, Field<'a>)>;

struct LeadIn<'a>(Lead<'a>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for LeadIn<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = LeadIn<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a lead object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<LeadIn<'a>, A::Error> {
                let mut lead = Vec::with_capacity(map.size_hint().unwrap_or(24));
                while let Some((Key(k), v)) = map.next_entry::<Key, Field>()? {
                    lead.push((k, v));
                }
                Ok(LeadIn(lead))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// `{"leads": [...], "as_of": ...}` and nothing else: read without copying the strings
/// (the common batch; anything else takes the general path, which gives the messages).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch<'a> {
    #[serde(borrow)]
    leads: Vec<LeadIn<'a>>,
    #[serde(default, borrow)]
    as_of: Option<Field<'a>>,
}

/// The leads of one request.
pub struct Request<'a> {
    pub shape: Shape,
    pub leads: Vec<Lead<'a>>,
    /// The id given with a HubSpot record (its object id), per lead.
    pub ids: Vec<Option<Value>>,
    pub as_of: Option<chrono::NaiveDate>,
}

/// One lead's answer: the library's scored lead, flat, so that Marketo's response
/// mappings and HubSpot's workflow outputs can pick fields by name; its id as the request
/// gave it (a number stays a number).
pub type Scored = crate::score::ScoredLead<Value>;

/// Read a request body. `model` tells which top-level keys are columns (a model with a
/// column called `leads`, `properties` or `as_of` keeps it as a column).
pub fn parse<'a>(body: &'a [u8], model: &LeadModel, max_leads: usize) -> Result<Request<'a>, Refusal> {
    let is_column = |k: &str| model.features.columns.iter().any(|c| c.name == k);
    if !is_column("leads") && !is_column("as_of") {
        if let Ok(b) = serde_json::from_slice::<Batch>(body) {
            if b.leads.len() > max_leads {
                return Err(too_many(b.leads.len(), max_leads));
            }
            let as_of = match b.as_of {
                None => None,
                Some(f) => as_of_date(&f.to_value())?,
            };
            let ids = vec![None; b.leads.len()];
            let leads = b.leads.into_iter().map(|l| l.0).collect();
            return Ok(Request { shape: Shape::Leads, leads, ids, as_of });
        }
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Refusal::bad(format!("the body is not valid JSON: {e}")))?;
    let Value::Object(mut top) = value else {
        return Err(Refusal::bad(format!(
            "the body is JSON {}; send one lead as an object, or {{\"leads\": [...]}}",
            kind(&value)
        )));
    };
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
                return Err(too_many(items.len(), max_leads));
            }
            let mut leads = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::Object(m) => leads.push(owned_lead(m)),
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
            let lead =
                props.iter().map(|(k, v)| (Cow::Owned(k.clone()), Field::from_value(hubspot_value(v)))).collect();
            return Ok(Request { shape: Shape::HubSpot, leads: vec![lead], ids: vec![id], as_of });
        }
    }
    Ok(Request { shape: Shape::Flat, leads: vec![owned_lead(top)], ids: vec![None], as_of })
}

fn owned_lead<'a>(m: Map<String, Value>) -> Lead<'a> {
    m.into_iter().map(|(k, v)| (Cow::Owned(k), Field::from_value(v))).collect()
}

fn too_many(n: usize, max: usize) -> Refusal {
    Refusal { status: 413, message: format!("{n} leads in one request; at most {max} (--max-leads)") }
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
    scorer: RecordScorer<'m>,
    columns: Vec<&'m str>,
    /// Each input column's index by name.
    index: foldhash::HashMap<&'m str, usize>,
    /// The model's activity-log columns (empty for other models).
    event_columns: Vec<String>,
    id_column: Option<&'m str>,
}

impl<'m> Scoring<'m> {
    pub fn new(model: &'m LeadModel, reasons: usize) -> crate::Result<Scoring<'m>> {
        let scorer = RecordScorer::new(model, reasons)?;
        let columns = model.features.input_columns();
        let index = columns.iter().enumerate().map(|(k, &c)| (c, k)).collect();
        let event_columns = model.events.as_ref().map(|e| e.column_names()).unwrap_or_default();
        Ok(Scoring { scorer, columns, index, event_columns, id_column: model.meta.id_column.as_deref() })
    }

    /// Score every lead of `req` as of `as_of_day`; the answers and the fields no lead's
    /// score used (sorted).
    pub fn score(&self, req: &Request, as_of_day: i64) -> Result<(Vec<Scored>, Vec<String>), Refusal> {
        let mut st = self.scorer.state();
        let mut out = Vec::with_capacity(req.leads.len());
        let mut ignored: BTreeSet<&str> = BTreeSet::new();
        let mut values: Vec<Option<&Field>> = Vec::with_capacity(self.columns.len());
        let mut texts: Vec<Option<Cow<str>>> = Vec::with_capacity(self.columns.len());
        let many = req.leads.len() > 1 || req.shape == Shape::Leads;
        for (i, lead) in req.leads.iter().enumerate() {
            let at = |field: &str| match many {
                true => format!("lead {}: field {field:?}", i + 1),
                false => format!("field {field:?}"),
            };
            if !self.event_columns.is_empty() {
                let absent: Vec<&str> = self
                    .event_columns
                    .iter()
                    .map(String::as_str)
                    .filter(|c| !lead.iter().any(|(k, _)| k == c))
                    .collect();
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
            // One pass over the lead's fields: each to its column, or to the ignored.
            values.clear();
            values.resize(self.columns.len(), None);
            let mut id: Option<&Field> = None;
            for (k, v) in lead {
                let k: &str = k;
                match self.index.get(k) {
                    Some(&c) => values[c] = Some(v),
                    None if Some(k) == self.id_column => id = Some(v),
                    None if k == "id" => id = id.or(Some(v)),
                    None => {
                        ignored.insert(k);
                    }
                }
            }
            texts.clear();
            for (c, v) in values.iter().enumerate() {
                texts.push(match v {
                    None | Some(Field::Null) => None,
                    Some(Field::Str(s)) => Some(Cow::Borrowed(&**s)),
                    Some(Field::Number(n)) => Some(Cow::Owned(number_text(n))),
                    Some(Field::Bool(b)) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
                    Some(Field::Nested(what)) => {
                        return Err(Refusal::bad(format!(
                            "{}: {what}; give a string, number, boolean or null",
                            at(self.columns[c])
                        )))
                    }
                });
            }
            let cell = |k: usize| match values[k] {
                None | Some(Field::Null) | Some(Field::Nested(_)) => Cell::Missing,
                Some(Field::Str(s)) => Cell::text(Some(s)),
                Some(Field::Number(n)) => Cell::Number(n.as_f64().unwrap_or(f64::NAN)),
                Some(Field::Bool(b)) => Cell::Bool(*b),
            };
            let id = req.ids[i].clone().or_else(|| id.filter(|v| **v != Field::Null).map(Field::to_value));
            let scored = self.scorer.score(&mut st, cell, |k| texts[k].as_deref(), as_of_day, id).map_err(|e| {
                let shown = texts[e.column].as_deref().unwrap_or("");
                Refusal::bad(format!("{}: {:?} is {}", at(self.columns[e.column]), shown, e.problem.describe()))
            })?;
            out.push(scored);
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
    fn a_batch_is_read_whole_with_escaped_strings_numbers_and_nested_values() {
        let b: Batch = serde_json::from_slice(
            br#"{"leads": [{"t\u00e5g": "VP \"Sales\"", "plain": "CFO", "n": 1.5, "i": -3, "x": [1, {"a": 2}], "z": null}], "as_of": "2025-06-30"}"#,
        )
        .unwrap();
        let lead = &b.leads[0].0;
        assert_eq!(lead[0], (Cow::Owned("tåg".into()), Field::Str(Cow::Owned("VP \"Sales\"".into()))));
        assert!(matches!(&lead[1].1, Field::Str(Cow::Borrowed("CFO"))));
        assert_eq!(lead[2].1, Field::Number(serde_json::Number::from_f64(1.5).unwrap()));
        assert_eq!(lead[3].1, Field::Number((-3i64).into()));
        assert_eq!(lead[4].1, Field::Nested("an array"));
        assert_eq!(lead[5].1, Field::Null);
        assert_eq!(b.as_of, Some(Field::Str(Cow::Borrowed("2025-06-30"))));
        assert!(serde_json::from_slice::<Batch>(br#"{"leads": [], "other": 1}"#).is_err());
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
