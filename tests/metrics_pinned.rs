//! The metrics agree with scikit-learn (issue #3).
//!
//! The expected values below were computed independently with scikit-learn 1.9.1:
//!
//! ```python
//! from sklearn.metrics import roc_auc_score, average_precision_score, log_loss, brier_score_loss
//! p = [0.9,0.8,0.8,0.7,0.6,0.55,0.5,0.5,0.5,0.4,0.3,0.2,0.2,0.1,0.05,0.99,0.01,0.65]
//! y = [1,1,0,1,0,1,1,0,0,0,1,0,0,0,0,1,0,0]
//! roc_auc_score(y, p)            # 0.8116883116883117
//! average_precision_score(y, p)  # 0.7512737262737261
//! log_loss(y, p)                 # 0.5153249074792158
//! brier_score_loss(y, p)         # 0.18098333333333336
//! ```
//! The fixture has tied scores (0.8 won/lost, 0.5 won/lost/lost, 0.2 lost/lost) so the
//! tie handling is pinned too.

use leadscore::metrics;

const P: [f64; 18] = [0.9, 0.8, 0.8, 0.7, 0.6, 0.55, 0.5, 0.5, 0.5, 0.4, 0.3, 0.2, 0.2, 0.1, 0.05, 0.99, 0.01, 0.65];
const Y: [u8; 18] = [1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0];

fn y() -> Vec<bool> {
    Y.iter().map(|&v| v == 1).collect()
}

#[test]
fn roc_auc_matches_scikit_learn_with_ties() {
    let got = metrics::roc_auc(&P, &y()).unwrap();
    assert!((got - 0.8116883116883117).abs() < 1e-9, "{got}");
}

#[test]
fn average_precision_matches_scikit_learn_with_ties() {
    let got = metrics::average_precision(&P, &y()).unwrap();
    assert!((got - 0.7512737262737261).abs() < 1e-9, "{got}");
}

#[test]
fn log_loss_matches_scikit_learn() {
    let got = metrics::log_loss(&P, &y());
    assert!((got - 0.5153249074792158).abs() < 1e-9, "{got}");
}

#[test]
fn brier_matches_scikit_learn() {
    let got = metrics::brier(&P, &y());
    assert!((got - 0.18098333333333336).abs() < 1e-9, "{got}");
}

#[test]
fn tied_scores_make_one_step_in_the_curve() {
    let c = metrics::curve(&P, &y());
    // 18 scores, 14 distinct.
    assert_eq!(c.len(), 14);
    let at_half = c.iter().find(|p| p.threshold == 0.5).unwrap();
    // Everything >= 0.5 routed: 0.99 0.9 0.8 0.8 0.7 0.65 0.6 0.55 0.5 0.5 0.5.
    assert_eq!(at_half.routed(), 11);
    assert_eq!(at_half.tp, 6);
}

#[test]
fn calibration_bins_and_ece() {
    let (bins, ece) = metrics::calibration(&P, &y(), 10);
    assert_eq!(bins.len(), 10);
    assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), 18);
    // Bin 0.9-1.0 holds 0.9 and 0.99, both won: observed 1.0, mean predicted 0.945.
    assert_eq!(bins[9].count, 2);
    assert!((bins[9].observed_rate - 1.0).abs() < 1e-12);
    assert!((bins[9].mean_predicted - 0.945).abs() < 1e-12);
    let manual: f64 = bins.iter().map(|b| b.count as f64 / 18.0 * (b.observed_rate - b.mean_predicted).abs()).sum();
    assert!((ece - manual).abs() < 1e-12);
}

#[test]
fn deciles_keep_ties_together_and_sum_to_all_leads() {
    let p = vec![0.5; 20];
    let y: Vec<bool> = (0..20).map(|i| i % 2 == 0).collect();
    let d = metrics::deciles(&p, &y);
    assert_eq!(d[0].leads, 20, "all tied leads in the first decile");
    assert!(d[1..].iter().all(|b| b.leads == 0));
    let d = metrics::deciles(&P, &self::y());
    assert_eq!(d.iter().map(|b| b.leads).sum::<usize>(), 18);
    assert!((d.last().unwrap().cumulative_conversions_share - 1.0).abs() < 1e-12);
}
