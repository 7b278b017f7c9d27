//! `score --crm hubspot|salesforce`: scores written back in a file the CRM's own
//! importer takes as it is.
//!
//! Sits after scoring: the leads just scored (read back from the scored table, ids
//! verbatim) become one row per lead, keyed by the CRM's record identifier, one column
//! per CRM property or field. The rules each file keeps, from the CRMs' documentation:
//!
//! - **HubSpot** (knowledge.hubspot.com, "Set up your import file"; the imports API,
//!   developers.hubspot.com "Imports", maps each column to a property by `columnName` and
//!   `propertyName`): CSV in UTF-8, the first row the headers, one record per row, a
//!   unique identifier column (Record ID, or Email for contacts) to update existing
//!   records, one column per property (headers: the properties' internal names).
//! - **Salesforce** (Bulk API 2.0 Developer Guide, "Prepare CSV Files", "Valid CSV
//!   Record Rows", "Bulk Upsert"): UTF-8, comma-separated, LF line endings, a header of
//!   field API names with one column for the external ID field; a field holding a comma,
//!   a double quote or a line break is enclosed in double quotes, a quote doubled; fields
//!   are not trimmed; an empty field is left as it was on update, and `#N/A` sets the
//!   field to null, so a value that is gone is written `#N/A`.
//!
//! Both: no byte-order mark (it would become part of the first header), values written
//! as they are (no `'` before `=`, `+`, `-`, `@`: the importer is not a spreadsheet, and
//! a changed key would no longer match its record), probability with four decimals
//! and a point.
//!
//! With a state file, only the leads whose score, tier or decision changed since the
//! last run (and new ones) are written.

use std::collections::HashMap;
use std::path::Path;

use crate::alerts::changes::State;
use crate::error::{Error, Result};
use crate::model::LeadModel;

/// Which CRM's importer the file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crm {
    HubSpot,
    Salesforce,
}

impl std::str::FromStr for Crm {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Crm, String> {
        match s.to_ascii_lowercase().as_str() {
            "hubspot" => Ok(Crm::HubSpot),
            "salesforce" => Ok(Crm::Salesforce),
            _ => Err(format!("{s:?}: give hubspot or salesforce")),
        }
    }
}

/// A scored value a CRM column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Probability,
    Score,
    Tier,
    Decision,
    Reasons,
}

impl Field {
    const ALL: [(Field, &'static str); 5] = [
        (Field::Probability, "probability"),
        (Field::Score, "score"),
        (Field::Tier, "tier"),
        (Field::Decision, "decision"),
        (Field::Reasons, "reasons"),
    ];
}

/// The file's layout: the key column (input column, header) and the mapped fields.
#[derive(Debug, Clone)]
pub struct CrmSpec {
    pub crm: Crm,
    /// The input column holding each lead's CRM identifier.
    pub key_column: String,
    /// Its header in the file (the CRM's identifier property or external ID field).
    pub key_header: String,
    pub fields: Vec<(Field, String)>,
}

impl CrmSpec {
    /// From `--crm-key COL[=HEADER]` and `--crm-fields field=name,...` (default: every
    /// field, under leadscore_* for HubSpot, Leadscore_*__c for Salesforce).
    pub fn new(crm: Crm, key: &str, fields: Option<&str>) -> Result<CrmSpec> {
        let (key_column, key_header) = match key.split_once('=') {
            Some((c, h)) => (c.trim().to_string(), h.trim().to_string()),
            None => (key.trim().to_string(), key.trim().to_string()),
        };
        if key_column.is_empty() || key_header.is_empty() {
            return Err(Error::usage("--crm-key", format!("{key:?}: give the id column, as COLUMN or COLUMN=HEADER")));
        }
        let fields = match fields {
            None => Field::ALL
                .iter()
                .map(|&(f, n)| {
                    let name = match crm {
                        Crm::HubSpot => format!("leadscore_{n}"),
                        Crm::Salesforce => format!("Leadscore_{}{}__c", n[..1].to_ascii_uppercase(), &n[1..]),
                    };
                    (f, name)
                })
                .collect(),
            Some(spec) => parse_fields(spec)?,
        };
        let spec = CrmSpec { crm, key_column, key_header, fields };
        spec.check_names()?;
        Ok(spec)
    }

    fn check_names(&self) -> Result<()> {
        let mut seen: Vec<&str> = vec![&self.key_header];
        for (_, name) in &self.fields {
            if seen.contains(&name.as_str()) {
                return Err(Error::usage("--crm-fields", format!("the column {name:?} is written twice")));
            }
            seen.push(name);
        }
        for name in seen {
            let ok = match self.crm {
                // Field API names: a letter, then letters, digits and underscores.
                Crm::Salesforce => {
                    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                }
                Crm::HubSpot => !name.trim().is_empty() && !name.contains(['\n', '\r']),
            };
            if !ok {
                let why = match self.crm {
                    Crm::Salesforce => "a Salesforce field API name is a letter, then letters, digits and underscores",
                    Crm::HubSpot => "a HubSpot column header is one line of text",
                };
                return Err(Error::usage("--crm-fields", format!("{name:?}: {why}")));
            }
        }
        Ok(())
    }
}

/// `probability=ls_probability,tier=ls_tier`: which fields, under which names.
fn parse_fields(spec: &str) -> Result<Vec<(Field, String)>> {
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (f, name) = item.split_once('=').unwrap_or((item, item));
        let field =
            Field::ALL.iter().find(|(_, n)| n.eq_ignore_ascii_case(f.trim())).map(|(f, _)| *f).ok_or_else(|| {
                Error::usage(
                    "--crm-fields",
                    format!("{:?} is not a scored field; give probability, score, tier, decision or reasons", f.trim()),
                )
            })?;
        out.push((field, name.trim().to_string()));
    }
    if out.is_empty() {
        return Err(Error::usage("--crm-fields", "give at least one field, as field=name"));
    }
    Ok(out)
}

/// What [`write`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Compared with a state file's run (only changed leads written).
    pub compared: bool,
    pub rows: usize,
    /// Leads left out: unchanged since the state's run.
    pub unchanged: usize,
    /// Leads left out: no identifier.
    pub without_key: usize,
}

/// [`write`] with the state file `state` (`score --state`), when given, read for the
/// previous run.
pub fn export(spec: &CrmSpec, scored: &Path, state: Option<&Path>, model: &LeadModel, out: &Path) -> Result<Written> {
    let previous = match state {
        Some(st) => crate::alerts::changes::read_state(st)?,
        None => None,
    };
    write(spec, scored, previous.as_ref().map(|s| (s, model)), out)
}

/// Write the CRM file for the leads in `scored` (the scored table as `score` writes it,
/// the key column first) to `out`, atomically. With `previous` (the state the last run
/// left, and the model whose verdict gives its leads' scores and decisions), only the
/// leads whose score, tier or decision changed, and new ones.
pub fn write(spec: &CrmSpec, scored: &Path, previous: Option<(&State, &LeadModel)>, out: &Path) -> Result<Written> {
    let (leads, has_reasons) = crate::score::read_scored(scored)?;
    let before: Option<HashMap<&str, (i32, &str, bool)>> = previous.map(|(s, model)| {
        s.leads
            .iter()
            .map(|l| {
                let v = model.verdict(l.probability);
                (l.id.as_str(), (v.score, l.tier.as_str(), v.decision))
            })
            .collect()
    });
    let mut written = Written { compared: previous.is_some(), rows: 0, unchanged: 0, without_key: 0 };
    let columns: Vec<&(Field, String)> =
        spec.fields.iter().filter(|(f, _)| *f != Field::Reasons || has_reasons).collect();
    crate::data::atomic_write(out, |w| {
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(w);
        let e = |e: csv::Error| Error::write(out, std::io::Error::other(e.to_string()));
        let mut header = vec![spec.key_header.as_str()];
        header.extend(columns.iter().map(|(_, n)| n.as_str()));
        csv.write_record(&header).map_err(e)?;
        let mut row: Vec<String> = Vec::with_capacity(header.len());
        for lead in &leads {
            let Some(key) = &lead.id else {
                written.without_key += 1;
                continue;
            };
            if let Some(b) = &before {
                if b.get(key.as_str()) == Some(&(lead.score, lead.tier.as_str(), lead.decision)) {
                    written.unchanged += 1;
                    continue;
                }
            }
            row.clear();
            row.push(key.clone());
            for (f, _) in &columns {
                let v = match f {
                    Field::Probability => format!("{:.4}", lead.probability),
                    Field::Score => lead.score.to_string(),
                    Field::Tier => lead.tier.clone(),
                    Field::Decision => lead.decision.to_string(),
                    Field::Reasons => lead.reasons.clone(),
                };
                row.push(match (spec.crm, v.is_empty()) {
                    // Salesforce leaves an empty field as it was: `#N/A` clears it.
                    (Crm::Salesforce, true) => "#N/A".to_string(),
                    _ => v,
                });
            }
            csv.write_record(&row).map_err(e)?;
            written.rows += 1;
        }
        csv.flush().map_err(|x| Error::write(out, x))
    })?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_follow_each_crms_conventions() {
        let s = CrmSpec::new(Crm::Salesforce, "email=Email", None).unwrap();
        assert_eq!(s.key_header, "Email");
        assert_eq!(s.fields[0].1, "Leadscore_Probability__c");
        let h = CrmSpec::new(Crm::HubSpot, "Record ID", None).unwrap();
        assert_eq!(h.fields[4].1, "leadscore_reasons");
    }

    #[test]
    fn a_value_that_is_gone_is_n_a_for_salesforce_and_empty_for_hubspot() {
        let dir = tempfile::tempdir().unwrap();
        let scored = dir.path().join("scored.csv");
        std::fs::write(&scored, "lead_id,probability,score,tier,decision,reasons\nA-1,0.51234,51,hot,true,\n").unwrap();
        let sf = CrmSpec::new(Crm::Salesforce, "lead_id=Lead_Key__c", None).unwrap();
        let out = dir.path().join("sf.csv");
        let w = write(&sf, &scored, None, &out).unwrap();
        assert_eq!(w, Written { compared: false, rows: 1, unchanged: 0, without_key: 0 });
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text.lines().nth(1), Some("A-1,0.5123,51,hot,true,#N/A"), "{text}");
        let hs = CrmSpec::new(Crm::HubSpot, "lead_id=Record ID", None).unwrap();
        write(&hs, &scored, None, &out).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            text.lines().next(),
            Some("Record ID,leadscore_probability,leadscore_score,leadscore_tier,leadscore_decision,leadscore_reasons")
        );
        assert_eq!(text.lines().nth(1), Some("A-1,0.5123,51,hot,true,"), "{text}");
    }

    #[test]
    fn field_lists_are_checked_by_name() {
        let s = CrmSpec::new(Crm::Salesforce, "id=Lead_Key__c", Some("probability=LS_P__c,tier=LS_T__c")).unwrap();
        assert_eq!(s.fields, vec![(Field::Probability, "LS_P__c".into()), (Field::Tier, "LS_T__c".into())]);
        assert!(CrmSpec::new(Crm::Salesforce, "id", Some("odds=X__c")).is_err());
        assert!(CrmSpec::new(Crm::Salesforce, "id", Some("score=My Field")).is_err());
        assert!(CrmSpec::new(Crm::HubSpot, "id", Some("score=a,tier=a")).is_err());
    }
}
