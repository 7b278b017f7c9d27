//! The monitoring page (`monitor --output page.html`): the same numbers `monitor` prints,
//! as a self-contained HTML page in the report's style. It formats; it computes nothing.

use super::charts;
use super::html::{esc, figure, pct, table, tile, CSS};
use crate::error::Result;
use crate::model::LeadModel;
use crate::monitor::{Band, Estimate, Monitor};

fn ci(e: &Estimate) -> String {
    format!("{} ({}–{})", pct(e.value), pct(e.ci[0]), pct(e.ci[1]))
}

/// Render the monitoring page of `m` (leads from the file `data_name`).
pub fn monitor_page(model: &LeadModel, m: &Monitor, data_name: &str) -> Result<String> {
    let mut h = String::new();
    page_head(&mut h, model, m, data_name);
    stability(&mut h, m)?;
    performance(&mut h, model, m)?;
    h.push_str("</main></body></html>\n");
    Ok(h)
}

/// The title, the verdict, the model's age and the tiles.
fn page_head(h: &mut String, model: &LeadModel, m: &Monitor, data_name: &str) {
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>leadscore monitoring</title>");
    h.push_str(&format!(
        "<style>{CSS}.act{{color:#b3261e;font-weight:600}}.watch{{color:#9a6700}}</style></head><body><main>"
    ));
    h.push_str(&format!(
        "<h1>Monitoring: is the model still fit for these leads?</h1><p class=\"sub\">Model trained on {} ({} training rows profiled); leads from {} as of {}.</p>",
        esc(&model.meta.data_file),
        model.profile.as_ref().map_or(0, |p| p.rows),
        esc(data_name),
        esc(&m.as_of)
    ));
    let verdict = match m.worst {
        Band::Act => "act: something moved beyond PSI 0.25",
        Band::Watch => "watch: some columns moved (PSI 0.1-0.25)",
        Band::Stable => "stable: everything within PSI 0.1",
    };
    h.push_str(&format!(
        "<p class=\"{}\" id=\"verdict\" data-worst=\"{}\">{}</p>",
        m.worst.name(),
        m.worst.name(),
        esc(verdict)
    ));
    if m.model_too_old {
        h.push_str(&format!(
            "<p class=\"act\" id=\"age\">The model's training data is {} days old (as of {}): more than six months. Re-evaluate it and retrain on recent won and lost leads.</p>",
            m.model_age_days.unwrap_or(0),
            esc(m.model_as_of.as_deref().unwrap_or(""))
        ));
    }
    h.push_str("<div class=\"tiles\">");
    h.push_str(&tile("leads", m.leads.to_string()));
    h.push_str(&tile("scored", m.scored.to_string()));
    h.push_str(&tile("score PSI", format!("{:.3} ({})", m.score.psi, m.score.band.name())));
    h.push_str(&tile("routed (expected)", format!("{} ({})", m.expected.routed, pct(m.expected.routed_share))));
    h.push_str(&tile("precision (expected)", ci(&m.expected.precision)));
    h.push_str(&tile("recall (expected)", ci(&m.expected.recall)));
    if let Some(age) = m.model_age_days {
        h.push_str(&tile("model data age", format!("{age} days")));
    }
    h.push_str("</div>");
}

/// Stability by column (the PSI chart and table), then the distributions that moved.
fn stability(h: &mut String, m: &Monitor) -> Result<()> {
    h.push_str("<h2>Stability by column</h2><p class=\"note\">Population stability index against the training rows, on the bins fixed at training. Bands: below 0.1 stable, 0.1–0.25 watch, above 0.25 act. p is a chi-square test of the same counts: on a few hundred leads a band can be reached by chance, so read the two together.</p>");
    let mut order: Vec<&crate::monitor::ColumnDrift> = m.columns.iter().collect();
    order.sort_by(|a, b| b.drift.psi.total_cmp(&a.drift.psi));
    let psi: Vec<(String, f64)> = order.iter().take(20).map(|c| (c.part.clone(), c.drift.psi)).collect();
    let bands = [
        (crate::monitor::WATCH_PSI, format!("{} watch", crate::monitor::WATCH_PSI)),
        (crate::monitor::ACT_PSI, format!("{} act", crate::monitor::ACT_PSI)),
    ];
    let bands: Vec<(f64, &str)> = bands.iter().map(|(at, label)| (*at, label.as_str())).collect();
    h.push_str(&figure(charts::stability_bars("Population stability index (largest 20)", &psi, &bands)?));
    let rows: Vec<Vec<String>> = order
        .iter()
        .map(|c| {
            vec![
                c.part.clone(),
                format!("{:.4}", c.drift.psi),
                c.drift.band.name().into(),
                crate::uncertainty::p_text(c.drift.p_value),
                c.drift.leads.to_string(),
                c.new_value_leads.to_string(),
                c.new_values.iter().take(5).map(|(v, n)| format!("{v} ({n})")).collect::<Vec<_>>().join(", "),
                c.below_range_leads.to_string(),
                c.above_range_leads.to_string(),
                c.unreadable.to_string(),
            ]
        })
        .collect();
    h.push_str(&table(
        &[
            "column",
            "PSI",
            "band",
            "p",
            "leads",
            "new values",
            "most frequent new",
            "below training's range",
            "above training's range",
            "unreadable",
        ],
        &rows,
    ));

    h.push_str("<h2>Where the distributions moved</h2><div class=\"grid\">");
    h.push_str(&figure(charts::shares(&format!("Score by training decile (PSI {:.3})", m.score.psi), &m.score.bins)?));
    for c in order.iter().filter(|c| c.drift.band != Band::Stable).take(6) {
        h.push_str(&figure(charts::shares(&format!("{} (PSI {:.3})", c.part, c.drift.psi), &c.drift.bins)?));
    }
    h.push_str("</div>");
    Ok(())
}

/// Expected (and with labels, realised) performance, and per segment.
fn performance(h: &mut String, model: &LeadModel, m: &Monitor) -> Result<()> {
    h.push_str("<h2>Performance</h2>");
    let e = &m.expected;
    let mut perf = vec![vec![
        "expected now (from the probabilities, no labels)".to_string(),
        format!("{} ({})", e.routed, pct(e.routed_share)),
        ci(&e.precision),
        ci(&e.recall),
        String::new(),
    ]];
    if let Some(r) = &m.realised {
        perf.push(vec![
            format!("realised on {} labelled leads ({} won)", r.leads, r.won),
            String::new(),
            ci(&r.precision),
            ci(&r.recall),
            r.roc_auc.map_or("n/a".into(), |a| format!("{:.4} ({:.4}–{:.4})", a.value, a.ci[0], a.ci[1])),
        ]);
    }
    perf.push(vec![
        "training holdout".into(),
        e.training_routed_share.map_or(String::new(), pct),
        pct(e.training_precision),
        pct(e.training_recall),
        model.meta.holdout.as_ref().map_or(String::new(), |hd| format!("{:.4}", hd.metrics.roc_auc)),
    ]);
    h.push_str(&table(&["", "routed", "precision", "recall", "ROC AUC"], &perf));
    h.push_str(&format!(
        "<p class=\"note\">At the threshold {:.4}. Expected figures treat each probability as the chance the lead is won (confidence-based performance estimation); they hold while the model stays calibrated, which the realised figures check when labels come.</p>",
        e.threshold
    ));
    if let Some(r) = &m.realised {
        h.push_str(&format!(
            "<h3>Calibration</h3><p class=\"note\">Mean probability {} against {} won; expected calibration error {:.4}.</p><div class=\"grid\">",
            pct(r.mean_probability),
            pct(r.won_share),
            r.ece
        ));
        h.push_str(&figure(charts::calibration(&r.calibration)?));
        h.push_str("</div>");
    }
    if let Some(sg) = model.segments.as_ref().filter(|_| !m.segments.is_empty()) {
        h.push_str(&format!(
            "<h2 id=\"segments\">By {}</h2><p class=\"note\">Each segment's share of these leads against its share of the training rows (a value not seen in training gets the global model), and its expected figures at the threshold.</p>",
            esc(&sg.column)
        ));
        let rows: Vec<Vec<String>> = m
            .segments
            .iter()
            .map(|g| {
                vec![
                    g.segment.clone(),
                    g.model.clone(),
                    g.leads.to_string(),
                    pct(g.share),
                    g.training_share.map_or("not seen".into(), pct),
                    pct(g.expected.routed_share),
                    ci(&g.expected.precision),
                    g.realised
                        .as_ref()
                        .and_then(|r| r.roc_auc.as_ref())
                        .map_or("–".into(), |a| format!("{:.3} ({:.3}–{:.3})", a.value, a.ci[0], a.ci[1])),
                ]
            })
            .collect();
        h.push_str(&table(
            &[
                "segment",
                "model",
                "leads",
                "share",
                "training share",
                "routed",
                "precision (expected)",
                "ROC AUC (realised)",
            ],
            &rows,
        ));
    }
    Ok(())
}
