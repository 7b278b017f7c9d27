//! Keyword tables: the words that mean "not filled in", yes and no, free-mail domains,
//! and the job-title words behind seniority and function.
//!
//! Data, not code: the cell readers ([`crate::cell`]) and the e-mail and title parts
//! ([`crate::features::email`], [`crate::features::title`]) read these tables, and `rules suggest` turns the
//! title tables into patterns. Extend a table here and every part that uses it follows.

/// Cell texts that mean "not filled in" (compared after trimming, ignoring case): English,
/// then Danish, Norwegian, Swedish, German, French and Spanish picklist defaults.
pub const PLACEHOLDERS: &[&str] = &[
    "",
    "select",
    "unknown",
    "n/a",
    "na",
    "null",
    "none",
    "-",
    "?",
    "(blank)", // English
    "vælg",
    "ukendt",
    "ingen", // Danish
    "velg",
    "ukjent", // Norwegian
    "välj",
    "okänd",
    "okänt", // Swedish
    "auswählen",
    "bitte wählen",
    "unbekannt",
    "keine angabe", // German
    "sélectionner",
    "inconnu",
    "non renseigné", // French
    "seleccionar",
    "desconocido", // Spanish
];

/// Cell texts read as yes (1) in a flag column, ignoring case: English, then ja (Danish,
/// Norwegian, Swedish, German), oui, sí.
pub const YES: &[&str] = &["yes", "true", "y", "t", "1", "1.0", "ja", "sand", "oui", "vrai", "sí", "si", "wahr"];
/// Cell texts read as no (0) in a flag column, ignoring case: English, then nej (Danish,
/// Swedish), nei (Norwegian), nein, non, falsk, faux, falso.
pub const NO: &[&str] =
    &["no", "false", "n", "f", "0", "0.0", "nej", "nei", "nein", "non", "falsk", "usann", "faux", "falso"];

/// Label values that mean won, ignoring case: English, then Danish, Norwegian, Swedish,
/// German, French and Spanish.
pub const WON: &[&str] = &[
    "1",
    "1.0",
    "true",
    "yes",
    "y",
    "won",
    "closed won",
    "converted",
    "win", // English
    "vundet",
    "ja",     // Danish
    "vunnet", // Norwegian
    "vunnen",
    "vunnet affär", // Swedish
    "gewonnen",     // German
    "gagné",
    "gagnée", // French
    "ganado",
    "ganada", // Spanish
];

/// Label values that mean lost, ignoring case (the other value is then won).
pub const LOST: &[&str] = &[
    "0",
    "0.0",
    "false",
    "no",
    "n",
    "lost",
    "closed lost",
    "not converted",
    "loss", // English
    "tabt",
    "nej", // Danish
    "tapt",
    "nei", // Norwegian
    "förlorad",
    "förlorat", // Swedish
    "verloren", // German
    "perdu",
    "perdue", // French
    "perdido",
    "perdida", // Spanish
];

/// Is `s` one of `words`, ignoring case (ASCII directly; other letters by lower-casing
/// short cells only, since the words are short)?
pub fn is_one_of(words: &[&str], s: &str) -> bool {
    if words.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return true;
    }
    if s.is_ascii() || s.len() > 24 {
        return false;
    }
    let lower = s.to_lowercase();
    words.iter().any(|w| *w == lower)
}

/// For each byte, whether a cell starting with it can be one of `words` ignoring case:
/// the words' first bytes in both ASCII cases, and every non-ASCII byte (a lower-cased
/// non-ASCII letter may start a word).
pub const fn first_bytes(words: &[&str]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0x80;
    while b < 256 {
        t[b] = true;
        b += 1;
    }
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_bytes();
        if !w.is_empty() {
            t[w[0].to_ascii_lowercase() as usize] = true;
            t[w[0].to_ascii_uppercase() as usize] = true;
        }
        i += 1;
    }
    t
}

static PLACEHOLDER_FIRST: [bool; 256] = first_bytes(PLACEHOLDERS);

/// [`is_one_of`]`(PLACEHOLDERS, s)`, answered by the first byte for nearly every cell
/// (issue 26: comparing every cell with each placeholder was an eighth of scoring).
pub fn is_placeholder(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(&b) if !PLACEHOLDER_FIRST[b as usize] => false,
        Some(_) => is_one_of(PLACEHOLDERS, s),
    }
}

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

/// `&[BEFORE..., the managing-director titles of Denmark, Norway, Sweden and Germany,
/// AFTER...]`: the one list of them, read both as c-level seniority ([`SENIORITY`]) and
/// as the executive function ([`FUNCTIONS`]).
macro_rules! with_managing_directors {
    ([$($before:expr),* $(,)?], [$($after:expr),* $(,)?]) => {
        &[
            $($before,)*
            "adm. direktør",
            "adm direktør",
            "administrerende direktør",
            "daglig leder",
            "vd",
            "verkställande direktör",
            "geschäftsführer",
            "geschäftsführerin",
            $($after,)*
        ]
    };
}

/// Seniority levels and their keywords, most specific first: the first match wins, and a
/// title matching none is an "individual contributor". A keyword with a space is matched
/// as a phrase, others as whole words.
pub const SENIORITY: &[(&str, &[&str])] = &[
    (
        "student/intern",
        &[
            "student",
            "intern",
            "internship",
            "trainee",
            "graduate",
            "apprentice",
            "phd",
            "praktikant",
            "elev",
            "lærling",
            "studerende",
            "werkstudent",
            "auszubildender",
            "stagiaire",
            "becario",
        ],
    ),
    ("vp", &["vp", "svp", "evp", "avp", "vice president", "vicedirektør", "vice direktør", "vizepräsident"]),
    (
        "c-level",
        with_managing_directors!(
            [
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
            ["vorstand", "inhaber", "gründer", "ejer", "eier", "ägare", "grundlægger", "grunnlegger", "grundare",]
        ),
    ),
    (
        "director",
        &[
            "director",
            "head of",
            "head",
            "direktør",
            "direktör",
            "direktor",
            "chef",
            "-chef",
            "leiter",
            "-leiter",
            "leiterin",
            "-leiterin",
            "bereichsleiter",
        ],
    ),
    (
        "manager",
        &[
            "manager",
            "lead",
            "supervisor",
            "principal",
            "leder",
            "-leder",
            "ansvarlig",
            "-ansvarlig",
            "ansvarig",
            "-ansvarig",
            "koordinator",
            "teamleiter",
            "gruppenleiter",
        ],
    ),
];

/// The seniority of a title matching none of [`SENIORITY`].
pub const DEFAULT_SENIORITY: &str = "individual contributor";

/// Business functions and their keywords; the first match wins, else "other". Nordic and
/// German compounds match by their first part (`salg-`: salgschef, salgsdirektør).
pub const FUNCTIONS: &[(&str, &[&str])] = &[
    (
        "sales",
        &[
            "sales",
            "account executive",
            "business development",
            "bdr",
            "sdr",
            "revenue",
            "account manager",
            "cro",
            "salg-",
            "sælger",
            "selger",
            "säljare",
            "försäljning-",
            "vertrieb-",
            "verkauf-",
            "key account",
        ],
    ),
    (
        "marketing",
        &[
            "marketing",
            "growth",
            "brand",
            "content",
            "demand",
            "cmo",
            "seo",
            "communications",
            "marketing-",
            "markedsføring-",
            "marknad-",
            "kommunikation-",
        ],
    ),
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
            "udvikler",
            "utvikler",
            "utvecklare",
            "entwickler",
            "ingeniør",
            "ingenjör",
            "ingenieur",
            "-udvikler",
            "-utvikler",
            "-entwickler",
        ],
    ),
    (
        "finance",
        &[
            "finance",
            "financial",
            "cfo",
            "accounting",
            "accountant",
            "controller",
            "treasurer",
            "økonomi-",
            "ekonomi-",
            "finans-",
            "regnskab-",
            "regnskap-",
            "buchhalter",
            "finanz-",
        ],
    ),
    ("hr", &["hr", "human resources", "people", "talent", "recruiter", "recruiting", "personale-"]),
    (
        "operations",
        &[
            "operations",
            "coo",
            "ops",
            "procurement",
            "supply",
            "logistics",
            "drift-",
            "logistik-",
            "indkøb-",
            "innkjøp-",
            "inköp-",
            "einkauf-",
            "produktion-",
            "produksjon-",
        ],
    ),
    (
        "executive",
        with_managing_directors!(
            ["ceo", "founder", "cofounder", "owner", "president", "managing director", "general manager",],
            ["ejer", "eier", "ägare", "inhaber",]
        ),
    ),
    ("student", &["student", "intern", "trainee", "praktikant", "studerende", "werkstudent", "stagiaire"]),
];

/// The function of a title matching none of [`FUNCTIONS`].
pub const DEFAULT_FUNCTION: &str = "other";

/// CRM properties that are set while a deal is worked or once it is decided, by the names
/// exports give them (HubSpot's labels and internal names, Salesforce's field labels and
/// API names), each with why it gives the outcome away. Compared by [`name_key`]
/// (lowercase letters and digits only). A column with one of these names that carries
/// any signal gets a leakage warning with its strength, even when it leaks only in part.
pub const AFTER_THE_SALE: &[(&[&str], &str)] = &[
    (
        &["lifecyclestage"],
        "HubSpot moves Lifecycle Stage on to Opportunity and Customer as the deal advances and closes",
    ),
    (
        &["leadstatus", "hsleadstatus", "status"],
        "sales sets the lead status while working the lead: Open Deal, Unqualified, Closed - Converted",
    ),
    (
        &["becameacustomerdate", "hslifecyclestagecustomerdate"],
        "HubSpot fills it on the day the contact becomes a customer",
    ),
    (
        &["becameanopportunitydate", "hslifecyclestageopportunitydate"],
        "HubSpot fills it when a deal is opened for the contact",
    ),
    (
        &["becameasalesqualifiedleaddate", "hslifecyclestagesalesqualifiedleaddate"],
        "HubSpot fills it when sales accepts the lead, after the moment a score is for",
    ),
    (&["recentdealclosedate", "firstdealcreateddate"], "it exists only once a deal was opened or closed"),
    (&["recentdealamount", "totalrevenue", "amount"], "an amount is known once a deal is priced or won"),
    (&["numberofassociateddeals", "numassociateddeals"], "deals are associated as the lead turns into an opportunity"),
    (&["daystoclose"], "HubSpot counts it on the day the contact becomes a customer"),
    (&["isconverted", "converted"], "Salesforce sets it when the lead is converted: it is the outcome itself"),
    (&["converteddate"], "Salesforce fills it on the day the lead is converted"),
    (
        &["convertedaccountid", "convertedcontactid", "convertedopportunityid"],
        "Salesforce fills it when the lead is converted",
    ),
    (
        &["stagename", "dealstage", "stage", "closedate", "iswon", "isclosed"],
        "a deal's stage and close are the outcome",
    ),
];

/// A column name as [`AFTER_THE_SALE`] compares it: lowercase letters and digits only.
pub fn name_key(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Why a column named `name` is set during or after the sale, if its name says so.
pub fn after_the_sale(name: &str) -> Option<&'static str> {
    let key = name_key(name);
    AFTER_THE_SALE.iter().find(|(names, _)| names.iter().any(|n| name_key(n) == key)).map(|(_, why)| *why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_byte_test_answers_as_the_full_comparison() {
        let mut cells: Vec<String> = PLACEHOLDERS.iter().map(|w| w.to_string()).collect();
        cells.extend(PLACEHOLDERS.iter().map(|w| w.to_uppercase()));
        cells.extend(PLACEHOLDERS.iter().map(|w| format!("{w}x")));
        for c in ["", "0", "12", "Software", "N/A", "Ukendt", "VÆLG", "ÉTÉ", "Ñ", "(BLANK)", "-", "--", "?", "Ø", "yes"]
        {
            cells.push(c.to_string());
        }
        for c in &cells {
            assert_eq!(is_placeholder(c), is_one_of(PLACEHOLDERS, c), "{c:?}");
        }
        assert!(is_placeholder("Non Renseigné") && is_placeholder("") && !is_placeholder("250"));
    }

    #[test]
    fn crm_properties_set_after_the_sale_are_known_by_any_of_their_names() {
        for name in ["Lifecycle Stage", "lifecyclestage", "Became a Customer Date", "hs_lead_status", "IsConverted"] {
            assert!(after_the_sale(name).is_some(), "{name}");
        }
        for name in ["Job Title", "Create Date", "Number of Employees", "Original Source", "demo_requested"] {
            assert!(after_the_sale(name).is_none(), "{name}");
        }
    }
}
