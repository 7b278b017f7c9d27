//! The report's charts, drawn with plotters' SVG backend into strings.
//!
//! Each function takes numbers already computed by [`crate::metrics`],
//! [`crate::evaluate`] or [`crate::compare`] and only draws them.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::metrics::{Band, CalibrationBin, CurvePoint, HistBin};

const W: u32 = 520;
const H: u32 = 380;
const MODEL: RGBColor = RGBColor(31, 119, 180);
const MANUAL: RGBColor = RGBColor(230, 120, 20);
const GREY: RGBColor = RGBColor(150, 150, 150);
const MARK: RGBColor = RGBColor(200, 30, 45);
const FONT: &str = "sans-serif";

fn err<E: std::fmt::Display>(e: E) -> Error {
    Error::Internal(format!("drawing a chart: {e}"))
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The series legend every chart draws: a white box with a grey border at `at`.
fn legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    at: SeriesLabelPosition,
) -> Result<()> {
    chart.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(GREY).position(at).draw().map_err(err)
}

/// Draw a unit-square chart (both axes 0..1) with `body`, returning the SVG text.
fn unit_chart<F>(title: &str, x_desc: &str, y_desc: &str, body: F) -> Result<String>
where
    F: FnOnce(&mut Chart<'_, '_>) -> Result<()>,
{
    chart(title, x_desc, y_desc, 1.0, SeriesLabelPosition::LowerRight, body)
}

/// Draw a chart with x in 0..1 and y in 0..`y_max` with `body`, returning the SVG text.
fn chart<F>(title: &str, x_desc: &str, y_desc: &str, y_max: f64, legend: SeriesLabelPosition, body: F) -> Result<String>
where
    F: FnOnce(&mut Chart<'_, '_>) -> Result<()>,
{
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..1f64, 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        body(&mut chart)?;
        self::legend(&mut chart, legend)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn line(chart: &mut Chart<'_, '_>, pts: Vec<(f64, f64)>, color: RGBColor, label: &str) -> Result<()> {
    chart
        .draw_series(LineSeries::new(pts, color.stroke_width(2)))
        .map_err(err)?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    Ok(())
}

fn diagonal(chart: &mut Chart<'_, '_>, label: &str) -> Result<()> {
    chart
        .draw_series(LineSeries::new(vec![(0.0, 0.0), (1.0, 1.0)], GREY.stroke_width(1)))
        .map_err(err)?
        .label(label)
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY));
    Ok(())
}

fn marker(chart: &mut Chart<'_, '_>, at: (f64, f64), label: &str) -> Result<()> {
    chart
        .draw_series(std::iter::once(Circle::new(at, 6, MARK.filled())))
        .map_err(err)?
        .label(label)
        .legend(|(x, y)| Circle::new((x + 9, y), 5, MARK.filled()));
    Ok(())
}

/// ROC curve(s): the model's, optionally the manual model's, threshold marked.
pub fn roc(model: &[CurvePoint], manual: Option<&[CurvePoint]>, threshold: Option<&CurvePoint>) -> Result<String> {
    unit_chart("ROC curve", "false positive rate", "true positive rate (recall)", |c| {
        let pts = |cv: &[CurvePoint]| {
            std::iter::once((0.0, 0.0)).chain(cv.iter().map(|p| (p.fpr(), p.recall()))).collect::<Vec<_>>()
        };
        line(c, pts(model), MODEL, "predictive")?;
        if let Some(m) = manual {
            line(c, pts(m), MANUAL, "manual points")?;
        }
        diagonal(c, "random")?;
        if let Some(t) = threshold {
            marker(c, (t.fpr(), t.recall()), "threshold")?;
        }
        Ok(())
    })
}

/// Precision-recall curve(s), threshold marked.
pub fn precision_recall(
    model: &[CurvePoint],
    manual: Option<&[CurvePoint]>,
    threshold: Option<&CurvePoint>,
    base_rate: f64,
) -> Result<String> {
    unit_chart("Precision and recall", "recall (share of buyers routed)", "precision (share of routed who buy)", |c| {
        let pts = |cv: &[CurvePoint]| cv.iter().map(|p| (p.recall(), p.precision())).collect::<Vec<_>>();
        line(c, pts(model), MODEL, "predictive")?;
        if let Some(m) = manual {
            line(c, pts(m), MANUAL, "manual points")?;
        }
        c.draw_series(LineSeries::new(vec![(0.0, base_rate), (1.0, base_rate)], GREY))
            .map_err(err)?
            .label("base rate")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY));
        if let Some(t) = threshold {
            marker(c, (t.recall(), t.precision()), "threshold")?;
        }
        Ok(())
    })
}

/// Calibration: observed conversion rate against mean predicted probability per bin.
pub fn calibration(bins: &[CalibrationBin]) -> Result<String> {
    unit_chart("Calibration", "predicted probability", "observed conversion rate", |c| {
        let pts: Vec<(f64, f64)> =
            bins.iter().filter(|b| b.count > 0).map(|b| (b.mean_predicted, b.observed_rate)).collect();
        line(c, pts.clone(), MODEL, "model")?;
        c.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, MODEL.filled()))).map_err(err)?;
        diagonal(c, "perfectly calibrated")?;
        Ok(())
    })
}

/// Cumulative gains: share of buyers found against share of leads called.
pub fn gains(model: &[CurvePoint], manual: Option<&[CurvePoint]>) -> Result<String> {
    unit_chart("Cumulative gains", "share of leads called, best scores first", "share of all buyers found", |c| {
        let pts = |cv: &[CurvePoint]| {
            let n = cv.last().map(|p| (p.routed() + p.fn_ + p.tn) as f64).unwrap_or(1.0).max(1.0);
            std::iter::once((0.0, 0.0))
                .chain(cv.iter().map(|p| (p.routed() as f64 / n, p.recall())))
                .collect::<Vec<_>>()
        };
        line(c, pts(model), MODEL, "predictive")?;
        if let Some(m) = manual {
            line(c, pts(m), MANUAL, "manual points")?;
        }
        diagonal(c, "random order")?;
        Ok(())
    })
}

/// Score distribution of won and lost leads (each as a share of its own class).
pub fn distribution(hist: &[HistBin]) -> Result<String> {
    let won: usize = hist.iter().map(|b| b.won).sum::<usize>().max(1);
    let lost: usize = hist.iter().map(|b| b.lost).sum::<usize>().max(1);
    let ymax =
        hist.iter().map(|b| (b.won as f64 / won as f64).max(b.lost as f64 / lost as f64)).fold(0.0, f64::max).max(0.01)
            * 1.1;
    chart(
        "Scores of won and lost leads",
        "predicted probability",
        "share of the group's leads",
        ymax,
        SeriesLabelPosition::UpperRight,
        |c| {
            for (name, color, count, total) in [
                ("lost", GREY, (|b: &HistBin| b.lost) as fn(&HistBin) -> usize, lost),
                ("won", MODEL, |b: &HistBin| b.won, won),
            ] {
                c.draw_series(hist.iter().map(|b| {
                    Rectangle::new(
                        [(b.lower, 0.0), (b.upper, count(b) as f64 / total as f64)],
                        color.mix(0.55).filled(),
                    )
                }))
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.mix(0.55).filled()));
            }
            Ok(())
        },
    )
}

/// Horizontal bars of signed values with names (coefficients), on an axis symmetric
/// about 0.
pub fn bars(title: &str, items: &[(String, f64)], x_desc: &str) -> Result<String> {
    let m = items.iter().map(|(_, v)| v.abs()).fold(0.0, f64::max).max(1e-6) * 1.1;
    horizontal_bars(title, items, x_desc, -m..m, &[])
}

/// Horizontal bars of population stability indices, which are never negative: the axis
/// starts at 0 and reaches past the highest band, and each band's lower edge is a
/// labelled vertical line (issue 27: the axis ran from -0.02 to 0.02, with no bands).
pub fn stability_bars(title: &str, items: &[(String, f64)], bands: &[(f64, &str)]) -> Result<String> {
    let top = bands.iter().map(|b| b.0).fold(0.0, f64::max);
    let m = items.iter().map(|(_, v)| *v).fold(top, f64::max).max(1e-6) * 1.1;
    horizontal_bars(title, items, "PSI", 0.0..m, bands)
}

/// Horizontal bars over `x`, with labelled vertical lines at `lines`.
fn horizontal_bars(
    title: &str,
    items: &[(String, f64)],
    x_desc: &str,
    x: std::ops::Range<f64>,
    lines: &[(f64, &str)],
) -> Result<String> {
    let k = items.len().max(1);
    let height = (80 + 24 * k) as u32;
    let longest = items.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(10).min(48);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W + 260, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size((longest as u32 * 7).max(60))
            .build_cartesian_2d(x, (0..k).into_segmented())
            .map_err(err)?;
        let names: Vec<String> = items.iter().map(|(n, _)| truncate(n, 48)).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(k)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => {
                    k.checked_sub(1 + *i).and_then(|j| names.get(j)).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .x_desc(x_desc)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(items.iter().enumerate().map(|(i, (_, v))| {
                let row = k - 1 - i;
                let color = if *v >= 0.0 { MODEL } else { MANUAL };
                let mut r = Rectangle::new(
                    [(0.0, SegmentValue::Exact(row)), (*v, SegmentValue::Exact(row + 1))],
                    color.filled(),
                );
                r.set_margin(3, 3, 0, 0);
                r
            }))
            .map_err(err)?;
        for &(at, label) in lines {
            let line = [(at, SegmentValue::Exact(0)), (at, SegmentValue::Exact(k))];
            chart.draw_series(std::iter::once(PathElement::new(line, MANUAL.stroke_width(2)))).map_err(err)?;
            // The label just right of its line, at the top.
            let text = Text::new(label.to_string(), (4, 0), (FONT, 13).into_font().color(&MANUAL));
            chart.draw_series(std::iter::once(EmptyElement::at((at, SegmentValue::Exact(k))) + text)).map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

type BarChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize>, RangedCoordf64>,
>;

/// Vertical bars over named categories (0..labels.len() on a segmented axis), y from 0 to
/// `ymax`; `body` draws the bars; a legend when `legend`. Returns the SVG text.
fn category_bars<F>(
    title: &str,
    labels: &[String],
    ymax: f64,
    y_desc: &str,
    label_size: u32,
    legend: bool,
    body: F,
) -> Result<String>
where
    F: FnOnce(&mut BarChart<'_, '_>) -> Result<()>,
{
    let k = labels.len().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W + 260, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d((0..k).into_segmented(), 0f64..ymax)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(k)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_label_style((FONT, label_size))
            .y_desc(y_desc)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        body(&mut chart)?;
        if legend {
            self::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Vertical bars of conversion rate per group, for one or two models.
pub fn conversion_bars(title: &str, groups: &[(&str, &[Band], RGBColor)]) -> Result<String> {
    let labels: Vec<String> =
        groups.iter().flat_map(|(m, bands, _)| bands.iter().map(move |b| format!("{m}: {}", b.band))).collect();
    let ymax =
        groups.iter().flat_map(|(_, b, _)| b.iter().map(|x| x.conversion_rate)).fold(0.0, f64::max).max(0.01) * 1.15;
    category_bars(title, &labels, ymax, "conversion rate", 12, false, |chart| {
        let mut i = 0usize;
        for (_, bands, color) in groups {
            let start = i;
            chart
                .draw_series(bands.iter().enumerate().map(|(j, b)| {
                    let x = start + j;
                    let mut r = Rectangle::new(
                        [(SegmentValue::Exact(x), 0.0), (SegmentValue::Exact(x + 1), b.conversion_rate)],
                        color.filled(),
                    );
                    r.set_margin(0, 0, 6, 6);
                    r
                }))
                .map_err(err)?;
            i += bands.len();
        }
        Ok(())
    })
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

pub const MODEL_COLOR: RGBColor = MODEL;
pub const MANUAL_COLOR: RGBColor = MANUAL;

/// Shares per bin, in training (grey) and now (blue), side by side: how a distribution
/// moved (`monitor`).
pub fn shares(title: &str, bins: &[crate::monitor::BinShare]) -> Result<String> {
    let ymax = bins.iter().map(|b| b.reference.max(b.current)).fold(0.0, f64::max).max(0.01) * 1.15;
    let names: Vec<String> = bins.iter().map(|b| truncate(&b.bin, 14)).collect();
    category_bars(title, &names, ymax, "share of leads", 11, true, |chart| {
        for (which, color, (l, r)) in [("training", GREY, (4, 22)), ("now", MODEL, (22, 4))] {
            chart
                .draw_series(bins.iter().enumerate().map(|(i, b)| {
                    let v = if which == "training" { b.reference } else { b.current };
                    let mut rect = Rectangle::new(
                        [(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), v)],
                        color.filled(),
                    );
                    rect.set_margin(0, 0, l, r);
                    rect
                }))
                .map_err(err)?
                .label(which)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
        }
        Ok(())
    })
}

/// A number's fitted effect (issue 18): the partial log-odds across its training range
/// (relative to the median's), over the training rows' density as grey bars along the
/// bottom.
pub fn effect(e: &crate::model::Effect) -> Result<String> {
    let (x0, x1) = match (e.curve.first(), e.curve.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (a.0, b.0),
        _ => return Err(Error::Internal(format!("effect of {}: an empty range", e.label))),
    };
    let (lo, hi) = e.curve.iter().fold((0.0f64, 0.0f64), |(l, h), p| (l.min(p.1), h.max(p.1)));
    let pad = ((hi - lo) * 0.1).max(0.05);
    let (y0, y1) = (lo - pad, hi + pad);
    let log_x = !e.days && x0 >= 0.0 && x1 > 100.0 * (x0 + 1.0);
    let fx = |v: f64| if log_x { v.ln_1p() } else { v };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H - 60)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(truncate(&e.label, 48), (FONT, 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(fx(x0)..fx(x1), y0..y1)
            .map_err(err)?;
        let x_desc = match (e.days, log_x) {
            (true, _) => "days before the as-of date".to_string(),
            (false, true) => "value (log scale)".to_string(),
            (false, false) => "value".to_string(),
        };
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("log-odds vs the median")
            .x_label_formatter(&|v| {
                let raw = if log_x { v.exp_m1() } else { *v };
                crate::features::fmt_num((raw * 100.0).round() / 100.0)
            })
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(err)?;
        // The density: the tallest bar a fifth of the height.
        let widest = e.density.iter().map(|&(a, b, s)| s / (fx(b) - fx(a)).max(1e-12)).fold(0.0, f64::max).max(1e-12);
        chart
            .draw_series(e.density.iter().map(|&(a, b, s)| {
                let h = (s / (fx(b) - fx(a)).max(1e-12)) / widest * (y1 - y0) * 0.2;
                Rectangle::new([(fx(a), y0), (fx(b), y0 + h)], GREY.mix(0.35).filled())
            }))
            .map_err(err)?
            .label("training rows")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], GREY.mix(0.35).filled()));
        chart.draw_series(LineSeries::new(vec![(fx(x0), 0.0), (fx(x1), 0.0)], GREY.stroke_width(1))).map_err(err)?;
        let pts: Vec<(f64, f64)> = e.curve.iter().map(|&(x, y)| (fx(x), y)).collect();
        line(&mut chart, pts, MODEL, "fitted effect")?;
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
