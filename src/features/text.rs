//! Keyword tables and cell parsers for the feature pipeline.
//!
//! Everything that turns one raw CRM cell into a typed value lives here: placeholders
//! that mean "not filled in", numbers, yes/no flags, dates, e-mail domains and job
//! titles (seniority and function). The tables are data: extend them here and every
//! role that uses them follows.

use chrono::NaiveDate;

/// Cell texts that mean "not filled in" (compared after trimming, case-insensitively).
pub const PLACEHOLDERS: &[&str] = &["", "select", "unknown", "n/a", "na", "null", "none", "-", "?", "(blank)"];

/// Trim a cell and map placeholders to `None`.
pub fn clean(cell: Option<&str>) -> Option<&str> {
    let t = cell?.trim();
    if PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(t)) {
        None
    } else {
        Some(t)
    }
}

/// What a cleaned cell says when read as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumCell {
    Value(f64),
    /// NaN or infinity written out: a value the model cannot use.
    NonFinite,
    NotANumber,
}

/// Parse a cleaned cell as a number (`1`, `-2.5`, `3e4`).
pub fn parse_number(s: &str) -> NumCell {
    // Whole numbers of up to 15 digits, the common case, without the float parser (the
    // same value: every such number is exact in an f64).
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        return NumCell::Value(b.iter().fold(0u64, |a, &d| a * 10 + (d - b'0') as u64) as f64);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => NumCell::Value(v),
        Ok(_) => NumCell::NonFinite,
        Err(_) => NumCell::NotANumber,
    }
}

/// Read a yes/no cell: yes, no, true, false, y, n, t, f, 1, 0.
pub fn parse_flag(s: &str) -> Option<f64> {
    const YES: &[&str] = &["yes", "true", "y", "t", "1", "1.0"];
    const NO: &[&str] = &["no", "false", "n", "f", "0", "0.0"];
    if YES.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(1.0)
    } else if NO.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Some(0.0)
    } else {
        None
    }
}

/// Parse a date `YYYY-MM-DD` or `YYYY/MM/DD`, optionally followed by a time after a space or `T`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() < 10 || !s.is_char_boundary(10) {
        return None;
    }
    let (day, rest) = s.split_at(10);
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('T')) {
        return None;
    }
    // FromStr reads ISO dates without re-reading a format string for every cell.
    day.parse::<NaiveDate>()
        .or_else(|_| NaiveDate::parse_from_str(day, "%Y/%m/%d"))
        .ok()
}

/// [`parse_date`] as a day number ([`day_number`]), with `YYYY-MM-DD` read directly (the
/// common case; the same dates and the same refusals as chrono's parser).
pub fn parse_day(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let digits = |r: std::ops::Range<usize>| {
            b[r].iter().try_fold(0u32, |a, &d| d.is_ascii_digit().then(|| a * 10 + (d - b'0') as u32))
        };
        if let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) {
            return NaiveDate::from_ymd_opt(y as i32, m, d).map(day_number);
        }
    }
    parse_date(s).map(day_number)
}

/// Days from the common era, the integer form dates take inside the pipeline.
pub fn day_number(d: NaiveDate) -> i64 {
    use chrono::Datelike;
    d.num_days_from_ce() as i64
}

pub fn from_day_number(n: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(n).ok()?)
}

/// Does the cell look like an e-mail address?
pub fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, domain)) => !user.is_empty() && domain.contains('.') && !domain.contains('@'),
        None => false,
    }
}

const FREE_MAIL: &[&str] = &[
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.co.in", "ymail.com",
    "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "mail.com", "gmx.com", "gmx.de", "gmx.net", "web.de",
    "protonmail.com", "proton.me", "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com",
    "126.com", "rediffmail.com", "zoho.com", "fastmail.com", "hey.com", "libero.it", "orange.fr",
    "free.fr", "laposte.net", "t-online.de", "btinternet.com", "comcast.net", "verizon.net",
];

/// The kind of an e-mail address: `free-mail`, `education`, `company` or `invalid`.
/// Raw addresses are never used as features.
pub fn email_kind(s: &str) -> &'static str {
    if !looks_like_email(s) {
        return "invalid";
    }
    // Compared case-insensitively in place (no lower-cased copy per address).
    let domain = s.rsplit('@').next().unwrap_or("").as_bytes();
    let has = |needle: &[u8]| domain.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle));
    if FREE_MAIL.iter().any(|f| f.as_bytes().eq_ignore_ascii_case(domain)) {
        "free-mail"
    } else if domain.len() >= 4 && domain[domain.len() - 4..].eq_ignore_ascii_case(b".edu") || has(b".edu.") || has(b".ac.") {
        "education"
    } else {
        "company"
    }
}

fn words(title: &str) -> Vec<String> {
    title
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn has_any(words: &[String], lower: &str, keys: &[&str]) -> bool {
    keys.iter().any(|k| {
        if k.contains(' ') {
            lower.contains(k)
        } else {
            words.iter().any(|w| w == k)
        }
    })
}

/// Seniority levels and their keywords, most specific first: the first match wins, and a
/// title matching none is an "individual contributor". A keyword with a space is matched
/// as a phrase, others as whole words.
pub const SENIORITY: &[(&str, &[&str])] = &[
    ("student/intern", &["student", "intern", "internship", "trainee", "graduate", "apprentice", "phd"]),
    ("vp", &["vp", "svp", "evp", "avp", "vice president"]),
    (
        "c-level",
        &["chief", "ceo", "cto", "cfo", "coo", "cmo", "cio", "cro", "founder", "cofounder", "co founder", "owner", "president", "partner", "managing director"],
    ),
    ("director", &["director", "head of", "head"]),
    ("manager", &["manager", "lead", "supervisor", "principal"]),
];

/// The seniority of a title matching none of [`SENIORITY`].
pub const DEFAULT_SENIORITY: &str = "individual contributor";

/// Business functions and their keywords; the first match wins, else "other".
pub const FUNCTIONS: &[(&str, &[&str])] = &[
    ("sales", &["sales", "account executive", "business development", "bdr", "sdr", "revenue", "account manager", "cro"]),
    ("marketing", &["marketing", "growth", "brand", "content", "demand", "cmo", "seo", "communications"]),
    ("engineering/it", &["engineer", "engineering", "developer", "software", "it", "technology", "cto", "cio", "data", "devops", "architect", "technical", "security"]),
    ("finance", &["finance", "financial", "cfo", "accounting", "accountant", "controller", "treasurer"]),
    ("hr", &["hr", "human resources", "people", "talent", "recruiter", "recruiting"]),
    ("operations", &["operations", "coo", "ops", "procurement", "supply", "logistics"]),
    ("executive", &["ceo", "founder", "cofounder", "owner", "president", "managing director", "general manager"]),
    ("student", &["student", "intern", "trainee"]),
];

pub const DEFAULT_FUNCTION: &str = "other";

fn first_match(title: &str, table: &[(&'static str, &[&str])], default: &'static str) -> &'static str {
    let lower = title.to_lowercase();
    let w = words(title);
    table
        .iter()
        .find(|(_, keys)| has_any(&w, &lower, keys))
        .map(|(name, _)| *name)
        .unwrap_or(default)
}

/// Seniority of a job title, from [`SENIORITY`].
pub fn title_seniority(title: &str) -> &'static str {
    first_match(title, SENIORITY, DEFAULT_SENIORITY)
}

/// Business function of a job title, from [`FUNCTIONS`].
pub fn title_function(title: &str) -> &'static str {
    first_match(title, FUNCTIONS, DEFAULT_FUNCTION)
}

/// Free-mail domains, for rules that need them as a pattern.
pub fn free_mail_domains() -> &'static [&'static str] {
    FREE_MAIL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seniority_reads_common_titles() {
        assert_eq!(title_seniority("VP of Sales"), "vp");
        assert_eq!(title_seniority("Vice President, Marketing"), "vp");
        assert_eq!(title_seniority("Chief Technology Officer"), "c-level");
        assert_eq!(title_seniority("Head of Growth"), "director");
        assert_eq!(title_seniority("Marketing Intern"), "student/intern");
        assert_eq!(title_seniority("Senior Software Engineer"), "individual contributor");
        assert_eq!(title_seniority("IT Manager"), "manager");
    }

    #[test]
    fn function_reads_common_titles() {
        assert_eq!(title_function("VP of Sales"), "sales");
        assert_eq!(title_function("Head of IT"), "engineering/it");
        assert_eq!(title_function("CFO"), "finance");
    }

    #[test]
    fn email_kinds() {
        assert_eq!(email_kind("a@gmail.com"), "free-mail");
        assert_eq!(email_kind("a@acme.io"), "company");
        assert_eq!(email_kind("a@mit.edu"), "education");
        assert_eq!(email_kind("nope"), "invalid");
        assert_eq!(email_kind("A@GMail.COM"), "free-mail");
        assert_eq!(email_kind("a@Cs.Ox.AC.uk"), "education");
        assert_eq!(email_kind("a@uni.EDU.au"), "education");
        assert_eq!(email_kind("a@x.EDU"), "education");
    }

    #[test]
    fn placeholders_are_missing() {
        assert_eq!(clean(Some(" Select ")), None);
        assert_eq!(clean(Some("N/A")), None);
        assert_eq!(clean(Some(" x ")), Some("x"));
    }

    #[test]
    fn whole_numbers_read_as_the_float_parser_does() {
        for s in ["0", "7", "0012", "999999999999999", "123456789012345", "1234567890123456", "1.5", "-3", "1e3"] {
            assert_eq!(parse_number(s), NumCell::Value(s.parse::<f64>().unwrap()), "{s}");
        }
        assert_eq!(parse_number("inf"), NumCell::NonFinite);
        assert_eq!(parse_number("12a"), NumCell::NotANumber);
    }

    #[test]
    fn direct_day_parse_agrees_with_chrono() {
        for y in [0, 1, 99, 999, 1900, 1999, 2000, 2023, 2024, 2100, 9999] {
            for m in 0..=13 {
                for d in 0..=32 {
                    let s = format!("{y:04}-{m:02}-{d:02}");
                    assert_eq!(parse_day(&s), parse_date(&s).map(day_number), "{s}");
                }
            }
        }
        for s in ["2024-1-01", "2024-01-1 ", "2024/01/02", "2024-01-02T10:00", "+024-01-02", "2024-0a-02", "2024-01-02 x"] {
            assert_eq!(parse_day(s), parse_date(s).map(day_number), "{s}");
        }
    }

    #[test]
    fn dates_with_and_without_time() {
        assert!(parse_date("2024-03-01").is_some());
        assert!(parse_date("2024-03-01 10:00:00").is_some());
        assert!(parse_date("2024-03-01T10:00:00Z").is_some());
        assert!(parse_date("2024-02-30").is_none());
        assert!(parse_date("01/03/2024").is_none());
    }
}
