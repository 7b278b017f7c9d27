//! The synthetic CRM generator behind `leadscore synth`.
//!
//! Makes realistic B2B contact exports (titles, industries, company size, country,
//! source, e-mail, web and e-mail behaviour, webinars, downloads, demo requests, dates)
//! whose outcome is drawn from a known logistic model with noise and nonlinear effects:
//! an inverted-U effect of company size, capped pricing-page effects, decaying recency.
//! It makes the sample data in `data/`, test fixtures, and benchmark data of any size.
//! The same seed always gives the same file.

use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// Generator options.
#[derive(Debug, Clone)]
pub struct SynthParams {
    pub rows: usize,
    pub seed: u64,
    /// Include the `outcome` column (won/lost). Default: true.
    pub outcome: bool,
    /// Export date: dates fall before it. Default: 2025-06-30.
    pub as_of: NaiveDate,
    /// Also make an activity log (and a `closed_date` column). Default: false.
    pub events: bool,
    /// Extra page views per contact in the log, on average, beyond those behind the
    /// behaviour columns (to make large logs for benchmarks). Default: 0.
    pub extra_events: f64,
    /// Sparse columns with no bearing on the outcome, as a CRM's all-property export
    /// holds them: counts, picklists, timestamps and free-text notes, each missing in
    /// 50-98% of rows (drawn from their own random stream: the other columns are those
    /// of the same seed without them). Default: 0.
    pub noise_columns: usize,
    /// Add a `product` column (the product the lead asked about: crm 45%, analytics 45%,
    /// training 10%, drawn from its own random stream) whose buyers differ: for analytics
    /// individual contributors, large companies, finance and retail buy, executives less, pricing- and
    /// careers-page views count for and a demo request barely; for training students and
    /// education buy. Without it every
    /// lead follows the crm profile. Default: false.
    pub products: bool,
    /// How far the outcome's rule moves per year of creation date after 2024-01-01
    /// (issue 33: data that drifts over time, for retraining): the won share rises, a
    /// demo request counts for less and pricing-page views for more, each in proportion.
    /// No extra random draws, so 0 gives the files of before. Default: 0.
    pub drift: f64,
    /// The number of the first contact id (`L0000001` for 1), so that a later period's
    /// contacts get ids of their own. Default: 1.
    pub first_id: usize,
}

/// The products of `--products`: name and share.
pub const PRODUCTS: &[(&str, f64)] = &[("crm", 45.0), ("analytics", 45.0), ("training", 10.0)];

/// A synthetic export: the contacts and, when asked for, their activity log.
pub struct Synthetic {
    pub contacts: DataFrame,
    pub events: Option<DataFrame>,
}

impl SynthParams {
    pub fn new(rows: usize, seed: u64) -> Self {
        SynthParams {
            rows,
            seed,
            outcome: true,
            as_of: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default(),
            events: false,
            extra_events: 0.0,
            noise_columns: 0,
            products: false,
            drift: 0.0,
            first_id: 1,
        }
    }
}

const TITLES: &[(&str, &str, f64)] = &[
    ("CEO", "c", 2.0),
    ("Founder & CEO", "c", 1.5),
    ("Chief Technology Officer", "c", 1.0),
    ("CFO", "c", 1.0),
    ("Chief Marketing Officer", "c", 0.8),
    ("VP of Sales", "vp", 2.0),
    ("VP Marketing", "vp", 1.5),
    ("Vice President, Engineering", "vp", 1.2),
    ("Director of Marketing", "dir", 3.0),
    ("Head of Sales", "dir", 2.0),
    ("IT Director", "dir", 2.0),
    ("Director, Operations", "dir", 1.5),
    ("Marketing Manager", "mgr", 5.0),
    ("Sales Manager", "mgr", 4.0),
    ("Engineering Manager", "mgr", 3.0),
    ("Product Manager", "mgr", 3.0),
    ("HR Manager", "mgr", 2.0),
    ("Software Engineer", "ic", 6.0),
    ("Senior Data Analyst", "ic", 4.0),
    ("Account Executive", "ic", 4.0),
    ("Marketing Specialist", "ic", 4.0),
    ("Accountant", "ic", 2.0),
    ("Operations Analyst", "ic", 3.0),
    ("Consultant", "ic", 3.0),
    ("Student", "st", 3.0),
    ("Marketing Intern", "st", 2.0),
    ("Graduate Student", "st", 1.5),
];

const INDUSTRIES: &[(&str, f64, f64)] = &[
    ("Software", 0.5, 20.0),
    ("Financial Services", 0.3, 12.0),
    ("Healthcare", 0.2, 10.0),
    ("Manufacturing", 0.0, 12.0),
    ("Retail", -0.1, 10.0),
    ("Education", -0.5, 8.0),
    ("Government", -0.4, 5.0),
    ("Consulting", 0.1, 10.0),
    ("Media", -0.1, 6.0),
    ("Other", -0.2, 7.0),
];

const COUNTRIES: &[(&str, f64, f64)] = &[
    ("United States", 0.2, 40.0),
    ("United Kingdom", 0.1, 12.0),
    ("Germany", 0.1, 10.0),
    ("France", 0.0, 6.0),
    ("India", -0.4, 10.0),
    ("Canada", 0.1, 6.0),
    ("Australia", 0.0, 5.0),
    ("Brazil", -0.3, 4.0),
    ("Other", -0.3, 7.0),
];

const SOURCES: &[(&str, f64, f64)] = &[
    ("Organic Search", 0.0, 25.0),
    ("Paid Search", -0.1, 18.0),
    ("Referral", 0.6, 8.0),
    ("Webinar", 0.3, 10.0),
    ("Event", 0.3, 7.0),
    ("Content Download", 0.0, 12.0),
    ("Outbound", -0.3, 10.0),
    ("Partner", 0.4, 5.0),
    ("Social", -0.4, 5.0),
];

const FREE_MAIL: &[&str] = &["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut r = rng.gen::<f64>() * total;
    for it in items {
        r -= weight(it);
        if r <= 0.0 {
            return it;
        }
    }
    &items[items.len() - 1]
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box-Muller.
    let u1: f64 = rng.gen::<f64>().max(1e-300);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let l = (-lambda).exp();
    let mut k = 0u32;
    let mut p = 1.0;
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

fn stamp(rng: &mut ChaCha8Rng, day: NaiveDate) -> String {
    let secs = rng.gen_range(0..86_400);
    format!("{} {:02}:{:02}:{:02}", day.format("%Y-%m-%d"), secs / 3600, (secs / 60) % 60, secs % 60)
}

/// The noise columns of [`SynthParams::noise_columns`].
fn noise_columns(params: &SynthParams, n: usize) -> Vec<Column> {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed ^ 0x6e6f_6973_6521);
    let start = params.as_of - chrono::Duration::days(720);
    (0..params.noise_columns)
        .map(|k| {
            let missing = 0.5 + 0.48 * rng.gen::<f64>();
            let present = |rng: &mut ChaCha8Rng| rng.gen::<f64>() >= missing;
            let name = match k % 4 {
                0 => format!("hs_count_{k}"),
                1 => format!("picklist_{k}"),
                2 => format!("hs_timestamp_{k}"),
                _ => format!("notes_{k}"),
            };
            let lambda = 0.5 + 5.0 * rng.gen::<f64>();
            let levels = 3 + rng.gen_range(0..12);
            let v: Vec<Option<String>> = (0..n)
                .map(|i| {
                    if !present(&mut rng) {
                        return None;
                    }
                    Some(match k % 4 {
                        0 => poisson(&mut rng, lambda).to_string(),
                        1 => format!("Option {}", rng.gen_range(0..levels)),
                        2 => (start + chrono::Duration::days(rng.gen_range(0..720))).to_string(),
                        _ => format!("Called {} about item {}", i % 97, rng.gen_range(0..100_000)),
                    })
                })
                .collect();
            Column::new(name.into(), v)
        })
        .collect()
}

/// Generate the contacts (and the activity log when `params.events`).
pub fn generate_all(params: &SynthParams) -> Result<Synthetic> {
    let (contacts, events) = build(params)?;
    Ok(Synthetic { contacts, events })
}

/// Generate the contacts table.
pub fn generate(params: &SynthParams) -> Result<DataFrame> {
    Ok(build(params)?.0)
}

fn build(params: &SynthParams) -> Result<(DataFrame, Option<DataFrame>)> {
    if params.rows == 0 {
        return Err(Error::usage("--rows", "must be at least 1"));
    }
    let mut draft = Draft::new(params);
    for i in 0..params.rows {
        draft.contact(i);
    }
    draft.finish()
}

/// The synthetic file being drawn: its columns, the activity log, and the random
/// streams (contacts, products, log), each its own so that options leave the rest as
/// they were.
struct Draft<'p> {
    params: &'p SynthParams,
    start: NaiveDate,
    rng: ChaCha8Rng,
    prng: ChaCha8Rng,
    erng: ChaCha8Rng,
    id: Vec<String>,
    title: Vec<Option<String>>,
    industry: Vec<Option<String>>,
    employees: Vec<Option<i64>>,
    country: Vec<String>,
    source: Vec<String>,
    email: Vec<String>,
    visits: Vec<i64>,
    pricing: Vec<i64>,
    careers: Vec<i64>,
    opens: Vec<i64>,
    clicks: Vec<i64>,
    webinars: Vec<i64>,
    downloads: Vec<i64>,
    demo: Vec<String>,
    created: Vec<String>,
    last_activity: Vec<String>,
    outcome: Vec<String>,
    product: Vec<&'static str>,
    closed: Vec<String>,
    ev_contact: Vec<String>,
    ev_type: Vec<&'static str>,
    ev_time: Vec<String>,
}

impl<'p> Draft<'p> {
    fn new(params: &'p SynthParams) -> Draft<'p> {
        let n = params.rows;
        let rng = ChaCha8Rng::seed_from_u64(params.seed);
        let id = Vec::with_capacity(n);
        let title: Vec<Option<String>> = Vec::with_capacity(n);
        let industry: Vec<Option<String>> = Vec::with_capacity(n);
        let employees: Vec<Option<i64>> = Vec::with_capacity(n);
        let country = Vec::with_capacity(n);
        let source = Vec::with_capacity(n);
        let email = Vec::with_capacity(n);
        let visits = Vec::with_capacity(n);
        let pricing = Vec::with_capacity(n);
        let careers = Vec::with_capacity(n);
        let opens = Vec::with_capacity(n);
        let clicks = Vec::with_capacity(n);
        let webinars = Vec::with_capacity(n);
        let downloads = Vec::with_capacity(n);
        let demo = Vec::with_capacity(n);
        let created = Vec::with_capacity(n);
        let last_activity = Vec::with_capacity(n);
        let outcome = Vec::with_capacity(n);
        let product: Vec<&'static str> = Vec::with_capacity(if params.products { n } else { 0 });
        // Products have their own stream too: without --products the file is unchanged.
        let prng = ChaCha8Rng::seed_from_u64(params.seed ^ 0x9d0d_0c75);
        let closed = Vec::with_capacity(if params.events { n } else { 0 });
        let ev_contact: Vec<String> = Vec::new();
        let ev_type: Vec<&'static str> = Vec::new();
        let ev_time: Vec<String> = Vec::new();
        // The log has its own random stream, so the contacts are the same with or without it.
        let erng = ChaCha8Rng::seed_from_u64(params.seed ^ 0x5eed_e7e7);
        let start = params.as_of - Duration::days(540);
        Draft {
            params,
            start,
            rng,
            prng,
            erng,
            id,
            title,
            industry,
            employees,
            country,
            source,
            email,
            visits,
            pricing,
            careers,
            opens,
            clicks,
            webinars,
            downloads,
            demo,
            created,
            last_activity,
            outcome,
            product,
            closed,
            ev_contact,
            ev_type,
            ev_time,
        }
    }

    /// Draw contact `i` (0-based): its properties, its outcome, and with `--events` its log.
    fn contact(&mut self, i: usize) {
        self.id.push(format!("L{:07}", i + self.params.first_id));
        let engagement = normal(&mut self.rng);
        let mut z = -3.3;
        let prod = if self.params.products { pick(&mut self.prng, PRODUCTS, |p| p.1).0 } else { "crm" };
        if self.params.products {
            self.product.push(prod);
        }

        let level = self.firmographics(i, prod, &mut z);
        let counts = self.activity(engagement, level, prod, &mut z);
        // The self.outcome is decided on the close date, within the four months before the
        // export; what counts is how long the lead had gone quiet by then.
        let close = self.params.as_of - Duration::days(self.rng.gen_range(0..120));
        let c_off = self.rng.gen_range(0..540);
        let cdate = (self.start + Duration::days(c_off)).min(close);
        let span = (close - cdate).num_days().max(0);
        // Engaged leads were active more recently.
        let quiet_share = (1.0 / (1.0 + (1.2 * engagement).exp())) * self.rng.gen::<f64>();
        let quiet = ((span as f64 * quiet_share).round() as i64).min(span);
        let ldate = close - Duration::days(quiet);
        z -= 0.012 * (quiet.min(180) as f64);
        if self.params.drift != 0.0 {
            let years = (cdate - NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()).num_days() as f64 / 365.0;
            let shift = 0.6 + 0.35 * (counts.pv.min(6) as f64) - 1.2 * f64::from(u8::from(counts.dm));
            z += self.params.drift * years * shift;
        }
        self.created.push(cdate.format("%Y-%m-%d").to_string());
        self.last_activity.push(ldate.format("%Y-%m-%d").to_string());

        z += 0.5 * normal(&mut self.rng);
        let p = 1.0 / (1.0 + (-z).exp());
        let won = self.rng.gen::<f64>() < p;
        self.outcome.push(if won { "won" } else { "lost" }.to_string());
        if self.params.events {
            self.events(i, counts, (cdate, ldate, close), won);
        }
    }

    /// Title, industry, company size, country, source and e-mail, their effects added
    /// to `z` in that order; returns the title's level.
    fn firmographics(&mut self, i: usize, prod: &str, z: &mut f64) -> &'static str {
        let (t, level, _) = *pick(&mut self.rng, TITLES, |t| t.2);
        *z += match (prod, level) {
            ("analytics", "c") => -0.6,
            ("analytics", "vp") => -0.2,
            ("analytics", "dir") => 0.2,
            ("analytics", "mgr") => 0.5,
            ("analytics", "ic") => 1.2,
            ("analytics", "st") => -0.5,
            ("training", "st") => 1.2,
            ("training", "c" | "vp") => -0.3,
            (_, "c") => 0.9,
            (_, "vp") => 0.8,
            (_, "dir") => 0.6,
            (_, "mgr") => 0.3,
            (_, "st") => -2.0,
            _ => 0.0,
        };
        self.title.push(if self.rng.gen::<f64>() < 0.05 { None } else { Some(t.to_string()) });

        let (ind, ind_eff, _) = *pick(&mut self.rng, INDUSTRIES, |x| x.2);
        *z += match (prod, ind) {
            ("training", "Education") => 1.2,
            ("analytics", "Financial Services") => 0.9,
            ("analytics", "Retail") => 0.7,
            ("analytics", "Software") => -0.3,
            _ => ind_eff,
        };
        self.industry.push(match self.rng.gen::<f64>() {
            r if r < 0.05 => Some("Select".to_string()),
            r if r < 0.08 => Some(ind.to_lowercase()),
            _ => Some(ind.to_string()),
        });

        let emp = (4.5 + 1.7 * normal(&mut self.rng)).exp().round().clamp(1.0, 200_000.0);
        // Inverted U: best fit around 300 self.employees (analytics: the larger the better).
        let l10 = emp.log10();
        *z += match prod {
            "analytics" => 1.0 * (l10 - 2.5),
            _ => 0.6 - 0.35 * (l10 - 2.5).powi(2),
        };
        self.employees.push(if self.rng.gen::<f64>() < 0.08 { None } else { Some(emp as i64) });

        let (c, c_eff, _) = *pick(&mut self.rng, COUNTRIES, |x| x.2);
        *z += c_eff;
        self.country.push(c.to_string());

        let (s, s_eff, _) = *pick(&mut self.rng, SOURCES, |x| x.2);
        *z += s_eff;
        self.source.push(s.to_string());

        let free = level == "st" && self.rng.gen::<f64>() < 0.7 || self.rng.gen::<f64>() < 0.25;
        let domain = if free {
            FREE_MAIL[self.rng.gen_range(0..FREE_MAIL.len())].to_string()
        } else if level == "st" {
            format!("uni{}.edu", self.rng.gen_range(1..200))
        } else {
            format!("company{}.com", self.rng.gen_range(1..5000))
        };
        if free {
            *z -= 0.6;
        }
        self.email.push(format!("contact{}@{domain}", i + 1));

        level
    }

    /// The activity counts (visits, pricing and careers page views, e-mail opens and
    /// clicks, webinars, downloads, a demo request), their effects added to `z`.
    fn activity(&mut self, engagement: f64, level: &str, prod: &str, z: &mut f64) -> Counts {
        let v = poisson(&mut self.rng, (1.3 + 0.6 * engagement).exp());
        let pv = poisson(&mut self.rng, (-0.9 + 0.8 * engagement).exp());
        let cv = poisson(&mut self.rng, if level == "st" { 0.8 } else { 0.15 });
        let eo = poisson(&mut self.rng, (1.5 + 0.4 * engagement).exp());
        let ec = poisson(&mut self.rng, (0.2 + 0.5 * engagement).exp() * 0.5);
        let wb = poisson(&mut self.rng, (-1.5 + 0.5 * engagement).exp());
        let dl = poisson(&mut self.rng, (-0.5 + 0.4 * engagement).exp());
        let dm = self.rng.gen::<f64>() < 1.0 / (1.0 + (-(-2.8 + 0.9 * engagement)).exp());
        *z += 0.3 * (v as f64).ln_1p();
        *z += if prod == "analytics" { 0.8 } else { 0.45 } * (pv.min(6) as f64);
        *z += if prod == "analytics" { 0.3 } else { -0.5 } * cv as f64;
        *z += 0.15 * (ec.min(8) as f64);
        *z += 0.35 * wb.min(3) as f64;
        *z += 0.08 * dl.min(5) as f64;
        if dm {
            *z += if prod == "analytics" { 0.3 } else { 1.6 };
        }
        self.visits.push(v as i64);
        self.pricing.push(pv as i64);
        self.careers.push(cv as i64);
        self.opens.push(eo as i64);
        self.clicks.push(ec.min(eo) as i64);
        self.webinars.push(wb as i64);
        self.downloads.push(dl as i64);
        self.demo.push(if dm { "yes" } else { "no" }.to_string());

        Counts { v, pv, cv, eo, ec, wb, dl, dm }
    }

    /// Contact `i`'s activity log: each count as events since creation (the last
    /// activity the latest), and the events after the close that a careless pipeline
    /// would see.
    fn events(
        &mut self,
        i: usize,
        counts: Counts,
        (cdate, ldate, close): (NaiveDate, NaiveDate, NaiveDate),
        won: bool,
    ) {
        let Counts { v, pv, cv, eo, ec, wb, dl, dm } = counts;
        let id = format!("L{:07}", i + 1);
        let span = (ldate - cdate).num_days().max(0);
        let extra = if self.params.extra_events > 0.0 { poisson(&mut self.erng, self.params.extra_events) } else { 0 };
        let kinds: [(&'static str, u32); 9] = [
            ("page_view", v),
            ("pricing_page", pv),
            ("careers_page", cv),
            ("email_open", eo),
            ("email_click", ec.min(eo)),
            ("webinar", wb),
            ("download", dl),
            ("demo_request", dm as u32),
            ("page_view", extra),
        ];
        let mut first = true;
        for (kind, count) in kinds {
            for _ in 0..count {
                // The last activity is the latest event; the others fall since creation.
                let day = if first { ldate } else { cdate + Duration::days(self.erng.gen_range(0..=span)) };
                first = false;
                self.ev_contact.push(id.clone());
                self.ev_type.push(kind);
                self.ev_time.push(stamp(&mut self.erng, day));
            }
        }
        // What follows the decision must not be used (a careless pipeline would see
        // customers logging in to the self.product).
        self.closed.push(close.format("%Y-%m-%d").to_string());
        let after = (self.params.as_of - close).num_days();
        if after > 0 {
            let leaks: &[(&'static str, u32)] = if won {
                &[("product_login", self.erng.gen_range(3..=12)), ("pricing_page", self.erng.gen_range(0..=2))]
            } else {
                &[("email_open", self.erng.gen_range(0..=2))]
            };
            for &(kind, count) in leaks {
                for _ in 0..count {
                    let day = close + Duration::days(self.erng.gen_range(1..=after));
                    self.ev_contact.push(id.clone());
                    self.ev_type.push(kind);
                    self.ev_time.push(stamp(&mut self.erng, day));
                }
            }
        }
    }

    /// The tables: the contacts (with noise columns and the outcome as asked) and the log.
    fn finish(self) -> Result<(DataFrame, Option<DataFrame>)> {
        let n = self.params.rows;
        let params = self.params;
        let mut cols = vec![
            Column::new("lead_id".into(), self.id),
            Column::new("job_title".into(), self.title),
            Column::new("industry".into(), self.industry),
            Column::new("employees".into(), self.employees),
            Column::new("country".into(), self.country),
            Column::new("lead_source".into(), self.source),
            Column::new("email".into(), self.email),
            Column::new("website_visits".into(), self.visits),
            Column::new("pricing_page_views".into(), self.pricing),
            Column::new("careers_page_views".into(), self.careers),
            Column::new("email_opens".into(), self.opens),
            Column::new("email_clicks".into(), self.clicks),
            Column::new("webinars_attended".into(), self.webinars),
            Column::new("content_downloads".into(), self.downloads),
            Column::new("demo_requested".into(), self.demo),
            Column::new("created_date".into(), self.created),
            Column::new("last_activity_date".into(), self.last_activity),
        ];
        if params.events {
            cols.push(Column::new("closed_date".into(), self.closed));
        }
        if params.products {
            cols.push(Column::new("product".into(), self.product));
        }
        cols.extend(noise_columns(params, n));
        if params.outcome {
            cols.push(Column::new("outcome".into(), self.outcome));
        }
        let contacts =
            DataFrame::new(n, cols).map_err(|e| Error::Internal(format!("building the synthetic table: {e}")))?;
        let events = if params.events {
            let m = self.ev_contact.len();
            Some(
                DataFrame::new(
                    m,
                    vec![
                        Column::new("contact_id".into(), self.ev_contact),
                        Column::new("event_type".into(), self.ev_type),
                        Column::new("timestamp".into(), self.ev_time),
                    ],
                )
                .map_err(|e| Error::Internal(format!("building the synthetic log: {e}")))?,
            )
        } else {
            None
        };
        Ok((contacts, events))
    }
}

/// One contact's activity counts.
#[derive(Clone, Copy)]
struct Counts {
    v: u32,
    pv: u32,
    cv: u32,
    eo: u32,
    ec: u32,
    wb: u32,
    dl: u32,
    dm: bool,
}

/// A column of a synthetic table as text, as written (`what` names the table in the
/// error when the column is not there).
pub(crate) fn text_column(df: &DataFrame, name: &str, what: &str) -> Result<Vec<Option<String>>> {
    let c = df
        .column(name)
        .map_err(|_| Error::usage(what, format!("has no column {name:?}")))?
        .cast(&DataType::String)
        .map_err(|e| Error::Internal(format!("{what}: {e}")))?;
    let s = c.str().map_err(|e| Error::Internal(format!("{what}: {e}")))?;
    Ok(s.iter().map(|v| v.map(str::to_string)).collect())
}

/// The generating model's own terms of a synthetic contacts file without products (the
/// crm profile), computed from what the file shows, for measuring a fitted model
/// against a correctly specified one (issue 18): each effect as the generator adds it
/// (title seniority, industry, country, source and e-mail effects; log10 company size
/// and its square, the inverted U; log1p visits; page views, clicks, webinars and
/// downloads capped as generated; the demo request), a missing flag where the file
/// hides a value (the effect is then 0, company size its generating mean), and recency
/// as days since the last activity capped at 240 (the generator's 180 days of quiet
/// before a close date the file does not show, plus 60 on average). Returns the term
/// names and one column per term.
pub fn generating_terms(df: &DataFrame, as_of: NaiveDate) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        let v = text_column(df, name, "synthetic file")?;
        Ok(v.into_iter().map(|v| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())).collect())
    };
    let num = |v: &Option<String>| v.as_deref().and_then(|s| s.parse::<f64>().ok());
    let n = df.height();
    let mut names: Vec<String> = Vec::new();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let mut push = |name: &str, v: Vec<f64>| {
        names.push(name.to_string());
        cols.push(v);
    };
    let title = text("job_title")?;
    let level_effect = |t: &str| match TITLES.iter().find(|x| x.0 == t).map(|x| x.1) {
        Some("c") => 0.9,
        Some("vp") => 0.8,
        Some("dir") => 0.6,
        Some("mgr") => 0.3,
        Some("st") => -2.0,
        _ => 0.0,
    };
    push("title_effect", title.iter().map(|t| t.as_deref().map_or(0.0, level_effect)).collect());
    push("title_missing", title.iter().map(|t| t.is_none() as u8 as f64).collect());
    let industry = text("industry")?;
    let ind = |t: &str| INDUSTRIES.iter().find(|x| x.0.eq_ignore_ascii_case(t)).map(|x| x.1);
    push("industry_effect", industry.iter().map(|t| t.as_deref().and_then(ind).unwrap_or(0.0)).collect());
    push("industry_missing", industry.iter().map(|t| t.as_deref().and_then(ind).is_none() as u8 as f64).collect());
    let emp = text("employees")?;
    let l10: Vec<Option<f64>> = emp.iter().map(|v| num(v).map(|e| e.max(1.0).log10())).collect();
    let mean = 4.5 / std::f64::consts::LN_10;
    push("log10_employees", l10.iter().map(|v| v.unwrap_or(mean)).collect());
    push("log10_employees_squared", l10.iter().map(|v| (v.unwrap_or(mean) - 2.5).powi(2)).collect());
    push("employees_missing", l10.iter().map(|v| v.is_none() as u8 as f64).collect());
    let table_effect = |t: &Option<String>, table: &[(&str, f64, f64)]| {
        t.as_deref().and_then(|t| table.iter().find(|x| x.0 == t)).map_or(0.0, |x| x.1)
    };
    push("country_effect", text("country")?.iter().map(|t| table_effect(t, COUNTRIES)).collect());
    push("source_effect", text("lead_source")?.iter().map(|t| table_effect(t, SOURCES)).collect());
    let free = |e: &Option<String>| {
        e.as_deref().and_then(|e| e.rsplit_once('@')).is_some_and(|(_, d)| FREE_MAIL.contains(&d)) as u8 as f64
    };
    push("free_mail", text("email")?.iter().map(free).collect());
    let count = |name: &str, f: &dyn Fn(f64) -> f64| -> Result<Vec<f64>> {
        Ok(text(name)?.iter().map(|v| f(num(v).unwrap_or(0.0))).collect())
    };
    push("log1p_visits", count("website_visits", &|v| v.ln_1p())?);
    push("pricing_views_capped", count("pricing_page_views", &|v| v.min(6.0))?);
    push("careers_views", count("careers_page_views", &|v| v)?);
    push("email_clicks_capped", count("email_clicks", &|v| v.min(8.0))?);
    push("webinars_capped", count("webinars_attended", &|v| v.min(3.0))?);
    push("downloads_capped", count("content_downloads", &|v| v.min(5.0))?);
    push(
        "demo_requested",
        text("demo_requested")?.iter().map(|v| (v.as_deref() == Some("yes")) as u8 as f64).collect(),
    );
    let days: Vec<f64> = text("last_activity_date")?
        .iter()
        .map(|v| {
            v.as_deref()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .map_or(0.0, |d| ((as_of - d).num_days() as f64).clamp(0.0, 240.0))
        })
        .collect();
    push("days_quiet_capped", days);
    debug_assert!(cols.iter().all(|c| c.len() == n));
    Ok((names, cols))
}
