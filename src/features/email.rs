//! The e-mail role: an address becomes its kind (free-mail, company, education,
//! invalid), never the address itself, in features and in reasons alike. The free-mail
//! domains are in [`crate::keywords`].

use super::kind::{CatKind, Kind, PartSpec, Role};
use crate::keywords::FREE_MAIL;

pub(crate) struct Email;

impl Kind for Email {
    fn role(&self) -> Role {
        Role::Email
    }
    fn parts(&self, column: &str, _format: Option<crate::format::ColumnFormat>) -> Vec<PartSpec> {
        vec![PartSpec::Levels(CatKind::EmailKind, format!("{column} kind"))]
    }
    fn reason_value<'a>(&self, cell: &'a str) -> &'a str {
        kind(cell)
    }
    fn sql_reason_value(&self, cell: &str, d: crate::dialect::sql::Dialect) -> String {
        sql_kind(cell, d)
    }
}

/// Does the cell look like an e-mail address? (The inference evidence for this role.)
pub fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, domain)) => !user.is_empty() && domain.contains('.') && !domain.contains('@'),
        None => false,
    }
}

/// The kind of an e-mail address: `free-mail`, `education`, `company` or `invalid`.
pub fn kind(s: &str) -> &'static str {
    if !looks_like_email(s) {
        return "invalid";
    }
    // Compared case-insensitively in place (no lower-cased copy per address).
    let domain = s.rsplit('@').next().unwrap_or("").as_bytes();
    let has = |needle: &[u8]| domain.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle));
    if FREE_MAIL.iter().any(|f| f.as_bytes().eq_ignore_ascii_case(domain)) {
        "free-mail"
    } else if domain.len() >= 4 && domain[domain.len() - 4..].eq_ignore_ascii_case(b".edu")
        || has(b".edu.")
        || has(b".ac.")
    {
        "education"
    } else {
        "company"
    }
}

/// The rules-file condition for an e-mail kind (none for `company`, the reference).
pub(crate) fn rule_condition(level: &str) -> Option<String> {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    match level {
        "free-mail" => {
            let doms: Vec<String> = FREE_MAIL.iter().map(|d| regex::escape(d)).collect();
            Some(format!("matches = {}", q(&format!("@({})$", doms.join("|")))))
        }
        "education" => Some(format!("matches = {}", q(r"@[^@]*(\.edu$|\.edu\.|\.ac\.)"))),
        "invalid" => Some(format!("matches = {}", q("^[^@]*$"))),
        _ => None,
    }
}

/// The SQL kind of a cleaned text cell, as [`kind`] reads it.
pub(crate) fn sql_kind(cell: &str, d: crate::dialect::sql::Dialect) -> String {
    let looks = d.matches(cell, r"^[^@]+@[^@]*\.[^@]*$");
    let domain = format!("LOWER(SUBSTR({cell}, {} + 1))", d.strpos(cell, "'@'"));
    let free: Vec<String> = FREE_MAIL.iter().map(|f| d.string(&f.to_ascii_lowercase())).collect();
    format!(
        "CASE WHEN NOT {looks} THEN 'invalid' WHEN {domain} IN ({}) THEN 'free-mail' \
         WHEN {domain} LIKE '%.edu' OR {} > 0 OR {} > 0 \
         THEN 'education' ELSE 'company' END",
        free.join(", "),
        d.strpos(&domain, "'.edu.'"),
        d.strpos(&domain, "'.ac.'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_kinds() {
        assert_eq!(kind("a@gmail.com"), "free-mail");
        assert_eq!(kind("a@acme.io"), "company");
        assert_eq!(kind("a@mit.edu"), "education");
        assert_eq!(kind("nope"), "invalid");
        assert_eq!(kind("A@GMail.COM"), "free-mail");
        assert_eq!(kind("a@Cs.Ox.AC.uk"), "education");
        assert_eq!(kind("a@uni.EDU.au"), "education");
        assert_eq!(kind("a@x.EDU"), "education");
    }
}
