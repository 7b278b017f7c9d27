//! What differs between SQL engines: quoting identifiers, writing literals, regular
//! expressions, casts. Everything the exported query says about a user's data (column
//! names, level values, the table name) passes through [`Dialect::ident`] or
//! [`Dialect::string`], so that no name or value from a file can end the query early.

/// An SQL engine's dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "duckdb" => Ok(Dialect::DuckDb),
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "spark" | "bigquery" | "snowflake" => {
                Err(format!("{s:?} is not exported yet (issue 15 is in progress); use duckdb or postgres"))
            }
            other => Err(format!("unknown dialect {other:?}; use duckdb or postgres")),
        }
    }
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Postgres => "PostgreSQL",
        }
    }

    /// A quoted identifier: `"name"` with quotes doubled. A NUL cannot be quoted in
    /// either engine: refused by the caller's check ([`has_nul`]).
    pub fn ident(self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// A string literal: `'text'` with quotes doubled (both engines read backslashes
    /// literally in standard strings).
    pub fn string(self, text: &str) -> String {
        format!("'{}'", text.replace('\'', "''"))
    }

    /// A double literal, exact: 17 significant digits.
    pub fn float(self, x: f64) -> String {
        let digits = format!("{x:.16e}");
        match self {
            Dialect::DuckDb => format!("CAST('{digits}' AS DOUBLE)"),
            Dialect::Postgres => format!("CAST('{digits}' AS DOUBLE PRECISION)"),
        }
    }

    /// A column's value as text (typed columns cast; text columns as they are).
    pub fn as_text(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({expr} AS VARCHAR)"),
            Dialect::Postgres => format!("CAST({expr} AS TEXT)"),
        }
    }

    /// A text known to be a plain decimal number, as a double.
    pub fn to_double(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST({expr} AS DOUBLE)"),
            Dialect::Postgres => format!("CAST({expr} AS DOUBLE PRECISION)"),
        }
    }

    /// Whether `expr` matches the regular expression `pattern` (written for both RE2 and
    /// PostgreSQL's engine: no classes either lacks).
    pub fn matches(self, expr: &str, pattern: &str) -> String {
        match self {
            Dialect::DuckDb => format!("regexp_matches({expr}, {})", self.string(pattern)),
            Dialect::Postgres => format!("({expr} ~ {})", self.string(pattern)),
        }
    }

    /// The characters Rust's `str::trim` removes (Unicode White_Space), as a regex class.
    pub fn whitespace_class(self) -> &'static str {
        match self {
            Dialect::DuckDb => {
                r"[\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"
            }
            Dialect::Postgres => r"[\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
        }
    }

    /// A character that is not a letter or digit.
    pub fn not_alnum_class(self) -> &'static str {
        match self {
            Dialect::DuckDb => r"[^\pL\pN]",
            Dialect::Postgres => "[^[:alnum:]]",
        }
    }

    /// How a CTE is introduced: PostgreSQL inlines a CTE used once into every place its
    /// columns are used (each cell's trimming would run once per use), so there each
    /// step is computed once, `MATERIALIZED`.
    pub fn cte(self, name: &str) -> String {
        match self {
            Dialect::DuckDb => format!("{name} AS"),
            Dialect::Postgres => format!("{name} AS MATERIALIZED"),
        }
    }

    /// `expr` with every match of `pattern` removed.
    pub fn strip(self, expr: &str, pattern: &str) -> String {
        format!("regexp_replace({expr}, {}, '', 'g')", self.string(pattern))
    }
}

/// Whether a name or value holds a NUL, which no engine's quoted text can carry.
pub fn has_nul(s: &str) -> bool {
    s.contains('\0')
}
