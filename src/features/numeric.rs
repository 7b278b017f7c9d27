//! The small numeric helpers the parts share: log1p for counts (from a table, the same
//! bits), the boundary that splits values as log1p does, quantiles of sorted values,
//! skewness, and how a number appears in a feature's name or a rule. A leaf: it imports
//! nothing from the parts.

/// A number as a feature name or rule shows it: whole numbers plainly, others to three
/// decimals (none from 100 up).
pub fn fmt_num(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 && x.abs() < 1e15 {
        format!("{}", x.round() as i64)
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub(crate) fn skewness(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if n < 3.0 {
        return 0.0;
    }
    let mean = v.iter().sum::<f64>() / n;
    let m2 = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = v.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    if m2 <= 0.0 {
        0.0
    } else {
        m3 / m2.powf(1.5)
    }
}

/// The largest non-negative `r` with `ln_1p_nonneg(r) <= c` (for `c >= 0`): `x > r`
/// exactly when `ln_1p_nonneg(x) > c`, for any `x`, since `ln_1p` does not decrease.
pub(crate) fn ln_1p_boundary(c: f64) -> f64 {
    let up = |r: f64| f64::from_bits(r.to_bits() + 1);
    let down = |r: f64| if r > 0.0 { f64::from_bits(r.to_bits() - 1) } else { 0.0 };
    let mut r = c.exp_m1().max(0.0);
    for _ in 0..4096 {
        if ln_1p_nonneg(r) > c && r > 0.0 {
            r = down(r);
        } else if ln_1p_nonneg(up(r)) <= c {
            r = up(r);
        } else {
            break;
        }
    }
    r
}

/// `x.max(0.0).ln_1p()`, from a table for the small whole numbers that counts mostly are
/// (the same bits: the table holds `ln_1p` of each).
pub(crate) fn ln_1p_nonneg(x: f64) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| (0..4096).map(|k| (k as f64).ln_1p()).collect());
    let k = x as usize;
    // -0.0 keeps its sign through ln_1p: not from the table.
    if k as f64 == x && k < table.len() && x.is_sign_positive() {
        table[k]
    } else {
        x.max(0.0).ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_1p_boundary_splits_values_as_ln_1p_does() {
        for k in [0u32, 1, 2, 3, 7, 10, 99, 1000, 4095, 4096, 123_456] {
            let c = ln_1p_nonneg(k as f64);
            let r = ln_1p_boundary(c);
            for x in [
                k as f64 - 1.0,
                k as f64 - 1e-9,
                k as f64,
                k as f64 + 1e-9,
                k as f64 + 1.0,
                r,
                f64::from_bits(r.to_bits() + 1),
            ] {
                assert_eq!(x > r, ln_1p_nonneg(x) > c, "k {k} x {x}");
            }
        }
    }

    #[test]
    fn ln_1p_table_gives_the_same_bits() {
        for x in [0.0, 1.0, 2.0, 17.0, 4095.0, 4096.0, 1e6, 0.5, -0.0, -3.0, 2.5] {
            assert_eq!(ln_1p_nonneg(x).to_bits(), x.max(0.0).ln_1p().to_bits(), "{x}");
        }
    }
}
