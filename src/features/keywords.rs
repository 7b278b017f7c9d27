//! Keyword tables: the words that mean "not filled in", yes and no, free-mail domains,
//! and the job-title words behind seniority and function.
//!
//! Data, not code: the cell readers ([`super::cell`]) and the e-mail and title parts
//! ([`super::email`], [`super::title`]) read these tables, and `rules suggest` turns the
//! title tables into patterns. Extend a table here and every part that uses it follows.

/// Cell texts that mean "not filled in" (compared after trimming, case-insensitively).
pub const PLACEHOLDERS: &[&str] = &["", "select", "unknown", "n/a", "na", "null", "none", "-", "?", "(blank)"];

/// Cell texts read as yes (1) in a flag column, case-insensitively.
pub const YES: &[&str] = &["yes", "true", "y", "t", "1", "1.0"];
/// Cell texts read as no (0) in a flag column, case-insensitively.
pub const NO: &[&str] = &["no", "false", "n", "f", "0", "0.0"];

/// Domains of free-mail providers: an address there is `free-mail`, not `company`.
pub const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.co.in",
    "ymail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "mail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "protonmail.com",
    "proton.me",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "126.com",
    "rediffmail.com",
    "zoho.com",
    "fastmail.com",
    "hey.com",
    "libero.it",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "t-online.de",
    "btinternet.com",
    "comcast.net",
    "verizon.net",
];

/// Words in a column name that make a text column a job-title column.
pub const TITLE_COLUMN_WORDS: &[&str] = &["title", "position", "designation"];

/// Seniority levels and their keywords, most specific first: the first match wins, and a
/// title matching none is an "individual contributor". A keyword with a space is matched
/// as a phrase, others as whole words.
pub const SENIORITY: &[(&str, &[&str])] = &[
    ("student/intern", &["student", "intern", "internship", "trainee", "graduate", "apprentice", "phd"]),
    ("vp", &["vp", "svp", "evp", "avp", "vice president"]),
    (
        "c-level",
        &[
            "chief",
            "ceo",
            "cto",
            "cfo",
            "coo",
            "cmo",
            "cio",
            "cro",
            "founder",
            "cofounder",
            "co founder",
            "owner",
            "president",
            "partner",
            "managing director",
        ],
    ),
    ("director", &["director", "head of", "head"]),
    ("manager", &["manager", "lead", "supervisor", "principal"]),
];

/// The seniority of a title matching none of [`SENIORITY`].
pub const DEFAULT_SENIORITY: &str = "individual contributor";

/// Business functions and their keywords; the first match wins, else "other".
pub const FUNCTIONS: &[(&str, &[&str])] = &[
    (
        "sales",
        &["sales", "account executive", "business development", "bdr", "sdr", "revenue", "account manager", "cro"],
    ),
    ("marketing", &["marketing", "growth", "brand", "content", "demand", "cmo", "seo", "communications"]),
    (
        "engineering/it",
        &[
            "engineer",
            "engineering",
            "developer",
            "software",
            "it",
            "technology",
            "cto",
            "cio",
            "data",
            "devops",
            "architect",
            "technical",
            "security",
        ],
    ),
    ("finance", &["finance", "financial", "cfo", "accounting", "accountant", "controller", "treasurer"]),
    ("hr", &["hr", "human resources", "people", "talent", "recruiter", "recruiting"]),
    ("operations", &["operations", "coo", "ops", "procurement", "supply", "logistics"]),
    ("executive", &["ceo", "founder", "cofounder", "owner", "president", "managing director", "general manager"]),
    ("student", &["student", "intern", "trainee"]),
];

/// The function of a title matching none of [`FUNCTIONS`].
pub const DEFAULT_FUNCTION: &str = "other";
