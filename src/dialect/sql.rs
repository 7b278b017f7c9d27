//! What differs between SQL engines: quoting identifiers, writing literals, regular
//! expressions, casts, date arithmetic. Everything the exported query says about a
//! user's data (column names, level values, the table name) passes through
//! [`Dialect::ident`] or [`Dialect::string`], so that no name or value from a file can
//! end the query early.
//!
//! DuckDB, PostgreSQL and Spark are run in CI; BigQuery and Snowflake have no engine
//! here and are checked by parsing with an independent parser (sqlglot) only.

/// An SQL engine's dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
    Spark,
    BigQuery,
    Snowflake,
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "duckdb" => Ok(Dialect::DuckDb),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "spark" | "databricks" => Ok(Dialect::Spark),
            "bigquery" => Ok(Dialect::BigQuery),
            "snowflake" => Ok(Dialect::Snowflake),
            other => Err(format!("unknown dialect {other:?}; use duckdb, postgres, spark, bigquery or snowflake")),
        }
    }
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
            Dialect::Spark => "Spark SQL",
            Dialect::BigQuery => "BigQuery",
            Dialect::Snowflake => "Snowflake",
        }
    }

    /// A quoted identifier. DuckDB, PostgreSQL, Snowflake: `"name"` with quotes doubled;
    /// Spark: `` `name` `` with backticks doubled; BigQuery: backticks with backslash
    /// escapes. A NUL cannot be quoted in any: refused by the caller ([`has_nul`]).
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres | Dialect::Snowflake => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::BigQuery => format!("`{}`", backslashed(name, '`')),
        }
    }

    /// A string literal. DuckDB and PostgreSQL read backslashes literally in standard
    /// strings (quotes doubled); Spark, BigQuery and Snowflake read backslash escapes, so
    /// backslashes, quotes and line breaks are escaped there.
    pub fn string(self, text: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres => format!("'{}'", text.replace('\'', "''")),
            Dialect::Spark | Dialect::BigQuery | Dialect::Snowflake => format!("'{}'", backslashed(text, '\'')),
        }
    }

    /// A double literal, exact: the shortest digits that read back as `x` (Rust's `{:e}`),
    /// written as the engine reads a double. DuckDB and Spark read a literal with an
    /// exponent as a double (a negative one in parentheses, so that no `-` before it makes
    /// a comment); PostgreSQL reads it as `numeric`, so it is typed (`float8 '...'`).
    /// BigQuery and Snowflake, which no engine here runs, keep the cast of 17 digits, as
    /// does a value that is not finite. Issue 37: the cast of 17 digits was 38 characters
    /// a literal, 15 KB of the sample model's 105 KB query.
    pub fn float(self, x: f64) -> String {
        if !x.is_finite() {
            return format!("CAST('{x:.16e}' AS {})", self.double_type());
        }
        let lit = format!("{x:e}");
        match self {
            Dialect::DuckDb | Dialect::Spark if lit.starts_with('-') => format!("({lit})"),
            Dialect::DuckDb | Dialect::Spark => lit,
            Dialect::Postgres => format!("float8 '{lit}'"),
            Dialect::BigQuery | Dialect::Snowflake => format!("CAST('{x:.16e}' AS {})", self.double_type()),
        }
    }

    fn double_type(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Spark | Dialect::Snowflake => "DOUBLE",
            Dialect::Postgres => "DOUBLE PRECISION",
            Dialect::BigQuery => "FLOAT64",
        }
    }

    fn text_type(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Snowflake => "VARCHAR",
            Dialect::Postgres => "TEXT",
            Dialect::Spark | Dialect::BigQuery => "STRING",
        }
    }

    /// The integer type (64 bits).
    fn int_type(self) -> &'static str {
        match self {
            Dialect::BigQuery => "INT64",
            _ => "BIGINT",
        }
    }

    /// A column's value as text (typed columns cast; text columns as they are).
    pub fn as_text(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.text_type())
    }

    /// A text known to be a plain decimal number, as a double.
    pub fn to_double(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.double_type())
    }

    /// A whole number, as a 64-bit integer.
    pub fn to_int(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.int_type())
    }

    /// A text known to be a small whole number (a year, month, day), as a 32-bit integer
    /// (PostgreSQL's MAKE_DATE takes no other).
    pub fn to_small_int(self, expr: &str) -> String {
        match self {
            Dialect::BigQuery => format!("CAST({expr} AS INT64)"),
            _ => format!("CAST({expr} AS INTEGER)"),
        }
    }

    /// A double as text the way polars writes a Float64 cell (`3.0`, `0.25`,
    /// `0.000024076085537672043`): the value shown in a reason for a computed number
    /// (the activity log's aggregates, which are neither negative nor above 1e15). The
    /// engines write the same shortest digits, but small values with an exponent
    /// (`2.4076085537672043e-05`, Java's `8.2E-4`) and PostgreSQL whole values without a
    /// fraction: both rewritten here.
    pub fn float_text(self, expr: &str) -> String {
        let s = match self {
            Dialect::Postgres => format!(
                "CASE WHEN {expr} = FLOOR({expr}) AND ABS({expr}) < 1e15 THEN CAST(CAST({expr} AS BIGINT) AS TEXT) \
                 || '.0' ELSE CAST({expr} AS TEXT) END"
            ),
            _ => self.as_text(expr),
        };
        let mantissa = self.replace_all(&self.replace_all(&s, "[eE].*$", ""), r"\.0$", "");
        let exponent = self.to_small_int(&self.replace_all(&s, "^.*[eE]", ""));
        format!(
            "CASE WHEN {expr} > 0 AND {} THEN '0.' || REPEAT('0', -{exponent} - 1) || REPLACE({mantissa}, \
             '.', '') ELSE {s} END",
            self.matches(&s, "[eE]-")
        )
    }

    /// Whether `expr` contains a match of the regular expression `pattern` (written for
    /// RE2, Java's and PostgreSQL's engines: no classes any lacks).
    pub fn matches(self, expr: &str, pattern: &str) -> String {
        let p = self.string(pattern);
        match self {
            Dialect::DuckDb => format!("regexp_matches({expr}, {p})"),
            Dialect::Postgres => format!("({expr} ~ {p})"),
            Dialect::Spark => format!("({expr} RLIKE {p})"),
            Dialect::BigQuery => format!("REGEXP_CONTAINS({expr}, {p})"),
            // Snowflake's REGEXP_LIKE matches the whole text; REGEXP_INSTR searches.
            Dialect::Snowflake => format!("(REGEXP_INSTR({expr}, {p}) > 0)"),
        }
    }

    /// The characters Rust's `str::trim` removes (Unicode White_Space), as a regex class.
    pub fn whitespace_class(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Spark | Dialect::BigQuery => {
                r"[\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"
            }
            Dialect::Postgres => r"[\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
            // POSIX classes: the characters themselves.
            Dialect::Snowflake => {
                "[\t\n\u{0B}\u{0C}\r \u{85}\u{A0}\u{1680}\u{2000}-\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}]"
            }
        }
    }

    /// `expr` without the white space Rust's `str::trim` removes at either end (Unicode
    /// White_Space, [`WHITESPACE`]). PostgreSQL and Spark trim with their own `btrim` /
    /// `trim(BOTH ... FROM ...)` and that set of characters, spelt with escapes (`U&''`,
    /// `\u`), rather than a regular expression; each removes whole characters, not
    /// bytes. `bench/trim.py`, 6 text columns (issue 37, `bench/RESULTS_warehouse.md`):
    /// Spark local[2], 1,000,000 rows, 1.96 s against 4.86 s; PostgreSQL, 300,000 rows,
    /// 0.52 s against 0.67 s. DuckDB keeps the regular expression: its `trim` with a set
    /// of characters took 2.60 s against 0.38 s. BigQuery and Snowflake, which CI cannot
    /// run, keep it too.
    pub fn trim_whitespace(self, expr: &str) -> String {
        let codes = || WHITESPACE.chars().map(|c| c as u32);
        match self {
            Dialect::Postgres => {
                let set: String = codes().map(|c| format!("\\{c:04X}")).collect();
                format!("btrim({expr}, U&'{set}')")
            }
            Dialect::Spark => {
                let set: String = codes().map(|c| format!("\\u{c:04X}")).collect();
                format!("trim(BOTH '{set}' FROM {expr})")
            }
            Dialect::DuckDb | Dialect::BigQuery | Dialect::Snowflake => {
                let ws = self.whitespace_class();
                self.strip(expr, &format!("^{ws}+|{ws}+$"))
            }
        }
    }

    /// A character that is not a letter or digit.
    pub fn not_alnum_class(self) -> &'static str {
        match self {
            Dialect::DuckDb | Dialect::Spark | Dialect::BigQuery => r"[^\pL\pN]",
            Dialect::Postgres | Dialect::Snowflake => "[^[:alnum:]]",
        }
    }

    /// How a CTE is introduced: PostgreSQL inlines a CTE used once into every place its
    /// columns are used (each cell's trimming would run once per use), so there each
    /// step is computed once, `MATERIALIZED`.
    pub fn cte(self, name: &str) -> String {
        match self {
            Dialect::Postgres => format!("{name} AS MATERIALIZED"),
            _ => format!("{name} AS"),
        }
    }

    /// `expr` with every match of `pattern` replaced by `with` (a plain text).
    pub fn replace_all(self, expr: &str, pattern: &str, with: &str) -> String {
        let (p, w) = (self.string(pattern), self.string(with));
        match self {
            Dialect::DuckDb | Dialect::Postgres => format!("regexp_replace({expr}, {p}, {w}, 'g')"),
            _ => format!("REGEXP_REPLACE({expr}, {p}, {w})"),
        }
    }

    /// The text of the first capture group of `pattern` (which has exactly one) in `expr`.
    pub fn extract(self, expr: &str, pattern: &str) -> String {
        let p = self.string(pattern);
        match self {
            Dialect::DuckDb | Dialect::Spark => format!("regexp_extract({expr}, {p}, 1)"),
            Dialect::Postgres => format!("SUBSTRING({expr} FROM {p})"),
            Dialect::BigQuery => format!("REGEXP_EXTRACT({expr}, {p})"),
            Dialect::Snowflake => format!("REGEXP_SUBSTR({expr}, {p}, 1, 1, 'e', 1)"),
        }
    }

    /// `expr` with every match of `pattern` removed.
    pub fn strip(self, expr: &str, pattern: &str) -> String {
        self.replace_all(expr, pattern, "")
    }

    /// The 1-based position of `needle` in `hay` (0: not there).
    pub fn strpos(self, hay: &str, needle: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres | Dialect::BigQuery => format!("STRPOS({hay}, {needle})"),
            Dialect::Spark => format!("INSTR({hay}, {needle})"),
            Dialect::Snowflake => format!("POSITION({needle} IN {hay})"),
        }
    }

    /// `a % b` for integers.
    pub fn modulo(self, a: &str, b: &str) -> String {
        match self {
            Dialect::BigQuery | Dialect::Snowflake => format!("MOD({a}, {b})"),
            _ => format!("(({a}) % {b})"),
        }
    }

    /// A date from year, month and day (known valid).
    pub fn make_date(self, y: &str, m: &str, d: &str) -> String {
        match self {
            Dialect::BigQuery => format!("DATE({y}, {m}, {d})"),
            Dialect::Snowflake => format!("DATE_FROM_PARTS({y}, {m}, {d})"),
            _ => format!("MAKE_DATE({y}, {m}, {d})"),
        }
    }

    /// Whole days from date `earlier` to date `later`, as an integer.
    pub fn days_between(self, later: &str, earlier: &str) -> String {
        match self {
            Dialect::DuckDb | Dialect::Postgres => format!("({later} - {earlier})"),
            Dialect::Spark => format!("DATEDIFF({later}, {earlier})"),
            Dialect::BigQuery => format!("DATE_DIFF({later}, {earlier}, DAY)"),
            Dialect::Snowflake => format!("DATEDIFF(day, {earlier}, {later})"),
        }
    }

    /// The texts `items` (NULLs left out) joined with `sep`; empty when all are NULL.
    pub fn join_present(self, items: &[String], sep: &str) -> String {
        let s = self.string(sep);
        match self {
            Dialect::BigQuery => format!("ARRAY_TO_STRING([{}], {s})", items.join(", ")),
            // Snowflake's CONCAT_WS is NULL when any part is.
            Dialect::Snowflake => format!("ARRAY_TO_STRING(ARRAY_CONSTRUCT_COMPACT({}), {s})", items.join(", ")),
            _ => format!("CONCAT_WS({s}, {})", items.join(", ")),
        }
    }

    /// The parameter the as-of date is bound to with `--as-of-param`, as a date.
    pub fn as_of_param(self) -> &'static str {
        match self {
            Dialect::DuckDb => "CAST($as_of AS DATE)",
            Dialect::Postgres => "CAST($1 AS DATE)",
            Dialect::Spark | Dialect::Snowflake => "CAST(:as_of AS DATE)",
            Dialect::BigQuery => "CAST(@as_of AS DATE)",
        }
    }

    /// How a caller binds the as-of parameter, for the query's header.
    pub fn as_of_param_note(self) -> &'static str {
        match self {
            Dialect::DuckDb => "bind $as_of, e.g. con.execute(sql, {\"as_of\": \"2025-06-30\"})",
            Dialect::Postgres => "bind $1 (a prepared statement: PREPARE q(date) AS ...; EXECUTE q('2025-06-30'))",
            Dialect::Spark => "bind :as_of, e.g. spark.sql(sql, args={\"as_of\": \"2025-06-30\"})",
            Dialect::BigQuery => "bind the query parameter @as_of (DATE)",
            Dialect::Snowflake => "bind :as_of",
        }
    }
}

/// `text` with backslashes, the quote `q` and line breaks escaped by backslashes.
fn backslashed(text: &str, q: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The characters Rust's `str::trim` removes: Unicode White_Space.
pub const WHITESPACE: &str = "\t\n\u{0B}\u{0C}\r \u{85}\u{A0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}";

/// Whether a name or value holds a NUL, which no engine's quoted text can carry.
pub fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// One CTE: `name AS (SELECT cols FROM from)`.
pub fn cte(d: Dialect, name: &str, cols: &[String], from: &str) -> String {
    format!("{} (\n  SELECT {}\n  FROM {from}\n)", d.cte(name), cols.join(",\n    "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trimmed_set_is_what_rust_trims() {
        let rust: String = (0..=0x10FFFFu32).filter_map(char::from_u32).filter(|c| c.is_whitespace()).collect();
        assert_eq!(WHITESPACE, rust);
        let padded: String = format!("{WHITESPACE}a b{WHITESPACE}");
        assert_eq!(padded.trim(), "a b");
    }

    #[test]
    fn each_dialect_spells_the_set_with_escapes() {
        for d in [Dialect::Postgres, Dialect::Spark] {
            let q = d.trim_whitespace("x");
            assert!(q.is_ascii() && !q.chars().any(|c| c.is_control()), "{d:?}: {q}");
            assert!(q.contains("3000") && !q.to_lowercase().contains("regexp"), "{d:?}: {q}");
        }
        assert!(Dialect::DuckDb.trim_whitespace("x").starts_with("regexp_replace(x,"));
    }

    #[test]
    fn a_double_literal_reads_back_exactly() {
        let mut rng = 0x2545F4914F6CDD1Du64;
        for _ in 0..10_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let x = f64::from_bits(rng);
            if !x.is_finite() {
                continue;
            }
            let lit = Dialect::DuckDb.float(x);
            let bare = lit.trim_start_matches('(').trim_end_matches(')');
            assert_eq!(bare.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{lit}");
            assert!(!lit.starts_with('-'), "{lit}");
        }
        assert_eq!(Dialect::DuckDb.float(0.5), "5e-1");
        assert_eq!(Dialect::Spark.float(-2.0), "(-2e0)");
        assert_eq!(Dialect::Postgres.float(0.25), "float8 '2.5e-1'");
        assert_eq!(Dialect::BigQuery.float(0.25), "CAST('2.5000000000000000e-1' AS FLOAT64)");
        assert!(Dialect::DuckDb.float(f64::INFINITY).starts_with("CAST("));
    }
}
