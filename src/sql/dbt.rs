//! `export-sql --dbt DIR`: the query as a dbt model, with its data tests and a unit test
//! (issue 37), for teams that run their warehouse's SQL through dbt.
//!
//! The files, relative to the dbt project's folder:
//!
//! - `models/lead_scores.sql`: [`super::export`]'s query reading
//!   `{{ ref(var('leadscore_input', 'stg_leads')) }}` (and, for a model trained with an
//!   activity log, `{{ ref(var('leadscore_events', 'stg_lead_events')) }}`), its dates
//!   counting back from the var `leadscore_as_of` (`YYYY-MM-DD`), else the engine's
//!   `CURRENT_DATE`;
//! - `models/lead_scores.yml`: `not_null` and `unique` on the id, `not_null` on the
//!   probability of every lead without a problem, the score between 0 and 100, the tier
//!   among the model's tiers, and a dbt 1.8 unit test whose expected rows are
//!   `leadscore score`'s for a handful of leads ([`UnitLeads`]);
//! - `macros/leadscore_between.sql`: the range test (dbt has none built in; this
//!   avoids a package and `dbt deps`).
//!
//! Nothing from the data reaches Jinja: the query is generated with placeholders for the
//! table and the as-of date (names that occur nowhere in the query generated without
//! them), every `{{`, `{%` and `{#` of the query is written as a Jinja expression that
//! prints it back, and only then are the placeholders replaced. The YAML is JSON (a
//! subset of YAML), and a lead whose cells hold a Jinja opener is not used in the unit
//! test.

use crate::error::{Error, Result};
use crate::model::LeadModel;

use super::{as_of_placeholder, dotted, AsOfSql, SqlParams};

/// The model's name in the dbt project (its file: `models/lead_scores.sql`).
pub const MODEL: &str = "lead_scores";
/// The dbt var naming the model (or seed) that holds the leads, and its default.
pub const INPUT_VAR: (&str, &str) = ("leadscore_input", "stg_leads");
/// The dbt var naming the activity log's model, and its default.
pub const EVENTS_VAR: (&str, &str) = ("leadscore_events", "stg_lead_events");
/// The dbt var holding the as-of date (`YYYY-MM-DD`); unset, the engine's current date.
pub const AS_OF_VAR: &str = "leadscore_as_of";

/// The leads of the unit test: the input rows as the model reads them (each input
/// column's text, `None` for an empty cell) and what `leadscore score` gave them.
#[derive(Debug, Clone, Default)]
pub struct UnitLeads {
    /// The id column and the model's input columns, in this order, as the rows hold them.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    /// Per row: score (0-100), tier, decision and reasons, as `leadscore score` wrote them.
    pub expected: Vec<Expected>,
    /// The as-of date the expected rows were scored with (the unit test sets the var).
    pub as_of: chrono::NaiveDate,
    /// Where the leads came from, for the test's description.
    pub source: String,
}

/// One lead's scored row, as `leadscore score` wrote it. The probability is left out:
/// the engines agree with Rust's to 1e-15, not bit for bit, and the score, tier,
/// decision and reasons carry it.
#[derive(Debug, Clone)]
pub struct Expected {
    pub id: String,
    pub score: i64,
    pub tier: String,
    pub decision: bool,
    /// `None` when the query writes no reasons (`--reasons 0`).
    pub reasons: Option<String>,
}

/// Whether `text` holds something Jinja would read (`{{`, `{%` or `{#`).
pub fn has_jinja(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// `text` with every `{` that opens Jinja written as `{{ '{' }}`, which prints it back.
pub fn jinja_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && matches!(chars.peek(), Some('{' | '%' | '#')) {
            out.push_str("{{ '{' }}");
        } else {
            out.push(c);
        }
    }
    out
}

/// The Jinja for the as-of date.
fn as_of_jinja() -> String {
    format!(
        "{{% if var('{AS_OF_VAR}', none) %}}CAST('{{{{ var('{AS_OF_VAR}') }}}}' AS DATE){{% else %}}CURRENT_DATE{{% endif %}}"
    )
}

/// The Jinja naming a model through a var with a default.
fn ref_jinja((var, default): (&str, &str)) -> String {
    format!("{{{{ ref(var('{var}', '{default}')) }}}}")
}

/// The files to write, as (path relative to the project, text).
pub fn files(model: &LeadModel, params: &SqlParams, checksum: &str, unit: &UnitLeads) -> Result<Vec<(String, String)>> {
    Ok(vec![
        (format!("models/{MODEL}.sql"), model_sql(model, params, checksum)?),
        (format!("models/{MODEL}.yml"), schema_yml(model, params, unit)?),
        ("macros/leadscore_between.sql".to_string(), BETWEEN_TEST.to_string()),
    ])
}

/// The model's SQL: the query with the placeholders replaced by Jinja.
pub fn model_sql(model: &LeadModel, params: &SqlParams, checksum: &str) -> Result<String> {
    let d = params.dialect;
    let has_events = model.events.is_some();
    let neutral = SqlParams {
        table: "leads".into(),
        events_table: has_events.then(|| "events".into()),
        as_of: AsOfSql::Today,
        view: None,
        ..params.clone()
    };
    let plain = super::export(model, &neutral, checksum)?;
    // A placeholder prefix the query does not otherwise hold (hostile names and levels
    // cannot collide with every one).
    let n = (0u32..).find(|n| !plain.contains(&format!("leadscore_dbt_{n}_"))).unwrap_or(0);
    let (input, events) = (format!("leadscore_dbt_{n}_input"), format!("leadscore_dbt_{n}_events"));
    let marked = SqlParams {
        table: input.clone(),
        events_table: has_events.then(|| events.clone()),
        as_of: AsOfSql::Placeholder(n),
        ..neutral
    };
    let query = jinja_escaped(&super::export(model, &marked, checksum)?);
    let mut sql = query
        .replace(&dotted(d, &input), &ref_jinja(INPUT_VAR))
        .replace(&dotted(d, &events), &ref_jinja(EVENTS_VAR))
        .replace(&as_of_placeholder(n), &as_of_jinja());
    if sql.contains(&format!("leadscore_dbt_{n}_")) {
        return Err(Error::Internal(format!("the dbt model kept a placeholder leadscore_dbt_{n}_")));
    }
    sql.insert_str(
        0,
        "{{ config(materialized='table') }}\n-- Written by `leadscore export-sql --dbt`; the model's query with the leads from \
         the var leadscore_input's model and the as-of date from the var leadscore_as_of.\n",
    );
    Ok(sql)
}

/// JSON text of a string (valid YAML).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// `models/lead_scores.yml`: the data tests and the unit test.
fn schema_yml(model: &LeadModel, params: &SqlParams, unit: &UnitLeads) -> Result<String> {
    let id = params.id.clone().or(model.meta.id_column.clone()).unwrap_or_default();
    let tiers: Vec<String> = model.tiers.names.iter().map(|t| q(t)).collect();
    let mut y = String::new();
    y.push_str("# Written by `leadscore export-sql --dbt`: the data tests of the scored leads, and a unit test\n");
    y.push_str("# whose expected rows are `leadscore score`'s for the same leads.\n");
    y.push_str("version: 2\n\nmodels:\n");
    y.push_str(&format!("  - name: {MODEL}\n"));
    y.push_str(&format!(
        "    description: {}\n",
        q(&format!(
            "Leads scored by the leadscore model trained on {} ({} rows, label {:?}); the same numbers as `leadscore score`.",
            model.meta.data_file, model.meta.rows, model.meta.label
        ))
    ));
    y.push_str("    columns:\n");
    y.push_str(&format!("      - name: {}\n        data_tests:\n          - not_null\n          - unique\n", q(&id)));
    y.push_str(
        "      - name: probability\n        description: \"NULL exactly when problem says why the lead was not scored.\"\n        \
         data_tests:\n          - not_null:\n              config:\n                where: \"problem is null\"\n",
    );
    y.push_str("      - name: score\n        data_tests:\n          - leadscore_between:\n              min_value: 0\n              max_value: 100\n");
    y.push_str(&format!(
        "      - name: tier\n        data_tests:\n          - accepted_values:\n              values: [{}]\n",
        tiers.join(", ")
    ));
    if unit.rows.is_empty() {
        return Ok(y);
    }
    y.push_str("\nunit_tests:\n");
    y.push_str(&format!("  - name: {MODEL}_as_leadscore_score\n"));
    y.push_str(&format!(
        "    description: {}\n",
        q(&format!(
            "{} leads of {}, scored by `leadscore score --as-of {}`: the SQL must give the same score, tier, decision and reasons.",
            unit.rows.len(),
            unit.source,
            unit.as_of
        ))
    ));
    y.push_str(&format!("    model: {MODEL}\n"));
    y.push_str(&format!("    overrides:\n      vars:\n        {AS_OF_VAR}: {}\n", q(&unit.as_of.to_string())));
    y.push_str(&format!("    given:\n      - input: ref({})\n        rows:\n", q(INPUT_VAR.1).replace('"', "'")));
    for row in &unit.rows {
        let obj: serde_json::Map<String, serde_json::Value> = unit
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| (c.clone(), v.clone().map_or(serde_json::Value::Null, serde_json::Value::String)))
            .collect();
        y.push_str(&format!("          - {}\n", serde_json::Value::Object(obj)));
    }
    y.push_str("    expect:\n      rows:\n");
    for e in &unit.expected {
        let mut obj = serde_json::json!({
            id.clone(): e.id, "score": e.score, "tier": e.tier, "decision": e.decision,
        });
        if let (Some(r), Some(map)) = (&e.reasons, obj.as_object_mut()) {
            map.insert("reasons".into(), serde_json::Value::String(r.clone()));
        }
        y.push_str(&format!("        - {obj}\n"));
    }
    Ok(y)
}

/// The range test: rows whose value lies outside `[min_value, max_value]`.
const BETWEEN_TEST: &str =
    "-- Written by `leadscore export-sql --dbt`: the rows whose value lies outside [min_value, max_value]
-- (NULLs pass; not_null tests them).
{% test leadscore_between(model, column_name, min_value, max_value) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jinja_openers_are_printed_back_and_nothing_else_changes() {
        assert_eq!(jinja_escaped("a {b} c"), "a {b} c");
        assert_eq!(jinja_escaped("{{x}}"), "{{ '{' }}{x}}");
        assert_eq!(jinja_escaped("{%"), "{{ '{' }}%");
        assert_eq!(jinja_escaped("{#"), "{{ '{' }}#");
        assert_eq!(jinja_escaped("{{{"), "{{ '{' }}{{ '{' }}{");
        assert!(has_jinja("x {% y") && !has_jinja("x { y }"));
    }
}
