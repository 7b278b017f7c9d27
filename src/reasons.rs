//! A lead's reasons, chosen and written once for Rust and once for SQL, side by side.
//!
//! The row scorer ([`crate::score`]) and the exported query ([`crate::sql`]) both show
//! the strongest `positive` raising contributions (largest first, ties by column order)
//! and the strongest `positive - 1` lowering ones (most negative first, ties by reverse
//! column order), each as `column = value (+0.84)` with the value cut to 37 characters
//! and "..." when longer than 40. Rust chooses them in one pass over a row
//! ([`select_reasons`]); SQL cannot keep a sorted list, so the query chooses them step by
//! step ([`SqlPicks`]): each step takes the extreme free contribution of its sign, then
//! the first (raising) or last (lowering) free column holding it. The tests below run
//! the SQL's steps on rows with many ties and check them against [`select_reasons`], and
//! the SQL's two-decimal rounding against Rust's `{:+.2}`; CI runs the query itself on
//! DuckDB, PostgreSQL and Spark and compares every reason with `leadscore score`.

use crate::dialect::sql::{cte, Dialect};

/// One reason as the output shows it: `column = value (+0.84)`, the value cut to 37
/// characters and "..." when longer than 40; a value beyond the training range with its
/// `note` first: `headcount = 1000000000 (above the 50892 seen in training; -0.90)`.
pub fn write_reason(buf: &mut String, column: &str, value: &str, contribution: f64, mark: char, note: Option<&str>) {
    buf.push_str(column);
    buf.push_str(" = ");
    push_clipped(buf, value);
    buf.push_str(" (");
    if let Some(n) = note {
        // The note's numbers with the output's decimal mark too.
        if mark == '.' {
            buf.push_str(n);
        } else {
            buf.extend(n.chars().map(|c| if c == '.' { mark } else { c }));
        }
        buf.push_str("; ");
    }
    let at = buf.len();
    push_signed_2dp(buf, contribution);
    if mark != '.' {
        // The one point in the contribution just written.
        if let Some(p) = buf[at..].find('.') {
            buf.replace_range(at + p..at + p + 1, ",");
        }
    }
    buf.push(')');
}

/// The reasons' columns: the strongest `positive` raising contributions (largest first,
/// ties by column order), then the strongest `positive - 1` lowering ones (most negative
/// first, ties by reverse column order), as a descending sort by `total_cmp` with ties
/// by index, then its reverse. One pass, keeping both short lists sorted.
pub fn select_reasons(contrib: &[f64], positive: usize, bottom: &mut Vec<usize>, chosen: &mut Vec<usize>) {
    let negative = positive.saturating_sub(1);
    chosen.clear();
    bottom.clear();
    for (k, &c) in contrib.iter().enumerate() {
        if c > 0.0 {
            // After every kept value at least as large (earlier columns first on ties).
            let at = chosen.iter().position(|&b| contrib[b].total_cmp(&c).is_lt()).unwrap_or(chosen.len());
            if at < positive {
                chosen.insert(at, k);
                chosen.truncate(positive);
            }
        } else if c < 0.0 {
            // Before every kept value at least as large (later columns first on ties).
            let at = bottom.iter().position(|&b| contrib[b].total_cmp(&c).is_ge()).unwrap_or(bottom.len());
            if at < negative {
                bottom.insert(at, k);
                bottom.truncate(negative);
            }
        }
    }
    chosen.extend_from_slice(bottom);
}

/// A reason's value, cut to 37 characters and "..." when longer than 40.
fn push_clipped(buf: &mut String, value: &str) {
    if value.len() <= 40 || value.chars().count() <= 40 {
        buf.push_str(value);
    } else {
        let end = value.char_indices().nth(37).map_or(value.len(), |(i, _)| i);
        buf.push_str(&value[..end]);
        buf.push_str("...");
    }
}

/// `format!("{:+.2}", v)` without the formatting machinery, for values not within a
/// hair of a rounding tie (those, and huge values, go through `format!`).
fn push_signed_2dp(buf: &mut String, v: f64) {
    use std::fmt::Write as _;
    let a = v.abs();
    let y = a * 100.0;
    // Below 1e12 the truncation is the floor (y is not negative).
    let small = a < 1e12; // false for NaN too
    let fl = if small { y as u64 } else { 0 };
    let frac = y - fl as f64;
    if !small || (frac - 0.5).abs() < 1e-6 {
        let _ = write!(buf, "{v:+.2}");
        return;
    }
    let r = if frac > 0.5 { fl + 1 } else { fl };
    buf.push(if v.is_sign_negative() { '-' } else { '+' });
    let mut ib = itoa::Buffer::new();
    buf.push_str(ib.format(r / 100));
    let cents = (r % 100) as u8;
    buf.push('.');
    buf.push((b'0' + cents / 10) as char);
    buf.push((b'0' + cents % 10) as char);
}

/// The largest of `items` (none NULL), nested in groups of 50 (some engines limit a
/// function's arguments to 100).
pub fn greatest(items: &[String], f: &str) -> String {
    if items.len() == 1 {
        return items[0].clone();
    }
    if items.len() <= 50 {
        return format!("{f}({})", items.join(", "));
    }
    let groups: Vec<String> = items.chunks(50).map(|c| greatest(c, f)).collect();
    greatest(&groups, f)
}

/// The query's reason steps: `positive` raising, then `positive - 1` lowering.
pub struct SqlPicks {
    /// One per step: `true` raising, `false` lowering.
    pub steps: Vec<bool>,
}

impl SqlPicks {
    pub fn new(positive: usize) -> SqlPicks {
        SqlPicks { steps: (0..positive).map(|_| true).chain((0..positive.saturating_sub(1)).map(|_| false)).collect() }
    }

    /// The order a step scans the columns in for the one holding its extreme: the first
    /// (raising) or the last (lowering).
    pub fn scan_order(up: bool, columns: usize) -> Vec<usize> {
        if up {
            (0..columns).collect()
        } else {
            (0..columns).rev().collect()
        }
    }

    /// The CTEs `pick{r}a` (the step's extreme `m{r}`) and `pick{r}b` (its column
    /// `s{r}`, NULL when none) for each step, from `from`, each carrying every column of
    /// the one before (`SELECT *`: issue 37, the list of carried columns was written
    /// twice per step); `k(i)` names column `i`'s contribution. Returns the CTEs and the
    /// last one's name.
    pub fn ctes(&self, d: Dialect, columns: usize, k: &dyn Fn(usize) -> String, from: &str) -> (Vec<String>, String) {
        let mut ctes = Vec::new();
        let mut last = from.to_string();
        for (r, &up) in self.steps.iter().enumerate() {
            let r = r + 1;
            let chosen: Vec<String> = (1..r).map(|q| format!("s{q}")).collect();
            let free = |i: usize| -> String {
                let mut cond = vec![if up { format!("{} > 0", k(i)) } else { format!("{} < 0", k(i)) }];
                cond.extend(chosen.iter().map(|s| format!("COALESCE({s}, -1) <> {i}")));
                cond.join(" AND ")
            };
            let adj: Vec<String> =
                (0..columns).map(|i| format!("CASE WHEN {} THEN {} ELSE 0.0 END", free(i), k(i))).collect();
            let a = vec![
                "*".to_string(),
                format!(
                    "{} AS m{r}",
                    if adj.is_empty() { "0.0".into() } else { greatest(&adj, if up { "GREATEST" } else { "LEAST" }) }
                ),
            ];
            ctes.push(cte(d, &format!("pick{r}a"), &a, &last));
            let mut which = format!("CASE WHEN m{r} <> 0 THEN CASE");
            for i in Self::scan_order(up, columns) {
                which.push_str(&format!(" WHEN {} AND {} = m{r} THEN {i}", free(i), k(i)));
            }
            which.push_str(" END END");
            let b = vec!["*".to_string(), format!("{which} AS s{r}")];
            ctes.push(cte(d, &format!("pick{r}b"), &b, &format!("pick{r}a")));
            last = format!("pick{r}b");
        }
        (ctes, last)
    }
}

/// A reason's shown value in SQL, as [`push_clipped`] shows it: `(missing)` for an
/// empty cell, else `shown` cut to 37 characters and "..." when longer than 40.
pub fn sql_clipped(cell: &str, shown: &str) -> String {
    format!(
        "CASE WHEN {cell} IS NULL OR {cell} = '' THEN '(missing)' \
         WHEN LENGTH({shown}) <= 40 THEN {shown} ELSE SUBSTR({shown}, 1, 37) || '...' END"
    )
}

/// One reason's text in SQL, as [`write_reason`] writes it: column `rc`, value `rv`,
/// the note `rn` on a value beyond the training range (NULL: none), contribution `m`;
/// NULL when the step found no column (`rc` NULL).
pub fn sql_reason_text(rc: &str, rv: &str, rn: Option<&str>, m: &str, d: Dialect) -> String {
    let note = rn.map(|rn| format!("COALESCE({rn} || '; ', '') || ")).unwrap_or_default();
    format!("CASE WHEN {rc} IS NOT NULL THEN {rc} || ' = ' || {rv} || ' (' || {note}{} || ')' END", signed_2dp(m, d))
}

/// A contribution `m` (not zero) as the reasons show it: `format!("{:+.2}")`, the
/// absolute value times 100 rounded half up (Rust rounds the exact binary value; the
/// two differ only within an ulp of a tie, see the tests).
fn signed_2dp(m: &str, d: Dialect) -> String {
    let r = format!("FLOOR(ABS({m}) * 100 + 0.5)");
    let whole = format!("FLOOR({r} / 100)");
    format!(
        "CASE WHEN {m} < 0 THEN '-' ELSE '+' END || {} || '.' || LPAD({}, 2, '0')",
        d.as_text(&d.to_int(&whole)),
        d.as_text(&d.to_int(&format!("{r} - 100 * {whole}")))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimal_sign_matches_format() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut vals =
            vec![0.001, -0.001, 0.005, -0.005, 0.015, 0.125, -0.125, 1.0, -2.675, 99.995, 1e-300, 123456.789];
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let scale = [0.01, 0.1, 1.0, 10.0, 1000.0][(state % 5) as usize];
            vals.push((u - 0.5) * 2.0 * scale);
        }
        for v in vals {
            let mut b = String::new();
            push_signed_2dp(&mut b, v);
            assert_eq!(b, format!("{v:+.2}"), "value {v:e}");
        }
    }

    #[test]
    fn reasons_order_matches_a_sort_with_ties_by_column() {
        // The general path's order: sort descending with ties by index, then reversed.
        let by_sort = |contrib: &[f64], positive: usize| -> Vec<usize> {
            let mut idx: Vec<usize> = (0..contrib.len()).collect();
            idx.sort_by(|&a, &b| contrib[b].total_cmp(&contrib[a]).then(a.cmp(&b)));
            let pos = idx.iter().filter(|&&k| contrib[k] > 0.0).take(positive);
            let neg = idx.iter().rev().filter(|&&k| contrib[k] < 0.0).take(positive.saturating_sub(1));
            pos.chain(neg).copied().collect()
        };
        let (mut bottom, mut chosen) = (Vec::new(), Vec::new());
        let contrib = [0.5, -0.2, 0.5, 0.0, -0.2, 0.9, -0.7];
        select_reasons(&contrib, 3, &mut bottom, &mut chosen);
        assert_eq!(chosen, vec![5, 0, 2, 6, 4]);
        // Random rows with many ties, and every number of reasons.
        for row in tied_rows(0x9e37_79b9_7f4a_7c15, 12) {
            for positive in 0..6 {
                select_reasons(&row, positive, &mut bottom, &mut chosen);
                assert_eq!(chosen, by_sort(&row, positive), "{row:?} {positive}");
            }
        }
    }

    /// 20,000 rows of `width` contributions from seven values (-0.75 to 0.75 by 0.25):
    /// many ties, zeros and both signs (xorshift from `seed`).
    fn tied_rows(seed: u64, width: usize) -> Vec<Vec<f64>> {
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state % 7) as f64 - 3.0) * 0.25
        };
        (0..20_000).map(|_| (0..width).map(|_| next()).collect()).collect()
    }

    /// The query's steps (see [`SqlPicks::ctes`]) run on a row: each step's extreme
    /// among the free contributions of its sign, then the first or last free column
    /// holding it, none when the extreme is 0.
    fn sql_steps_on(row: &[f64], positive: usize) -> Vec<usize> {
        let mut chosen: Vec<usize> = Vec::new();
        for &up in &SqlPicks::new(positive).steps {
            let free = |i: usize| (if up { row[i] > 0.0 } else { row[i] < 0.0 }) && !chosen.contains(&i);
            let adj = (0..row.len()).map(|i| if free(i) { row[i] } else { 0.0 });
            let m = if up { adj.fold(0.0, f64::max) } else { adj.fold(0.0, f64::min) };
            if m != 0.0 {
                if let Some(i) = SqlPicks::scan_order(up, row.len()).into_iter().find(|&i| free(i) && row[i] == m) {
                    chosen.push(i);
                }
            }
        }
        chosen
    }

    #[test]
    fn sql_steps_choose_the_reasons_the_row_scorer_chooses() {
        let (mut bottom, mut chosen) = (Vec::new(), Vec::new());
        for row in tied_rows(0x2545_f491_4f6c_dd1d, 9) {
            for positive in 0..6 {
                select_reasons(&row, positive, &mut bottom, &mut chosen);
                assert_eq!(sql_steps_on(&row, positive), chosen, "{row:?} {positive}");
            }
        }
    }

    #[test]
    fn sql_rounding_agrees_with_the_row_scorers_text_away_from_ties() {
        // The query's FLOOR(ABS(m) * 100 + 0.5), whole and cents, in f64 as the engines
        // compute it, against push_signed_2dp; they may differ only within 1e-9 of a tie.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut compared = 0;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let v = (u - 0.5) * 2.0 * [0.01, 0.1, 1.0, 10.0, 1000.0][(state % 5) as usize];
            if v == 0.0 {
                continue;
            }
            let y = v.abs() * 100.0;
            if (y - y.floor() - 0.5).abs() < 1e-9 {
                continue;
            }
            let r = (v.abs() * 100.0 + 0.5).floor();
            let whole = (r / 100.0).floor();
            let sql = format!("{}{}.{:02}", if v < 0.0 { '-' } else { '+' }, whole as i64, (r - 100.0 * whole) as i64);
            let mut rust = String::new();
            push_signed_2dp(&mut rust, v);
            assert_eq!(sql, rust, "{v:e}");
            compared += 1;
        }
        assert!(compared > 199_000);
    }
}
