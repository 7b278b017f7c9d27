//! The job-title role: a title becomes two level parts, seniority and function, from the
//! keyword tables in [`super::keywords`]. A text column is a title column when its name
//! says so ([`is_title_column`]).

use super::keywords::{DEFAULT_FUNCTION, DEFAULT_SENIORITY, FUNCTIONS, SENIORITY, TITLE_COLUMN_WORDS};
use super::part::CatKind;
use super::{Kind, PartSpec, Role};

pub(crate) struct Title;

impl Kind for Title {
    fn role(&self) -> Role {
        Role::Title
    }
    fn parts(&self, column: &str) -> Vec<PartSpec> {
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

fn words(title: &str) -> Vec<String> {
    title.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

fn has_any(words: &[String], lower: &str, keys: &[&str]) -> bool {
    keys.iter().any(|k| if k.contains(' ') { lower.contains(k) } else { words.iter().any(|w| w == k) })
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
    let alts: Vec<String> = keys.iter().map(|k| regex::escape(k)).collect();
    let pattern = format!(r"\b({})\b", alts.join("|"));
    Some(format!("matches = {}", toml::Value::String(pattern)))
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
    fn function_reads_common_titles() {
        assert_eq!(function("VP of Sales"), "sales");
        assert_eq!(function("Head of IT"), "engineering/it");
        assert_eq!(function("CFO"), "finance");
    }
}
