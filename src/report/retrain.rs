//! The retrain page (issue 33): a challenger against the champion on the window of new
//! leads, the gate's checks and the decision, as one self-contained HTML page for the
//! analyst and sales (`leadscore retrain --page FILE.html`). It formats the report
//! [`crate::retrain::retrain`] computed; it computes nothing.

use super::html::{esc, table, CSS};
use crate::format::count;
use crate::retrain::{Decision, Graded, RetrainReport};

/// The page of a retrain run.
pub fn retrain_page(r: &RetrainReport) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>leadscore retrain</title>",
    );
    h.push_str(&format!(
        "<style>{CSS}.fail{{color:#b3261e;font-weight:600}}.ok{{color:#1a7f37}}.gate td,.gate th{{text-align:left}}</style></head><body><main>"
    ));
    let (class, verdict) = match r.decision {
        Decision::Promoted => ("ok", "promoted: the challenger is the live model now".to_string()),
        Decision::WouldPromote => ("ok", "dry run: the challenger would be promoted; nothing was written".to_string()),
        Decision::KeptChampion => ("fail", "kept the champion".to_string()),
    };
    h.push_str(&format!(
        "<h1>Retrain: challenger against champion</h1><p class=\"sub\">{}</p><p class=\"{class}\" id=\"decision\" data-decision=\"{}\">{}</p>",
        esc(&r.model),
        match r.decision {
            Decision::Promoted => "promoted",
            Decision::WouldPromote => "would_promote",
            Decision::KeptChampion => "kept_champion",
        },
        esc(&verdict)
    ));
    h.push_str(&format!(
        "<h2>The window</h2><p>{} new labelled leads, {} won: {}. Both models are graded on these leads, which neither was fitted on.</p>",
        count(r.window.rows),
        count(r.window.won),
        esc(&r.window.how)
    ));
    if r.overrides.is_empty() {
        h.push_str("<p>The challenger was trained with the champion's recorded settings.</p>");
    } else {
        h.push_str(&format!(
            "<p>The challenger was trained with the champion's settings, overridden by <code>{}</code>.</p>",
            esc(&r.overrides.join(" "))
        ));
    }
    if let (Some(c), Some(n)) = (&r.champion, &r.challenger) {
        h.push_str(&format!(
            "<h2>Side by side on the window</h2><p>ROC AUC with its 95% interval (DeLong); top buyers: buyers among each model's {} best leads, the champion's routed count.</p>",
            count(r.capacity)
        ));
        let rows: Vec<Vec<String>> =
            [("champion", c), ("challenger", n)].iter().map(|(name, g)| row(name, g)).collect();
        h.push_str(&table(
            &[
                "model",
                "ROC AUC (95% CI)",
                "PR AUC",
                "calibration in the large",
                "slope",
                "threshold",
                "precision",
                "recall",
                "top buyers",
                "checksum",
            ],
            &rows,
        ));
        if let (Some(d), Some(lb)) = (&r.difference, r.difference_lower_bound) {
            h.push_str(&format!(
                "<p>Challenger minus champion: {:+.4} (95% CI {:+.4} to {:+.4}, DeLong's paired test p {}); one-sided 95% lower bound {:+.4}, against the margin {:+.4}.</p>",
                d.difference,
                d.ci[0],
                d.ci[1],
                esc(&crate::uncertainty::p_text(d.p_value)),
                lb,
                -r.margin
            ));
        }
    }
    h.push_str("<h2>The gate</h2>");
    let checks: Vec<Vec<String>> = r
        .checks
        .iter()
        .map(|c| vec![if c.passed { "ok" } else { "FAIL" }.to_string(), c.check.to_string(), c.detail.clone()])
        .collect();
    h.push_str(&format!("<div class=\"gate\">{}</div>", table(&["", "check", "detail"], &checks)));
    if let Some(sw) = &r.switch {
        h.push_str(&format!(
            "<p>Live now: <code>{}</code>; the previous model <code>{}</code> is kept in the history (<code>leadscore models</code>, <code>leadscore rollback</code>).</p>",
            esc(&sw.live),
            esc(sw.previous.as_deref().unwrap_or("(none)"))
        ));
    }
    if !r.warnings.is_empty() {
        h.push_str("<h2>The challenger's training warnings</h2><ul>");
        for w in &r.warnings {
            h.push_str(&format!(
                "<li>{}{}</li>",
                if w.column.is_empty() { String::new() } else { format!("{}: ", esc(&w.column)) },
                esc(&w.message)
            ));
        }
        h.push_str("</ul>");
    }
    h.push_str("</main></body></html>\n");
    h
}

fn row(name: &str, g: &Graded) -> Vec<String> {
    let (cil, slope) = g.calibration.map_or(("n/a".into(), "n/a".into()), |c| {
        (format!("{:+.3}", c.calibration_in_the_large), format!("{:.3}", c.calibration_slope))
    });
    vec![
        name.to_string(),
        g.roc_auc.map_or("n/a".into(), |a| format!("{:.4} ({:.3}-{:.3})", a.roc_auc, a.roc_auc_ci[0], a.roc_auc_ci[1])),
        format!("{:.4}", g.pr_auc),
        cil,
        slope,
        format!("{:.4}", g.threshold),
        format!("{:.3}", g.precision),
        format!("{:.3}", g.recall),
        count(g.top_buyers),
        g.checksum.get(..12).unwrap_or(&g.checksum).to_string(),
    ]
}
