//! Choosing the operating point: the probability above which leads go to sales.
//!
//! Runs after fitting, on held-out rows only (never training rows), in `train` and in the
//! `threshold` command. Each [`Strategy`] picks one point of the precision/recall curve
//! ([`crate::metrics::curve`], one point per distinct score, so tied leads are routed
//! together). A strategy that no point satisfies is an error that says the best value
//! reachable.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::CurvePoint;

/// How to pick the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Strategy {
    /// Best F-beta (F1 when beta = 1).
    FBeta(f64),
    /// Highest recall whose precision is at least P.
    Precision(f64),
    /// Highest precision whose recall is at least R.
    Recall(f64),
    /// Route the K best leads (sales capacity).
    Top(usize),
    /// Route the best X percent of leads.
    TopShare(f64),
    /// Maximise GAIN per converted lead minus COST per call.
    Value { gain: f64, cost: f64 },
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Strategy::FBeta(b) if *b == 1.0 => write!(f, "f1"),
            Strategy::FBeta(b) => write!(f, "fbeta:{b}"),
            Strategy::Precision(p) => write!(f, "precision:{p}"),
            Strategy::Recall(r) => write!(f, "recall:{r}"),
            Strategy::Top(k) => write!(f, "top:{k}"),
            Strategy::TopShare(x) => write!(f, "top:{}%", x * 100.0),
            Strategy::Value { gain, cost } => write!(f, "value:{gain},{cost}"),
        }
    }
}

impl std::str::FromStr for Strategy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Strategy> {
        let bad = |m: &str| Error::usage(format!("--strategy {s}"), m.to_string());
        let num = |t: &str| -> Result<f64> {
            t.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| bad(&format!("{t:?} is not a number")))
        };
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n.trim().to_ascii_lowercase(), Some(a.trim())),
            None => (s.trim().to_ascii_lowercase(), None),
        };
        let need = || arg.ok_or_else(|| bad("needs a value after ':'"));
        let unit = |x: f64, what: &str| {
            if (0.0..=1.0).contains(&x) {
                Ok(x)
            } else {
                Err(bad(&format!("{what} must be between 0 and 1, got {x}")))
            }
        };
        match name.as_str() {
            "f1" => Ok(Strategy::FBeta(1.0)),
            "fbeta" => {
                let b = num(need()?)?;
                if b <= 0.0 {
                    return Err(bad("beta must be above 0"));
                }
                Ok(Strategy::FBeta(b))
            }
            "precision" => Ok(Strategy::Precision(unit(num(need()?)?, "precision")?)),
            "recall" => Ok(Strategy::Recall(unit(num(need()?)?, "recall")?)),
            "top" => {
                let a = need()?;
                if let Some(pct) = a.strip_suffix('%') {
                    let x = num(pct)?;
                    if !(0.0..=100.0).contains(&x) || x == 0.0 {
                        return Err(bad("a percentage must be above 0 and at most 100"));
                    }
                    Ok(Strategy::TopShare(x / 100.0))
                } else {
                    let k: usize = a.parse().map_err(|_| bad(&format!("{a:?} is not a whole number of leads")))?;
                    if k == 0 {
                        return Err(bad("must route at least one lead"));
                    }
                    Ok(Strategy::Top(k))
                }
            }
            "value" => {
                let (g, c) = need()?.split_once(',').ok_or_else(|| bad("expected value:GAIN,COST"))?;
                let (gain, cost) = (num(g)?, num(c)?);
                if gain <= 0.0 || cost < 0.0 {
                    return Err(bad("GAIN must be above 0 and COST at least 0"));
                }
                Ok(Strategy::Value { gain, cost })
            }
            _ => Err(bad("unknown strategy; use f1, fbeta:B, precision:P, recall:R, top:K, top:X%, value:GAIN,COST")),
        }
    }
}

/// The chosen point and a line explaining it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub point: CurvePoint,
    /// Index of the point in the curve.
    pub index: usize,
    pub note: Option<String>,
}

/// Pick the point of `curve` (from [`crate::metrics::curve`]) that `strategy` asks for.
pub fn choose(curve: &[CurvePoint], strategy: &Strategy) -> Result<Choice> {
    let err = |m: String| Error::Threshold { strategy: strategy.to_string(), message: m };
    let Some(first) = curve.first() else {
        return Err(err("no held-out rows to choose from".into()));
    };
    if first.tp + first.fn_ == 0 {
        return Err(err("the held-out rows contain no won leads, so precision and recall are undefined".into()));
    }
    // argmax helper: the first (highest-threshold) point with the best key.
    let best_by = |key: &dyn Fn(&CurvePoint) -> f64, ok: &dyn Fn(&CurvePoint) -> bool| {
        let mut best: Option<(usize, f64)> = None;
        for (i, p) in curve.iter().enumerate() {
            if !ok(p) {
                continue;
            }
            let k = key(p);
            if best.is_none_or(|(_, b)| k > b) {
                best = Some((i, k));
            }
        }
        best.map(|(i, _)| i)
    };
    let (index, note) = match strategy {
        Strategy::FBeta(b) => (best_by(&|p| p.f_beta(*b), &|_| true).unwrap_or(0), None),
        Strategy::Precision(target) => match best_by(&|p| p.recall(), &|p| p.precision() >= *target && p.tp > 0) {
            Some(i) => (i, None),
            None => {
                let best = curve.iter().filter(|p| p.tp > 0).map(|p| p.precision()).fold(0.0, f64::max);
                return Err(err(format!("no threshold reaches precision {target}; the best reachable is {best:.4}")));
            }
        },
        Strategy::Recall(target) => match best_by(&|p| p.precision(), &|p| p.recall() >= *target) {
            Some(i) => (i, None),
            None => {
                return Err(err(format!(
                    "no threshold reaches recall {target}; the best reachable is {:.4}",
                    curve.last().map(|p| p.recall()).unwrap_or(0.0)
                )))
            }
        },
        Strategy::Top(k) => top_k(curve, *k),
        Strategy::TopShare(x) => {
            let n = first.tp + first.fp + first.fn_ + first.tn;
            let k = ((x * n as f64).round() as usize).max(1);
            top_k(curve, k)
        }
        Strategy::Value { gain, cost } => {
            (best_by(&|p| p.tp as f64 * gain - p.routed() as f64 * cost, &|_| true).unwrap_or(0), None)
        }
    };
    Ok(Choice { point: curve[index], index, note })
}

/// The point that routes K leads; when a tie straddles the K-th lead, the largest count
/// below K (ties are never split), said in the note.
fn top_k(curve: &[CurvePoint], k: usize) -> (usize, Option<String>) {
    let total = curve.last().map(|p| p.routed()).unwrap_or(0);
    if k >= total {
        let note =
            (k > total).then(|| format!("{k} leads asked for, only {total} held-out leads exist: all are routed"));
        return (curve.len() - 1, note);
    }
    let mut idx = None;
    for (i, p) in curve.iter().enumerate() {
        if p.routed() <= k {
            idx = Some(i);
        } else {
            break;
        }
    }
    match idx {
        Some(i) if curve[i].routed() == k => (i, None),
        Some(i) => (
            i,
            Some(format!(
                "{k} leads asked for; {} are routed, because the next leads tie on score and are routed together or not at all",
                curve[i].routed()
            )),
        ),
        None => (
            0,
            Some(format!(
                "{k} leads asked for; the {} best leads tie on score and are routed together",
                curve[0].routed()
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::curve;

    #[test]
    fn parses_every_strategy() {
        for s in ["f1", "fbeta:0.5", "precision:0.5", "recall:0.8", "top:500", "top:10%", "value:1000,20"] {
            let parsed: Strategy = s.parse().unwrap();
            assert_eq!(parsed.to_string(), s);
        }
        assert!("precision:1.5".parse::<Strategy>().is_err());
        assert!("top:0".parse::<Strategy>().is_err());
    }

    #[test]
    fn top_k_never_splits_a_tie() {
        let c = curve(&[0.9, 0.8, 0.8, 0.1], &[true, false, true, false]);
        let ch = choose(&c, &Strategy::Top(2)).unwrap();
        assert_eq!(ch.point.routed(), 1);
        assert!(ch.note.is_some());
        let ch = choose(&c, &Strategy::Top(3)).unwrap();
        assert_eq!(ch.point.routed(), 3);
    }
}
