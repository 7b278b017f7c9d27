//! The model report: one self-contained HTML file (inline SVG and CSS, no script, no
//! network) that an analyst can hand to a sales manager.
//!
//! The last step of the flow. It formats numbers computed elsewhere: the evaluation
//! ([`crate::evaluate`]), the curves ([`crate::metrics`]) and optionally the comparison
//! with the manual points model ([`crate::compare`]). Charts are drawn by
//! [`charts`] with plotters. The same inputs give a byte-identical file.

pub mod charts;
mod html;
mod monitor;
mod retrain;

pub use html::esc;
use html::{figure, pct, table, tile, CSS};
pub use monitor::monitor_page;
pub use retrain::retrain_page;

use crate::compare::Comparison;
use crate::error::Result;
use crate::evaluate::Evaluation;
use crate::metrics::{Band, CurvePoint};
use crate::model::LeadModel;

/// Gather the numbers (evaluation, curves, comparison with `rules`, named as the user
/// knows them) and render the report of `model` on the labelled `table` (`data_name`).
/// The as-of date is the history rule's, over the model's date columns and, with rules,
/// the rules' fields: the same date `compare` uses on the same inputs.
pub fn build(
    model: &LeadModel,
    table: &crate::data::Table,
    rules: Option<(&crate::rules::Rules, &str)>,
    data_name: &str,
    given_as_of: Option<chrono::NaiveDate>,
    bootstrap: crate::uncertainty::Bootstrap,
) -> Result<(String, crate::as_of::AsOf)> {
    let (comparison, as_of) = match rules {
        None => (None, crate::as_of::for_history(given_as_of, Some(model), table, &[])?),
        Some((rules, name)) => {
            let (c, as_of) = crate::compare::compare_on(model, rules, table, given_as_of, None, bootstrap)?;
            (Some((c, name.to_string())), as_of)
        }
    };
    let ev = crate::evaluate::evaluate_table(model, table, as_of, data_name, None, bootstrap)?;
    let html = render(&ReportInput {
        model,
        data_name: data_name.to_string(),
        evaluation: &ev,
        curve: &ev.curve,
        comparison: comparison.as_ref().map(|(c, n)| (c, n.clone())),
    })?;
    Ok((html, as_of))
}

/// Everything the report shows.
pub struct ReportInput<'a> {
    pub model: &'a LeadModel,
    /// Name of the labelled file the report measures on.
    pub data_name: String,
    pub evaluation: &'a Evaluation,
    /// Curve of the model on those leads.
    pub curve: &'a [CurvePoint],
    /// With `--rules`: the comparison and the rules file's name.
    pub comparison: Option<(&'a Comparison, String)>,
}

fn gains_table(bands: &[Band]) -> String {
    let rows: Vec<Vec<String>> = bands
        .iter()
        .map(|b| {
            vec![
                b.band.clone(),
                b.leads.to_string(),
                b.conversions.to_string(),
                pct(b.conversion_rate),
                pct(b.share_of_conversions),
                pct(b.cumulative_conversions_share),
                format!("{:.2}", b.cumulative_lift),
            ]
        })
        .collect();
    table(
        &["band", "leads", "won", "conversion rate", "share of won", "cumulative share of won", "cumulative lift"],
        &rows,
    )
}

/// Render the report.
pub fn render(input: &ReportInput) -> Result<String> {
    let mut h = String::new();
    head(&mut h, input)?;
    ranking(&mut h, input)?;
    calibration(&mut h, input)?;
    drivers(&mut h, input)?;
    comparison(&mut h, input)?;
    segments(&mut h, input)?;
    effects(&mut h, input)?;
    training(&mut h, input)?;
    h.push_str("</main></body></html>\n");
    Ok(h)
}

/// A 95% interval as the report shows it.
fn ci(c: [f64; 2]) -> String {
    format!("{:.3}–{:.3}", c[0], c[1])
}

/// The threshold as a point on the curves (the red dot).
fn threshold_point(ev: &Evaluation) -> CurvePoint {
    let c = &ev.confusion;
    CurvePoint {
        threshold: ev.threshold,
        tp: c.true_positives,
        fp: c.false_positives,
        fn_: c.false_negatives,
        tn: c.true_negatives,
    }
}

/// The title, the tiles and the note on intervals.
fn head(h: &mut String, input: &ReportInput) -> Result<()> {
    let ev = input.evaluation;
    let meta = &input.model.meta;
    h.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>leadscore model report</title>",
    );
    h.push_str(&format!("<style>{CSS}</style></head><body><main>"));
    h.push_str(&format!(
        "<h1>Lead-scoring model report</h1><p class=\"sub\">Model trained on {} ({} rows, label {} = {}), measured on {} ({} labelled leads, {} won).</p>",
        esc(&meta.data_file),
        meta.rows,
        esc(&meta.label),
        esc(&meta.positive_value),
        esc(&input.data_name),
        ev.rows,
        ev.positives
    ));
    if let Some(a) = &ev.as_of {
        h.push_str(&format!("<p class=\"note\" id=\"as-of\">Dates count back from {}.</p>", esc(&a.describe())));
    }
    h.push_str("<div class=\"tiles\">");
    h.push_str(&tile(
        "ROC AUC (95% CI, DeLong)",
        format!("{:.3} ({})", ev.roc_auc, ev.roc_auc_ci.map_or("n/a".into(), ci)),
    ));
    h.push_str(&tile("PR AUC (95% CI)", format!("{:.3} ({})", ev.pr_auc, ci(ev.at.pr_auc_ci))));
    h.push_str(&tile("base rate", pct(ev.base_rate)));
    h.push_str(&tile("log loss", format!("{:.3}", ev.log_loss)));
    h.push_str(&tile("Brier", format!("{:.3}", ev.brier)));
    h.push_str(&tile("calibration error", format!("{:.3}", ev.ece)));
    h.push_str(&tile("threshold", format!("{:.3}", ev.threshold)));
    h.push_str(&tile(
        "routed to sales",
        format!("{} ({} precision, {} recall)", ev.routed, pct(ev.precision), pct(ev.recall)),
    ));
    h.push_str(&tile(
        "lift at the threshold (95% CI)",
        format!("{:.2} ({:.2}–{:.2})", ev.at.lift, ev.at.lift_ci[0], ev.at.lift_ci[1]),
    ));
    h.push_str("</div>");
    h.push_str(&format!(
        "<p class=\"note\" id=\"intervals\">Intervals are 95%: the ROC AUC's by DeLong's method; precision {} ({}–{}), recall {} ({}–{}), the PR AUC's and the lift's by {} bootstrap replicates (seed {}).{}</p>",
        pct(ev.precision),
        pct(ev.at.precision_ci[0]),
        pct(ev.at.precision_ci[1]),
        pct(ev.recall),
        pct(ev.at.recall_ci[0]),
        pct(ev.at.recall_ci[1]),
        ev.at.bootstrap.replicates,
        ev.at.bootstrap.seed,
        if ev.no_signal { " <strong>No signal: the ROC AUC's interval includes 0.5; the model ranks these leads no better than chance.</strong>" } else { "" }
    ));
    Ok(())
}

/// Ranking: ROC, precision-recall, gains, the score distribution, deciles, tiers and the threshold.
fn ranking(h: &mut String, input: &ReportInput) -> Result<()> {
    let c = &input.evaluation.confusion;
    let m = input.model;
    let ev = input.evaluation;
    let at = threshold_point(input.evaluation);
    h.push_str("<h2>How well it ranks buyers</h2><p class=\"note\">The red dot is the model's threshold: leads at or above it are routed to sales.</p><div class=\"grid\">");
    let manual = input.comparison.as_ref().map(|(c, _)| c.manual_curve.as_slice());
    h.push_str(&figure(charts::roc(input.curve, manual, Some(&at))?));
    h.push_str(&figure(charts::precision_recall(input.curve, manual, Some(&at), ev.base_rate)?));
    h.push_str(&figure(charts::gains(input.curve, manual)?));
    h.push_str(&figure(charts::distribution(&ev.histogram)?));
    h.push_str("</div>");

    h.push_str("<h2>Gains by score decile</h2>");
    h.push_str(&gains_table(&ev.bands));
    h.push_str("<h2>Conversion by tier</h2>");
    h.push_str(&format!("<p class=\"note\">Tiers: {}.</p>", esc(&m.tiers.describe())));
    h.push_str(&gains_table(&ev.tiers));
    h.push_str("<h2>At the threshold</h2>");
    h.push_str(&table(
        &["", "won", "lost"],
        &[
            vec!["routed to sales".into(), c.true_positives.to_string(), c.false_positives.to_string()],
            vec!["not routed".into(), c.false_negatives.to_string(), c.true_negatives.to_string()],
        ],
    ));
    h.push_str(&format!(
        "<p class=\"note\">Threshold {:.4}, chosen by {} on {}.</p>",
        m.threshold.value,
        esc(&m.threshold.strategy),
        esc(&m.threshold.chosen_on)
    ));
    Ok(())
}

/// Calibration: the plot, the bins and the calibration fit.
fn calibration(h: &mut String, input: &ReportInput) -> Result<()> {
    let ev = input.evaluation;
    h.push_str("<h2>Calibration</h2><div class=\"grid\">");
    h.push_str(&figure(charts::calibration(&ev.calibration)?));
    let rows: Vec<Vec<String>> = ev
        .calibration
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| {
            vec![
                format!("{:.1}-{:.1}", b.lower, b.upper),
                b.count.to_string(),
                format!("{:.3}", b.mean_predicted),
                format!("{:.3}", b.observed_rate),
            ]
        })
        .collect();
    h.push_str(&format!("<div>{}", table(&["predicted", "leads", "mean predicted", "observed"], &rows)));
    if let Some(c) = &ev.calibration_fit {
        h.push_str(&format!("<p class=\"note\" id=\"calibration-fit\">{}.</p>", esc(&c.describe())));
    }
    h.push_str("</div>");
    h.push_str("</div>");
    Ok(())
}

/// The largest coefficients.
fn drivers(h: &mut String, input: &ReportInput) -> Result<()> {
    let m = input.model;
    let unit = m.record.as_ref().map_or("per standard deviation", |r| r.settings.coefficient_unit());
    h.push_str(&format!(
        "<h2>What drives the score</h2><p class=\"note\">Coefficients ({unit}): bars to the right raise the odds \
         of winning, to the left lower them.</p>"
    ));
    h.push_str(&figure(charts::bars(
        "Largest coefficients",
        &m.top_coefficients(15),
        &format!("change in log-odds ({unit})"),
    )?));
    Ok(())
}

/// With rules: the manual points against the predictive model.
fn comparison(h: &mut String, input: &ReportInput) -> Result<()> {
    if let Some((cmp, rules_name)) = &input.comparison {
        h.push_str(&format!("<h2>Predictive versus the manual points ({})</h2>", esc(rules_name)));
        h.push_str("<div class=\"tiles\">");
        let side = |x: &crate::compare::Side| format!("{:.3} ({})", x.roc_auc, ci(x.roc_auc_ci));
        h.push_str(&tile("manual ROC AUC (95% CI)", side(&cmp.manual)));
        h.push_str(&tile("predictive ROC AUC (95% CI)", side(&cmp.predictive)));
        h.push_str(&tile("manual PR AUC (95% CI)", format!("{:.3} ({})", cmp.manual.pr_auc, ci(cmp.manual.pr_auc_ci))));
        h.push_str(&tile(
            "predictive PR AUC (95% CI)",
            format!("{:.3} ({})", cmp.predictive.pr_auc, ci(cmp.predictive.pr_auc_ci)),
        ));
        let d = &cmp.roc_auc_difference;
        h.push_str(&tile(
            "ROC AUC difference (95% CI, paired DeLong)",
            format!("{:+.3} ({:+.3} to {:+.3})", d.difference, d.ci[0], d.ci[1]),
        ));
        let e = &cmp.equal_capacity;
        h.push_str(&tile(
            &format!("buyers in the top {} leads (manual {} count)", e.leads, e.stage),
            format!(
                "{} vs {} ({:+}, 95% CI {:+.1} to {:+.1})",
                e.manual_conversions,
                e.predictive_conversions,
                e.difference.difference,
                e.difference.ci[0],
                e.difference.ci[1]
            ),
        ));
        h.push_str(&format!(
            "</div><p class=\"note\" id=\"comparison\" data-manual-roc-auc=\"{}\" data-predictive-roc-auc=\"{}\" data-verdict=\"{}\">The ROC, precision-recall and gains charts above show both models. The manual ranking is by stage, then points. ROC AUC manual {:.4}, predictive {:.4}. {}</p>",
            cmp.manual.roc_auc,
            cmp.predictive.roc_auc,
            serde_json::to_string(&cmp.verdict).unwrap_or_default().trim_matches('"'),
            cmp.manual.roc_auc,
            cmp.predictive.roc_auc,
            esc(&match cmp.verdict {
                crate::compare::Verdict::Better => format!("The predictive model ranks better (DeLong's paired test p = {:.4}).", d.p_value),
                crate::compare::Verdict::Worse => format!("The predictive model ranks worse (DeLong's paired test p = {:.4}).", d.p_value),
                crate::compare::Verdict::NotDistinguishable => format!("The two are not distinguishable on these leads (DeLong's paired test p = {:.4}).", d.p_value),
            })
        ));
        h.push_str(&figure(charts::conversion_bars(
            "Conversion rate by manual stage and predictive tier",
            &[("manual", &cmp.stages, charts::MANUAL_COLOR), ("predictive", &cmp.tiers, charts::MODEL_COLOR)],
        )?));
        h.push_str("<h3>Agreement: leads (conversion rate) by manual stage and predictive tier</h3>");
        let (tiers, grid) = cmp.agreement_grid();
        let rows: Vec<Vec<String>> = grid
            .into_iter()
            .map(|(st, cells)| {
                let mut r = vec![st];
                r.extend(cells.iter().map(|x| format!("{} ({})", x.leads, pct(x.conversion_rate))));
                r
            })
            .collect();
        let mut headers = vec!["stage \\ tier"];
        headers.extend(tiers.iter().map(|t| t.as_str()));
        h.push_str(&table(&headers, &rows));
        h.push_str("<h3>Leads the two rank most differently</h3>");
        let (headers, rows) = cmp.disagreement_table();
        h.push_str(&table(&headers, &rows));
    }
    Ok(())
}

/// A segmented model: each segment's update and held-out figures.
fn segments(h: &mut String, input: &ReportInput) -> Result<()> {
    let m = input.model;
    let ev = input.evaluation;
    if let (Some(col), Some(sg)) = (&ev.segment_column, &m.segments) {
        h.push_str(&format!(
            "<h2 id=\"segments\">By {}</h2><p class=\"note\">Each segment's model was chosen on its held-out leads in training by likelihood-ratio tests (closed testing, Vergouwe et al. 2017); a segment too small for its own model by Riley et al.'s criteria could only get the global model or a recalibration. Leads whose value is missing or was not seen in training get the global model. ROC AUC with its 95% interval (DeLong).</p>",
            esc(col)
        ));
        let rows: Vec<Vec<String>> = ev
            .segments
            .iter()
            .map(|g| {
                let why = sg.segments.iter().find(|s| s.value == g.segment).map_or(String::new(), |s| s.why.clone());
                vec![
                    g.segment.clone(),
                    g.model.clone(),
                    g.rows.to_string(),
                    g.positives.to_string(),
                    match (g.roc_auc, g.roc_auc_ci) {
                        (Some(a), Some(c)) => format!("{a:.3} ({})", ci(c)),
                        _ => "n/a".into(),
                    },
                    g.routed.to_string(),
                    g.precision.map_or("n/a".into(), pct),
                    g.recall.map_or("n/a".into(), pct),
                    why,
                ]
            })
            .collect();
        h.push_str(&table(
            &[
                "segment",
                "model",
                "leads",
                "won",
                "ROC AUC (95% CI)",
                "routed",
                "precision",
                "recall",
                "why this model",
            ],
            &rows,
        ));
        if let Some((cmp, _)) = input.comparison.as_ref().filter(|(c, _)| !c.segments.is_empty()) {
            let rows: Vec<Vec<String>> = cmp
                .segments
                .iter()
                .map(|g| {
                    let auc = |a: Option<f64>, c: Option<[f64; 2]>| match (a, c) {
                        (Some(a), Some(c)) => format!("{a:.3} ({})", ci(c)),
                        _ => "n/a".into(),
                    };
                    vec![
                        g.segment.clone(),
                        auc(g.manual_roc_auc, g.manual_roc_auc_ci),
                        auc(g.predictive_roc_auc, g.predictive_roc_auc_ci),
                        g.roc_auc_difference.map_or("n/a".into(), |d| {
                            format!(
                                "{:+.3} ({:+.3} to {:+.3}), p {}",
                                d.difference,
                                d.ci[0],
                                d.ci[1],
                                crate::uncertainty::p_text(d.p_value)
                            )
                        }),
                        g.verdict.map_or("n/a".into(), |v| {
                            serde_json::to_string(&v).unwrap_or_default().trim_matches('"').replace('_', " ")
                        }),
                    ]
                })
                .collect();
            h.push_str("<h3>Manual points and the predictive model per segment</h3>");
            h.push_str(&table(
                &["segment", "manual ROC AUC", "predictive ROC AUC", "difference (paired DeLong)", "verdict"],
                &rows,
            ));
        }
    }
    Ok(())
}

/// Each number's and date's fitted effect over its training density.
fn effects(h: &mut String, input: &ReportInput) -> Result<()> {
    let m = input.model;
    let effects = m.effects();
    if !effects.is_empty() {
        let beyond = if m.features.clamps() {
            "Beyond the range the model scores a value as the range's edge, and the lead's reason says so."
        } else {
            "Beyond the range the model continues the line it ends on."
        };
        h.push_str(&format!("<h2 id=\"effects\">Effects of numbers and dates</h2><p class=\"note\">Each number's and date's contribution to the log-odds across its training range, relative to a lead at the training median (0); grey bars show where the training rows lie. A curve is the model's own: steps where the model uses steps, a smooth spline where it uses splines. {beyond}</p><div class=\"grid\">"));
        for e in &effects {
            h.push_str(&figure(charts::effect(e)?));
        }
        h.push_str("</div>");
    }
    pairs(h, input);
    Ok(())
}

/// Each pairwise interaction as a small heat map: its cells' contributions to the
/// log-odds (blue raises, red lowers) and their training rows.
fn pairs(h: &mut String, input: &ReportInput) {
    let m = input.model;
    if m.pairs.is_empty() {
        return;
    }
    h.push_str(&format!(
        "<h2 id=\"pairs\">Pairwise interactions</h2><p class=\"note\">{} pairs (train --interactions). Each cell is a lead's contribution from the pair on top of its columns' own effects, in log-odds (blue raises, red lowers; the pair averages 0 over the rows it was fitted on); the small figure is the cell's training rows.</p><div class=\"grid\">",
        m.pairs.len()
    ));
    let top = m.pairs.iter().flat_map(|p| &p.table).fold(0.0f64, |a, &v| a.max(v.abs())).max(1e-9);
    for p in &m.pairs {
        let (na, nb) = (p.axis_a.len(), p.axis_b.len());
        let cols = &m.features.columns;
        let name = |k: usize| cols.get(k).map_or("?", |c| c.name.as_str());
        let mut t = format!(
            "<figure><table class=\"heat\"><caption>{}</caption><tr><th>{} \\ {}</th>",
            esc(&p.name(cols)),
            esc(name(p.a)),
            esc(name(p.b))
        );
        for b in 0..nb {
            t.push_str(&format!("<th>{}</th>", esc(&p.axis_b.bin_label(b))));
        }
        t.push_str("</tr>");
        for a in 0..na {
            t.push_str(&format!("<tr><th>{}</th>", esc(&p.axis_a.bin_label(a))));
            for b in 0..nb {
                let c = p.cell(a, b);
                let v = p.table[c];
                let alpha = (v.abs() / top).min(1.0) * 0.8;
                let rgb = if v >= 0.0 { "33,102,172" } else { "178,24,43" };
                t.push_str(&format!(
                    "<td style=\"background: rgba({rgb},{alpha:.2})\">{v:+.2}<small>{}</small></td>",
                    p.reference.get(c).copied().unwrap_or(0)
                ));
            }
            t.push_str("</tr>");
        }
        t.push_str("</table></figure>");
        h.push_str(&t);
    }
    h.push_str("</div>");
}

/// The training metadata and the input columns.
fn training(h: &mut String, input: &ReportInput) -> Result<()> {
    let m = input.model;
    let meta = &input.model.meta;
    h.push_str("<h2>Training</h2>");
    let mut rows = vec![
        vec!["training file".to_string(), meta.data_file.clone()],
        vec!["training file SHA-256".into(), meta.data_sha256.clone()],
        vec!["rows (labelled)".into(), format!("{} ({} without a label)", meta.rows, meta.rows_missing_label)],
        vec!["won".into(), meta.positives.to_string()],
        vec!["training rows".into(), meta.train_rows.to_string()],
        vec!["seed".into(), meta.seed.to_string()],
        vec!["L2 alpha".into(), format!("{}", meta.alpha)],
        vec![
            "solver".into(),
            format!(
                "{} after {} iterations{}",
                if meta.converged { "converged" } else { "not converged" },
                meta.iterations,
                if meta.preconditioned { " (preconditioned)" } else { "" }
            ),
        ],
        vec![
            "features".into(),
            format!("{} input columns, {} model features", m.features.columns.len(), m.features.n_features()),
        ],
        vec!["leadscore version".into(), meta.crate_version.clone()],
    ];
    if let Some(hd) = &meta.holdout {
        rows.push(vec![
            "holdout".into(),
            format!(
                "{}: {} rows, ROC AUC {:.4}, PR AUC {:.4}",
                hd.method, hd.metrics.rows, hd.metrics.roc_auc, hd.metrics.pr_auc
            ),
        ]);
    }
    if let Some((mean, sd, k)) = meta.cv_auc {
        rows.push(vec!["cross-validation".into(), format!("ROC AUC {mean:.4} ± {sd:.4} over {k} folds")]);
    }
    h.push_str(&table(&["", ""], &rows));
    let cols: Vec<Vec<String>> =
        m.features.columns.iter().map(|c| vec![c.name.clone(), c.role.name().to_string()]).collect();
    h.push_str("<h3>Input columns</h3>");
    h.push_str(&table(&["column", "role"], &cols));
    Ok(())
}
