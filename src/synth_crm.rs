//! CRM-shaped synthetic exports (issue 34): the synthetic contacts of [`crate::synth`]
//! as HubSpot's contacts export or a Salesforce Leads export writes them, with the CRM's
//! own column names and the properties a real export carries that are set during or
//! after the sale (a lifecycle stage, a lead status, the day the contact became a
//! customer, deal dates, amounts and counts). Newcomers try the leakage checks on it,
//! and the tests check that each kind of leak is named.
//!
//! The leaks are of three kinds, as real exports have them:
//! - by value: the stage or status the label was made from;
//! - by being filled: a date or a count of days that exists only for customers;
//! - in part: a lead status whose values mostly follow the outcome, deal counts, dates
//!   and amounts that exist for customers and for some lost leads.
//!
//! The fair columns are the synthetic contacts' own, renamed; their values are as drawn.
//! The CRM's properties come from a random stream of their own (the seed's), so the same
//! seed gives the same file.

use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// Which CRM's export to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrmShape {
    /// HubSpot's contacts export: property labels as headers ("Lifecycle Stage").
    HubSpot,
    /// Salesforce's Leads, as Data Loader exports them: API names as headers
    /// ("IsConverted").
    Salesforce,
}

impl std::str::FromStr for CrmShape {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hubspot" => Ok(CrmShape::HubSpot),
            "salesforce" => Ok(CrmShape::Salesforce),
            other => Err(Error::usage("--crm", format!("must be hubspot or salesforce, got {other:?}"))),
        }
    }
}

/// The synthetic columns and the CRM's names for them, in the export's order.
const HUBSPOT_NAMES: &[(&str, &str)] = &[
    ("email", "Email"),
    ("job_title", "Job Title"),
    ("industry", "Industry"),
    ("employees", "Number of Employees"),
    ("country", "Country/Region"),
    ("lead_source", "Original Source"),
    ("website_visits", "Number of Sessions"),
    ("pricing_page_views", "Pricing Page Views"),
    ("careers_page_views", "Careers Page Views"),
    ("email_opens", "Marketing emails opened"),
    ("email_clicks", "Marketing emails clicked"),
    ("webinars_attended", "Webinars Attended"),
    ("content_downloads", "Number of Form Submissions"),
    ("demo_requested", "Demo Requested"),
];

const SALESFORCE_NAMES: &[(&str, &str)] = &[
    ("email", "Email"),
    ("job_title", "Title"),
    ("industry", "Industry"),
    ("employees", "NumberOfEmployees"),
    ("country", "Country"),
    ("lead_source", "LeadSource"),
    ("website_visits", "Website_Visits__c"),
    ("pricing_page_views", "Pricing_Page_Views__c"),
    ("careers_page_views", "Careers_Page_Views__c"),
    ("email_opens", "Email_Opens__c"),
    ("email_clicks", "Email_Clicks__c"),
    ("webinars_attended", "Webinars_Attended__c"),
    ("content_downloads", "Content_Downloads__c"),
    ("demo_requested", "Demo_Requested__c"),
];

/// HubSpot's lead status values, and their weights for won and for lost contacts: sales
/// sets them while working a lead, so they mostly follow the outcome, but not wholly.
const LEAD_STATUS: &[(&str, f64, f64)] = &[
    ("New", 0.0, 10.0),
    ("Attempted to Contact", 0.0, 15.0),
    ("Unqualified", 0.0, 25.0),
    ("Bad Timing", 0.0, 10.0),
    ("Connected", 30.0, 20.0),
    ("In Progress", 30.0, 15.0),
    ("Open Deal", 40.0, 5.0),
];

/// The lifecycle stages of contacts that did not become customers, and their weights.
const LOST_STAGES: &[(&str, f64)] =
    &[("Lead", 45.0), ("Marketing Qualified Lead", 30.0), ("Sales Qualified Lead", 15.0), ("Opportunity", 10.0)];

/// Salesforce's lead status values of leads not converted, and their weights.
const SF_OPEN_STATUS: &[(&str, f64)] =
    &[("Closed - Not Converted", 60.0), ("Working - Contacted", 25.0), ("Open - Not Contacted", 15.0)];

fn pick<'a>(rng: &mut ChaCha8Rng, items: &[(&'a str, f64)]) -> &'a str {
    let total: f64 = items.iter().map(|x| x.1).sum();
    let mut r = rng.gen::<f64>() * total;
    for (name, w) in items {
        if r < *w {
            return name;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

/// The synthetic `contacts` (with their outcome) as `shape`'s export made on `as_of`.
pub fn shape(contacts: &DataFrame, shape: CrmShape, seed: u64, as_of: NaiveDate) -> Result<DataFrame> {
    let text = |name: &str| crate::synth::text_column(contacts, name, "the synthetic contacts (--crm)");
    if contacts.column("outcome").is_err() {
        return Err(Error::usage("--crm", "a CRM-shaped export needs the outcome (leave out --no-outcome)"));
    }
    let n = contacts.height();
    let won: Vec<bool> = text("outcome")?.iter().map(|v| v.as_deref() == Some("won")).collect();
    let created: Vec<NaiveDate> = text("created_date")?
        .iter()
        .map(|v| v.as_deref().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).unwrap_or(as_of))
        .collect();
    let last = text("last_activity_date")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4352_4d5f_5348_4150);
    // Per contact: the day it closed, whether a deal was opened, and a time of day.
    let mut close = Vec::with_capacity(n);
    let mut deal = Vec::with_capacity(n);
    let mut minute = Vec::with_capacity(n);
    for i in 0..n {
        let span = (as_of - created[i]).num_days().max(0);
        close.push(created[i] + Duration::days(rng.gen_range(0..=span.min(150))));
        deal.push(won[i] || rng.gen::<f64>() < 0.3);
        minute.push(rng.gen_range(0..24 * 60));
    }
    let stamp = |d: NaiveDate, m: i64| format!("{} {:02}:{:02}", d.format("%Y-%m-%d"), m / 60, m % 60);
    let mut cols: Vec<Column> = Vec::new();
    let names = match shape {
        CrmShape::HubSpot => HUBSPOT_NAMES,
        CrmShape::Salesforce => SALESFORCE_NAMES,
    };
    match shape {
        CrmShape::HubSpot => {
            let ids: Vec<i64> = (0..n as i64).map(|i| 51_000_001 + 7 * i).collect();
            cols.push(Column::new("Record ID".into(), ids));
        }
        CrmShape::Salesforce => {
            let ids: Vec<String> = (0..n).map(|i| format!("00Q5g00000{:08X}", 0x1A2B_0000 + i)).collect();
            cols.push(Column::new("Id".into(), ids));
        }
    }
    for (from, to) in names {
        let mut v = text(from)?;
        if *from == "demo_requested" {
            v = v.into_iter().map(|x| x.map(|s| if s == "yes" { "true".into() } else { "false".into() })).collect();
        }
        cols.push(Column::new((*to).into(), v));
    }
    let created_text: Vec<String> = (0..n).map(|i| stamp(created[i], minute[i])).collect();
    let last_text: Vec<Option<String>> = last
        .iter()
        .zip(&minute)
        .map(|(d, m)| {
            d.as_deref().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).map(|d| stamp(d, (m * 7) % 1440))
        })
        .collect();
    let date_only = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    match shape {
        CrmShape::HubSpot => {
            cols.push(Column::new("Create Date".into(), created_text));
            cols.push(Column::new("Last Activity Date".into(), last_text));
            let stage: Vec<&str> =
                won.iter().map(|&w| if w { "Customer" } else { pick(&mut rng, LOST_STAGES) }).collect();
            let status: Vec<&str> = won
                .iter()
                .map(|&w| {
                    let weights: Vec<(&str, f64)> =
                        LEAD_STATUS.iter().map(|&(s, a, b)| (s, if w { a } else { b })).collect();
                    pick(&mut rng, &weights)
                })
                .collect();
            let customer: Vec<Option<String>> =
                (0..n).map(|i| won[i].then(|| stamp(close[i], (minute[i] * 3) % 1440))).collect();
            let deal_close: Vec<Option<String>> =
                (0..n).map(|i| deal[i].then(|| stamp(close[i], (minute[i] * 5) % 1440))).collect();
            let amount: Vec<Option<i64>> =
                (0..n).map(|i| deal[i].then(|| rng.gen_range(40..400) * if won[i] { 100 } else { 80 })).collect();
            let deals: Vec<i64> = (0..n).map(|i| deal[i] as i64 + (won[i] && rng.gen::<f64>() < 0.2) as i64).collect();
            let days: Vec<Option<i64>> = (0..n).map(|i| won[i].then(|| (close[i] - created[i]).num_days())).collect();
            cols.push(Column::new("Lifecycle Stage".into(), stage));
            cols.push(Column::new("Lead Status".into(), status));
            cols.push(Column::new("Became a Customer Date".into(), customer));
            cols.push(Column::new("Recent Deal Close Date".into(), deal_close));
            cols.push(Column::new("Recent Deal Amount".into(), amount));
            cols.push(Column::new("Number of Associated Deals".into(), deals));
            cols.push(Column::new("Days To Close".into(), days));
        }
        CrmShape::Salesforce => {
            let iso = |t: &str| t.replacen(' ', "T", 1) + ":00.000+0000";
            cols.push(Column::new("CreatedDate".into(), created_text.iter().map(|t| iso(t)).collect::<Vec<_>>()));
            cols.push(Column::new("LastActivityDate".into(), last));
            let status: Vec<&str> =
                won.iter().map(|&w| if w { "Closed - Converted" } else { pick(&mut rng, SF_OPEN_STATUS) }).collect();
            let converted: Vec<&str> = won.iter().map(|&w| if w { "true" } else { "false" }).collect();
            let converted_date: Vec<Option<String>> = (0..n).map(|i| won[i].then(|| date_only(close[i]))).collect();
            let opportunity: Vec<Option<String>> =
                (0..n).map(|i| won[i].then(|| format!("0065g00000{:08X}", 0x3C4D_0000 + i))).collect();
            cols.push(Column::new("Status".into(), status));
            cols.push(Column::new("IsConverted".into(), converted));
            cols.push(Column::new("ConvertedDate".into(), converted_date));
            cols.push(Column::new("ConvertedOpportunityId".into(), opportunity));
        }
    }
    DataFrame::new(n, cols).map_err(|e| Error::Internal(format!("building the CRM-shaped table: {e}")))
}
