//! The per-lead arithmetic, once: a lead's cells to feature values to log-odds to
//! contributions to reasons.
//!
//! Every scoring path goes through [`RowScorer`]: the parallel CSV scorer
//! ([`super::fast`]) with text cells straight from the file, and the in-memory path
//! ([`super::score_table`], also used batch by batch by the streaming scorer and by
//! `evaluate`, `compare` and `report`) with the cells of a polars table. Cells are
//! encoded by the parts' own functions ([`crate::features::Part::encode`]), the design
//! row is standardised, and the log-odds are summed over the design columns in order from
//! zero, then the intercept added: the same order as [`crate::model::LeadModel::log_odds`]
//! on training's design matrix, so all paths give the same bits (property-tested in
//! `tests/`). A lead's score depends on its own cells, the model and the as-of date only.

use crate::features::cell::{Cell, Problem};
use crate::features::pair::PairTerm;
use crate::features::part::Beyond;
use crate::features::{kind_of, Kind, Part};
use crate::model::LeadModel;
use crate::reasons::{select_reasons, write_reason};

/// A cell the model cannot read: which of the model's input columns, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub column: usize,
    pub problem: Problem,
}

/// One input column of the model: its parts and where its design columns lie.
struct ColPlan<'m> {
    name: &'m str,
    kind: &'static dyn Kind,
    /// Each part and the index of its first design column.
    parts: Vec<(&'m Part, usize)>,
    /// Design columns `first..end` are built from this column.
    first: usize,
    end: usize,
    /// What a reason says when the lead's value lies below or above the training range
    /// (a number part that reads such values as the edge).
    notes: Option<[String; 2]>,
}

/// The model compiled for scoring one lead at a time.
pub struct RowScorer<'m> {
    pub model: &'m LeadModel,
    cols: Vec<ColPlan<'m>>,
    /// The model's pairwise interactions and their names (`employees x title`).
    pairs: Vec<(&'m PairTerm, String)>,
    /// A segmented model's routing: the segment column's index among the input columns,
    /// and each segment key with weights of its own to its index in the model's segments.
    route: Option<(usize, foldhash::HashMap<&'m str, usize>)>,
}

/// Scratch space for one thread: the design row, contributions, level caches.
pub struct RowState {
    x: Vec<f64>,
    contrib: Vec<f64>,
    /// Per column, per part: a level part's slot by cell text.
    caches: Vec<Vec<foldhash::HashMap<Box<str>, Option<usize>>>>,
    bottom: Vec<usize>,
    chosen: Vec<usize>,
    /// The last lead's segment with weights of its own (`None`: the global model's).
    segment: Option<usize>,
    /// Per input column, where the last lead's value lay beyond the training range.
    beyond: Vec<Option<Beyond>>,
    /// Per pair, the last lead's cell.
    pair_cell: Vec<usize>,
}

impl RowState {
    /// Each input column's contribution to the last lead's log-odds, then each pair's, as
    /// computed for its reasons (call after [`RowScorer::each_reason`] or its wrappers).
    pub fn contributions(&self) -> &[f64] {
        &self.contrib
    }
}

/// One reason: an input column, the lead's value in it, and its signed contribution;
/// with a note when the value lay beyond what training saw ("above the 50892 seen in
/// training"), which the contribution is then the edge's.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub column: String,
    pub value: String,
    pub contribution: f64,
    pub note: Option<String>,
}

impl<'m> RowScorer<'m> {
    /// Compile `model`. A model file whose features are not grouped by column in order
    /// is refused as damaged (the model file's own consistency check rules it out).
    pub fn new(model: &'m LeadModel) -> crate::Result<RowScorer<'m>> {
        let mut cols = Vec::new();
        let mut j = 0usize;
        for (ci, c) in model.features.columns.iter().enumerate() {
            let first = j;
            let mut parts = Vec::new();
            for part in &c.parts {
                parts.push((part, j));
                j += part.width();
            }
            if model.features.features.get(first..j).is_none_or(|f| f.iter().any(|f| f.column != ci)) {
                return Err(crate::Error::Internal("the model's features are not grouped by input column".into()));
            }
            let notes = c
                .parts
                .iter()
                .filter_map(Part::numeric)
                .find(|p| p.clamp)
                .map(|p| [p.beyond_note(Beyond::Below), p.beyond_note(Beyond::Above)]);
            cols.push(ColPlan { name: &c.name, kind: kind_of(c.role), parts, first, end: j, notes });
        }
        if j != model.coef.len() {
            return Err(crate::Error::Internal("the model's parts and coefficients differ in number".into()));
        }
        let route = match &model.segments {
            None => None,
            Some(s) => {
                let col = cols.iter().position(|c| c.name == s.column).ok_or_else(|| {
                    crate::Error::Internal(format!("the segment column {:?} is not an input column", s.column))
                })?;
                let to = s
                    .segments
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| g.update != crate::segments::Update::Global)
                    .map(|(k, g)| (g.value.as_str(), k))
                    .collect();
                Some((col, to))
            }
        };
        let pairs = model.pairs.iter().map(|p| (p, p.name(&model.features.columns))).collect();
        Ok(RowScorer { model, cols, pairs, route })
    }

    /// The last lead's weights: its segment's, or the global model's.
    fn weights(&self, st: &RowState) -> (&[f64], f64) {
        match (st.segment, &self.model.segments) {
            (Some(k), Some(s)) => (&s.segments[k].coef, s.segments[k].intercept),
            _ => (&self.model.coef, self.model.intercept),
        }
    }

    /// The probability of the last lead scored, whose log-odds are `z`: through the
    /// model's calibration map, or, for a lead of a segment with weights of its own
    /// (fitted on the segment's held-out leads), the logistic function.
    pub fn probability(&self, z: f64, st: &RowState) -> f64 {
        match st.segment {
            Some(_) => crate::metrics::sigmoid(z),
            None => self.model.probability(z),
        }
    }

    /// The segment value of the last lead scored when its segment has weights of its own.
    pub fn segment<'s>(&'s self, st: &RowState) -> Option<&'s str> {
        Some(self.model.segments.as_ref()?.segments[st.segment?].value.as_str())
    }

    /// The model's input columns, in the order cells are asked for.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.cols.iter().map(|c| c.name)
    }

    /// Fresh scratch space.
    pub fn state(&self) -> RowState {
        RowState {
            x: vec![0.0; self.model.coef.len()],
            contrib: vec![0.0; self.cols.len() + self.pairs.len()],
            caches: self.cols.iter().map(|c| c.parts.iter().map(|_| Default::default()).collect()).collect(),
            bottom: Vec::new(),
            chosen: Vec::new(),
            segment: None,
            beyond: vec![None; self.cols.len()],
            pair_cell: vec![0; self.pairs.len()],
        }
    }

    /// The lead's log-odds of winning from its cells (`cell(k)`: its cell in the model's
    /// k-th input column). Leaves the standardised design row in `st` for
    /// [`Self::reasons`].
    pub fn log_odds<'c>(
        &self,
        cell: impl Fn(usize) -> Cell<'c>,
        as_of_day: i64,
        st: &mut RowState,
    ) -> Result<f64, CellError> {
        // A segmented model's weights: by the segment cell (other models skip this).
        st.segment = match &self.route {
            Some((seg_col, to)) => match cell(*seg_col) {
                Cell::Text(s) => to.get(&*crate::segments::Segments::key(s)).copied(),
                _ => None,
            },
            None => None,
        };
        for (ci, col) in self.cols.iter().enumerate() {
            let c = cell(ci);
            st.beyond[ci] = None;
            for (pi, &(part, j0)) in col.parts.iter().enumerate() {
                let out = &mut st.x[j0..j0 + part.width()];
                match (part, c) {
                    // Levels by cell text, cached: the same slot `encode` gives.
                    (Part::Levels(p), Cell::Text(s)) if p.kind.cacheable() => {
                        let cache = &mut st.caches[ci][pi];
                        let slot = match cache.get(s) {
                            Some(&slot) => slot,
                            None => {
                                let slot = p.slot(Some(&p.kind.level(s)));
                                cache.insert(s.into(), slot);
                                slot
                            }
                        };
                        p.one_hot(slot, out);
                    }
                    // A number read as the edge beyond the training range is noted for
                    // its reason (a column has at most one number part).
                    _ => {
                        let side =
                            part.encode(c, as_of_day, out).map_err(|problem| CellError { column: ci, problem })?;
                        if side.is_some() {
                            st.beyond[ci] = side;
                        }
                    }
                }
            }
        }
        let f = &self.model.features;
        let (coef, intercept) = self.weights(st);
        let mut z = 0.0f64;
        for (((v, c), sc), w) in st.x.iter_mut().zip(&f.center).zip(&f.scale).zip(coef) {
            *v = (*v - c) * sc;
            z += *v * w;
        }
        let mut z = z + intercept;
        // The pairs after the columns and the intercept, in order (training's order too).
        for ((p, _), slot) in self.pairs.iter().zip(st.pair_cell.iter_mut()) {
            *slot = p.cell(p.axis_a.bin(cell(p.a), as_of_day), p.axis_b.bin(cell(p.b), as_of_day));
            z += p.table[*slot];
        }
        Ok(z)
    }

    /// Each input column's contribution to the last lead's log-odds (coefficient times
    /// standardised value, summed over the column's design columns in order).
    fn contributions(&self, st: &mut RowState) {
        let (w, _) = self.weights(st);
        for (ci, col) in self.cols.iter().enumerate() {
            let mut c = 0.0f64;
            for (&w, &v) in w[col.first..col.end].iter().zip(&st.x[col.first..col.end]) {
                if w != 0.0 {
                    c += w * v;
                }
            }
            st.contrib[ci] = c;
        }
        let n = self.cols.len();
        for (k, (p, _)) in self.pairs.iter().enumerate() {
            st.contrib[n + k] = p.table[st.pair_cell[k]];
        }
    }

    /// The last lead's strongest `positive` raising and `positive - 1` lowering reasons
    /// (`text(k)`: its raw cell in input column k, for the value shown), calling `each`
    /// with (column, value shown, contribution, the note on a value beyond the training
    /// range) in order.
    pub fn each_reason<'c>(
        &self,
        st: &mut RowState,
        positive: usize,
        text: impl Fn(usize) -> Option<&'c str>,
        mut each: impl FnMut(&str, &str, f64, Option<&str>),
    ) {
        self.contributions(st);
        let RowState { contrib, bottom, chosen, beyond, pair_cell, .. } = st;
        select_reasons(contrib, positive, bottom, chosen);
        for &ci in chosen.iter() {
            let Some(col) = self.cols.get(ci) else {
                // A pair: its cell, `50-200 x vp`.
                let k = ci - self.cols.len();
                let (p, name) = &self.pairs[k];
                each(name, &p.cell_label(pair_cell[k]), contrib[ci], None);
                continue;
            };
            let value = match text(ci).map(str::trim) {
                Some(s) if !s.is_empty() => col.kind.reason_value(s),
                _ => "(missing)",
            };
            let note = match (beyond[ci], &col.notes) {
                (Some(Beyond::Below), Some([below, _])) => Some(below.as_str()),
                (Some(Beyond::Above), Some([_, above])) => Some(above.as_str()),
                _ => None,
            };
            each(col.name, value, contrib[ci], note);
        }
    }

    /// The last lead's reasons as the output shows them: `column = value (+0.84); ...`,
    /// the contributions written with the decimal `mark` (`.` or `,`).
    pub fn reason_text<'c>(
        &self,
        st: &mut RowState,
        positive: usize,
        text: impl Fn(usize) -> Option<&'c str>,
        mark: char,
        buf: &mut String,
    ) {
        buf.clear();
        let mut first = true;
        self.each_reason(st, positive, text, |column, value, c, note| {
            if !first {
                buf.push_str("; ");
            }
            first = false;
            write_reason(buf, column, value, c, mark, note);
        });
    }

    /// The last lead's reasons as values.
    pub fn reasons<'c>(
        &self,
        st: &mut RowState,
        positive: usize,
        text: impl Fn(usize) -> Option<&'c str>,
    ) -> Vec<Reason> {
        let mut out = Vec::new();
        self.each_reason(st, positive, text, |column, value, contribution, note| {
            out.push(Reason {
                column: column.to_string(),
                value: value.to_string(),
                contribution,
                note: note.map(str::to_string),
            })
        });
        out
    }
}
