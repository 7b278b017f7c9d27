//! `leadscore compare`: the manual points model and the predictive model side by side.

use std::path::PathBuf;

use clap::Parser;
use leadscore::api::{
    self,
    compare::{CompareJob, Compared},
};
use leadscore::compare::Comparison;
use leadscore::error::Result;
use leadscore::model_file;
use leadscore::rules::RulesFile;

use super::args::{Json, Leads, ModelIn, Quiet, Seed};
use super::output::{count, out, out_json, pct, text_table};

/// Compare the manual points model with the predictive model on the same labelled leads.
///
/// Shows which ranks buyers better and where they disagree.
/// Reports ROC AUC and PR AUC of each (the manual ranking is by stage, then points, so a
/// stage override such as a booked demo counts), conversion by manual stage and by
/// predictive tier, the buyers each model's top leads hold at equal sales capacity (as
/// many leads as the manual model puts in its top stage), the agreement matrix of stage
/// against tier, and the leads the two rank most differently.
///
/// Example: leadscore compare --model leads.model --rules data/sample_rules.toml --data holdout.csv
#[derive(Debug, Parser)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelIn,
    /// The manual points model (TOML rules file).
    #[arg(long, value_name = "FILE")]
    pub rules: PathBuf,
    #[command(flatten)]
    pub leads: Leads,
    /// Id column for the list of disagreements [default: the model's id column].
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    #[command(flatten)]
    pub seed: Seed,
    #[command(flatten)]
    pub json: Json,
    #[command(flatten)]
    pub quiet: Quiet,
}

pub fn run(args: Args) -> Result<()> {
    let console = args.quiet.console();
    let model = model_file::load(&args.model.model)?;
    let rules = RulesFile::load(&args.rules)?;
    let job = CompareJob {
        model: &model,
        rules: &rules,
        leads: args.leads.job(),
        id: args.id.clone(),
        bootstrap: args.seed.bootstrap(),
    };
    let Compared { comparison: c, as_of } = api::compare::compare(&job)?;
    console.note(&format!("as of {}", as_of.describe()));
    if args.json.json {
        out_json(&c)
    } else {
        out(&render(&c))
    }
}

/// The short version: ranking quality and buyers at equal capacity, and the verdict.
pub fn headline(c: &Comparison, what: &str) -> String {
    let e = &c.equal_capacity;
    format!(
        "on {} ({} labelled leads, {} won): ROC AUC manual {:.4} vs predictive {:.4}; PR AUC {:.4} vs {:.4};\nat equal capacity ({} leads, the manual {:?} count) the manual top leads hold {} buyers, the predictive {} ({:+})\n{}\n",
        what,
        count(c.rows),
        count(c.positives),
        c.manual.roc_auc,
        c.predictive.roc_auc,
        c.manual.pr_auc,
        c.predictive.pr_auc,
        count(e.leads),
        e.stage,
        count(e.manual_conversions),
        count(e.predictive_conversions),
        e.predictive_conversions as i64 - e.manual_conversions as i64,
        verdict(c)
    )
}

fn ci(c: [f64; 2]) -> String {
    format!("{:.3}-{:.3}", c[0], c[1])
}

fn p_text(p: f64) -> String {
    let t = leadscore::uncertainty::p_text(p);
    match t.strip_prefix('<') {
        Some(v) => format!("p < {v}"),
        None => format!("p = {t}"),
    }
}

/// The comparison's verdict in words, with the numbers behind it.
pub fn verdict(c: &Comparison) -> String {
    let d = &c.roc_auc_difference;
    let mut s = match c.verdict {
        leadscore::compare::Verdict::Better => format!(
            "verdict: the predictive model ranks these leads better than the manual points: ROC AUC {:+.4} (95% CI {:+.4} to {:+.4}, DeLong's paired test {})",
            d.difference, d.ci[0], d.ci[1], p_text(d.p_value)
        ),
        leadscore::compare::Verdict::Worse => format!(
            "verdict: the predictive model ranks these leads worse than the manual points: ROC AUC {:+.4} (95% CI {:+.4} to {:+.4}, DeLong's paired test {})",
            d.difference, d.ci[0], d.ci[1], p_text(d.p_value)
        ),
        leadscore::compare::Verdict::NotDistinguishable => format!(
            "verdict: the two models are not distinguishable on these leads: ROC AUC difference {:+.4} (95% CI {:+.4} to {:+.4}, DeLong's paired test {}); more labelled leads would tell",
            d.difference, d.ci[0], d.ci[1], p_text(d.p_value)
        ),
    };
    for (name, side) in [("the manual points", &c.manual), ("the predictive model", &c.predictive)] {
        if side.no_signal {
            s.push_str(&format!(
                "\nno signal: {name} rank these leads no better than chance (ROC AUC {:.3}, 95% CI {}); routing by {} would be arbitrary",
                side.roc_auc,
                ci(side.roc_auc_ci),
                if name.ends_with("points") { "them" } else { "it" }
            ));
        }
    }
    s
}

/// The human report of a comparison.
pub fn render(c: &Comparison) -> String {
    let mut s =
        format!("{} labelled leads, {} won (base rate {})\n\n", count(c.rows), count(c.positives), pct(c.base_rate));
    let row = |name: &str, x: &leadscore::compare::Side| {
        vec![
            name.to_string(),
            format!("{:.4}", x.roc_auc),
            ci(x.roc_auc_ci),
            format!("{:.4}", x.pr_auc),
            ci(x.pr_auc_ci),
        ]
    };
    s.push_str(&text_table(
        &["", "ROC AUC", "95% CI (DeLong)", "PR AUC", "95% CI (bootstrap)"],
        &[row("manual points", &c.manual), row("predictive", &c.predictive)],
    ));
    s.push_str(&format!("\n{}\n", verdict(c)));
    let e = &c.equal_capacity;
    let rate = |k: usize| if e.leads == 0 { 0.0 } else { k as f64 / e.leads as f64 };
    s.push_str(&format!(
        "\nat equal capacity ({} leads, as many as the manual model puts in {:?}):\n  manual top leads hold {} buyers ({}), predictive top leads hold {} buyers ({}): {:+} buyers\n",
        count(e.leads),
        e.stage,
        count(e.manual_conversions),
        pct(rate(e.manual_conversions)),
        count(e.predictive_conversions),
        pct(rate(e.predictive_conversions)),
        e.predictive_conversions as i64 - e.manual_conversions as i64
    ));
    let dd = &e.difference;
    s.push_str(&format!(
        "  difference {:+} buyers (95% CI {:+.1} to {:+.1}; {} found only by the predictive, {} only by the manual; McNemar {})\n",
        dd.difference,
        dd.ci[0],
        dd.ci[1],
        count(dd.only_a),
        count(dd.only_b),
        p_text(dd.p_value)
    ));
    if !c.segments.is_empty() {
        s.push_str(
            "\nper segment (ROC AUC with 95% CI, DeLong; difference predictive minus manual, DeLong's paired test)\n",
        );
        s.push_str(&segment_table(&c.segments));
    }
    s.push_str("\nconversion by manual stage\n");
    s.push_str(&super::evaluate::gains(&c.stages));
    s.push_str("\nconversion by predictive tier\n");
    s.push_str(&super::evaluate::gains(&c.tiers));
    s.push_str("\nagreement: leads (conversion rate) by manual stage and predictive tier\n");
    let (tiers, grid) = c.agreement_grid();
    let rows: Vec<Vec<String>> = grid
        .into_iter()
        .map(|(st, cells)| {
            let mut r = vec![st];
            r.extend(cells.iter().map(|x| format!("{} ({})", count(x.leads), pct(x.conversion_rate))));
            r
        })
        .collect();
    let mut headers = vec!["stage \\ tier"];
    headers.extend(tiers.iter().map(|t| t.as_str()));
    s.push_str(&text_table(&headers, &rows));
    s.push_str("\nleads the two models rank most differently\n");
    let (headers, rows) = c.disagreement_table();
    s.push_str(&text_table(&headers, &rows));
    s
}

/// The per-segment comparison table.
pub fn segment_table(segs: &[leadscore::compare::SegmentComparison]) -> String {
    let auc = |a: Option<f64>, c: Option<[f64; 2]>| match (a, c) {
        (Some(a), Some(c)) => format!("{a:.3} ({})", ci(c)),
        _ => "n/a".into(),
    };
    let rows: Vec<Vec<String>> = segs
        .iter()
        .map(|g| {
            vec![
                g.segment.clone(),
                g.model.clone(),
                count(g.rows),
                count(g.positives),
                auc(g.manual_roc_auc, g.manual_roc_auc_ci),
                auc(g.predictive_roc_auc, g.predictive_roc_auc_ci),
                g.roc_auc_difference.map_or("n/a".into(), |d| {
                    format!("{:+.3} ({:+.3} to {:+.3}), {}", d.difference, d.ci[0], d.ci[1], p_text(d.p_value))
                }),
                match g.verdict {
                    Some(leadscore::compare::Verdict::Better) => "predictive better".into(),
                    Some(leadscore::compare::Verdict::Worse) => "predictive worse".into(),
                    Some(leadscore::compare::Verdict::NotDistinguishable) => "not distinguishable".into(),
                    None => "n/a".into(),
                },
            ]
        })
        .collect();
    text_table(
        &["segment", "model", "leads", "won", "manual ROC AUC", "predictive ROC AUC", "difference", "verdict"],
        &rows,
    )
}
