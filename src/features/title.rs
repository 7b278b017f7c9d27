//! The job-title role: a title becomes two level parts, seniority and function, from the
//! keyword tables in [`crate::keywords`] (English, Nordic and German titles). A text
//! column is a title column when its name says so ([`is_title_column`]) or its values do
//! ([`looks_like_titles`]).

use super::kind::{CatKind, Kind, PartSpec, Role};
use crate::keywords::{DEFAULT_FUNCTION, DEFAULT_SENIORITY, FUNCTIONS, SENIORITY, TITLE_COLUMN_WORDS};

pub(crate) struct Title;

impl Kind for Title {
    fn role(&self) -> Role {
        Role::Title
    }
    fn parts(&self, column: &str, _format: Option<crate::format::ColumnFormat>) -> Vec<PartSpec> {
        vec![
            PartSpec::Levels(CatKind::TitleSeniority, format!("{column} seniority")),
            PartSpec::Levels(CatKind::TitleFunction, format!("{column} function")),
        ]
    }
}

/// Is a column with this name a job-title column? (The inference evidence.)
pub(crate) fn is_title_column(name: &str) -> bool {
    let lname = name.to_lowercase();
    TITLE_COLUMN_WORDS.iter().any(|k| lname.contains(k))
}

/// Do these cells read as job titles? (The inference evidence beside the column name.)
/// `cells` are distinct cleaned values with their counts, in order of first row; the first
/// 2,000 are read. Titles when at least 5 distinct values, 60% of the cells read carry a
/// seniority or function keyword, and 25% a seniority keyword.
pub(crate) fn looks_like_titles<'a>(cells: impl Iterator<Item = (&'a str, usize)>) -> bool {
    let read: Vec<(&str, usize)> = cells.take(2000).collect();
    let all: usize = read.iter().map(|c| c.1).sum();
    if read.len() < 5 {
        return false;
    }
    let (mut any, mut senior, mut rest) = (0usize, 0usize, all);
    for (s, count) in read {
        let sen = seniority(s) != DEFAULT_SENIORITY;
        if sen || function(s) != DEFAULT_FUNCTION {
            any += count;
        }
        senior += sen as usize * count;
        rest -= count;
        // The same verdict, sooner: stop once the cells left cannot lift either share
        // to its bar (a wide export's columns of notes and numbers fail in a few cells).
        if ((any + rest) as f64) < 0.6 * all as f64 || ((senior + rest) as f64) < 0.25 * all as f64 {
            return false;
        }
    }
    any as f64 >= 0.6 * all as f64 && senior as f64 >= 0.25 * all as f64
}

fn words(title: &str) -> Vec<String> {
    title.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// How a keyword of [`SENIORITY`] or [`FUNCTIONS`] matches a title: a key with a space
/// or a dot is a phrase; `-chef` ends a word (chef, salgschef), `salg-` starts one (salg,
/// salgschef, salgsdirektør); any other key is a whole word. The one reading of the
/// tables' key syntax, for the Rust matcher, the rules patterns and the SQL.
enum Key<'k> {
    Phrase(&'k str),
    WordEnd(&'k str),
    WordStart(&'k str),
    Word(&'k str),
}

fn key(k: &str) -> Key<'_> {
    if k.contains(' ') || k.contains('.') {
        Key::Phrase(k)
    } else if let Some(end) = k.strip_prefix('-') {
        Key::WordEnd(end)
    } else if let Some(start) = k.strip_suffix('-') {
        Key::WordStart(start)
    } else {
        Key::Word(k)
    }
}

/// Does a title (its lower-case text and words) hold one of `keys`?
fn has_any(words: &[String], lower: &str, keys: &[&str]) -> bool {
    keys.iter().any(|k| match key(k) {
        Key::Phrase(p) => lower.contains(p),
        Key::WordEnd(end) => words.iter().any(|w| w.ends_with(end)),
        Key::WordStart(start) => words.iter().any(|w| w.starts_with(start)),
        Key::Word(k) => words.iter().any(|w| w == k),
    })
}

fn first_match(title: &str, table: &[(&'static str, &[&str])], default: &'static str) -> &'static str {
    let lower = title.to_lowercase();
    let w = words(title);
    table.iter().find(|(_, keys)| has_any(&w, &lower, keys)).map(|(name, _)| *name).unwrap_or(default)
}

/// Seniority of a job title, from [`SENIORITY`].
pub fn seniority(title: &str) -> &'static str {
    first_match(title, SENIORITY, DEFAULT_SENIORITY)
}

/// Business function of a job title, from [`FUNCTIONS`].
pub fn function(title: &str) -> &'static str {
    first_match(title, FUNCTIONS, DEFAULT_FUNCTION)
}

/// The rules-file condition for a seniority or function level: its keywords as a
/// whole-word pattern.
pub(crate) fn rule_condition(table: &[(&str, &[&str])], level: &str) -> Option<String> {
    let (_, keys) = table.iter().find(|(n, _)| *n == level)?;
    let alts: Vec<String> = keys
        .iter()
        .map(|k| match key(k) {
            Key::WordEnd(end) => format!(r"\w*{}", regex::escape(end)),
            Key::WordStart(start) => format!(r"{}\w*", regex::escape(start)),
            Key::Phrase(k) | Key::Word(k) => regex::escape(k),
        })
        .collect();
    let pattern = format!(r"\b({})\b", alts.join("|"));
    Some(format!("matches = {}", toml::Value::String(pattern)))
}

/// The SQL class of a cleaned text cell in `table` (first match, else `default`), as
/// [`seniority`] and [`function`] read it: a phrase key (with a space or a dot) anywhere
/// in the lower-cased title, `-end` at the end of a word, `start-` at its start, any
/// other key a whole word.
pub(crate) fn sql_class(
    cell: &str,
    table: &[(&'static str, &[&str])],
    default: &str,
    d: crate::dialect::sql::Dialect,
) -> String {
    let lower = format!("LOWER({cell})");
    let na = d.not_alnum_class();
    // One regular expression per level (engines cache a few dozen compiled patterns;
    // PostgreSQL recompiles past 32), phrases by position.
    let level_test = |keys: &[&str]| -> String {
        let (mut words, mut ends, mut starts, mut phrases) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for k in keys {
            match key(k) {
                Key::Phrase(p) => phrases.push(format!("{} > 0", d.strpos(&lower, &d.string(p)))),
                Key::WordEnd(end) => ends.push(regex::escape(end)),
                Key::WordStart(start) => starts.push(regex::escape(start)),
                Key::Word(w) => words.push(regex::escape(w)),
            }
        }
        let mut alts = Vec::new();
        if !words.is_empty() {
            alts.push(format!("(^|{na})({})({na}|$)", words.join("|")));
        }
        if !ends.is_empty() {
            alts.push(format!("({})({na}|$)", ends.join("|")));
        }
        if !starts.is_empty() {
            alts.push(format!("(^|{na})({})", starts.join("|")));
        }
        let mut tests = phrases;
        if !alts.is_empty() {
            tests.insert(0, d.matches(&lower, &alts.join("|")));
        }
        if tests.is_empty() {
            "FALSE".to_string()
        } else {
            tests.join(" OR ")
        }
    };
    let mut out = String::from("CASE");
    for (name, keys) in table {
        out.push_str(&format!(" WHEN {} THEN {}", level_test(keys), d.string(name)));
    }
    out.push_str(&format!(" ELSE {} END", d.string(default)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seniority_reads_common_titles() {
        assert_eq!(seniority("VP of Sales"), "vp");
        assert_eq!(seniority("Vice President, Marketing"), "vp");
        assert_eq!(seniority("Chief Technology Officer"), "c-level");
        assert_eq!(seniority("Head of Growth"), "director");
        assert_eq!(seniority("Marketing Intern"), "student/intern");
        assert_eq!(seniority("Senior Software Engineer"), "individual contributor");
        assert_eq!(seniority("IT Manager"), "manager");
    }

    #[test]
    fn nordic_and_german_titles() {
        assert_eq!(seniority("Adm. direktør"), "c-level");
        assert_eq!(seniority("Daglig leder"), "c-level");
        assert_eq!(seniority("VD"), "c-level");
        assert_eq!(seniority("Geschäftsführer"), "c-level");
        assert_eq!(seniority("Salgschef"), "director");
        assert_eq!(seniority("Leiter Vertrieb"), "director");
        assert_eq!(seniority("Projektleder"), "manager");
        assert_eq!(seniority("Praktikant"), "student/intern");
        assert_eq!(function("Salgschef"), "sales");
        assert_eq!(function("Økonomichef"), "finance");
        assert_eq!(function("Leiter Vertrieb"), "sales");
        assert_eq!(function("Adm. direktør"), "executive");
        assert_eq!(function("Softwareudvikler"), "engineering/it");
        // A word is not a compound of itself plus nothing.
        assert_eq!(seniority("Leader"), "individual contributor");
    }

    #[test]
    fn titles_are_recognised_by_content() {
        let t = ["Salgschef", "Adm. direktør", "Marketingkoordinator", "Økonomichef", "Projektleder", "Sælger"];
        assert!(looks_like_titles(t.iter().map(|s| (*s, 10))));
        let industries = ["Retail", "Healthcare", "Manufacturing", "Software", "Finance", "Education"];
        assert!(!looks_like_titles(industries.iter().map(|s| (*s, 10))));
    }

    #[test]
    fn function_reads_common_titles() {
        assert_eq!(function("VP of Sales"), "sales");
        assert_eq!(function("Head of IT"), "engineering/it");
        assert_eq!(function("CFO"), "finance");
    }
}
