//! `leadscore._leadscore`: the Python module, glue over the library's front doors
//! (`leadscore::api`) and nothing else. The Python package (`leadscore/__init__.py`)
//! wraps it with the API the README shows.
//!
//! - **Frames** come in and go out through the Arrow C stream interface (the
//!   `__arrow_c_stream__` PyCapsule protocol): any object that offers it (polars 1.x,
//!   pyarrow tables, pandas 2.2 through pyarrow) is read into a table as a Parquet file
//!   would be; scored leads leave as an [`ArrowStream`] that polars and pyarrow take.
//! - **Errors** are the command line's messages: bad input or usage (its exit code 2)
//!   raises `BadInputError`, a `ValueError`; anything else `LeadscoreError`. A panic is
//!   caught and raised as `LeadscoreError`, never taking the interpreter down.
//! - **Long work** runs with the interpreter released (`Python::detach`); progress comes
//!   back through a callable the package turns into a tqdm bar.

use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use leadscore::api::{self, Leads};
use leadscore::model::LeadModel;
use polars::prelude::*;
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
use polars_arrow::ffi::{export_iterator, ArrowArrayStream, ArrowArrayStreamReader};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

create_exception!(_leadscore, LeadscoreError, PyException, "A leadscore failure that is not the input's fault.");
create_exception!(
    _leadscore,
    BadInputError,
    PyValueError,
    "Bad input or usage: the message names the file, column, row and value, as the command line's does."
);

/// The library's error as a Python exception.
fn py_err(e: leadscore::Error) -> PyErr {
    match e.exit_code() {
        2 => BadInputError::new_err(e.to_string()),
        _ => LeadscoreError::new_err(e.to_string()),
    }
}

/// Run `work` with the interpreter released; a panic becomes a `LeadscoreError`.
fn detached<T: Send>(py: Python<'_>, work: impl FnOnce() -> leadscore::Result<T> + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(work)))
        .map_err(|p| {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            LeadscoreError::new_err(format!("internal failure (please report it): {what}"))
        })?
        .map_err(py_err)
}

/// The name a frame goes by in messages.
const FRAME: &str = "(DataFrame)";

/// Read an object offering `__arrow_c_stream__` into a polars frame.
fn frame_of(data: &Bound<'_, PyAny>) -> PyResult<DataFrame> {
    let capsule = data.call_method0("__arrow_c_stream__")?;
    let capsule = capsule.cast::<PyCapsule>().map_err(|_| {
        BadInputError::new_err("__arrow_c_stream__ did not return a PyCapsule (the Arrow C stream interface)")
    })?;
    let ptr = capsule.pointer_checked(Some(c"arrow_array_stream"))?.as_ptr() as *mut ArrowArrayStream;
    // Take the stream out of the capsule (leaving a released one, which its destructor
    // skips), as the interface says a consumer does.
    let stream = unsafe { std::ptr::replace(ptr, ArrowArrayStream::empty()) };
    let arrow = |e: PolarsError| BadInputError::new_err(format!("{FRAME}: reading its Arrow stream: {e}"));
    let mut reader = unsafe { ArrowArrayStreamReader::try_new(Box::new(stream)) }.map_err(arrow)?;
    let fields = match reader.field().dtype() {
        ArrowDataType::Struct(fields) => fields.clone(),
        other => return Err(BadInputError::new_err(format!("{FRAME}: expected a table's stream, got {other:?}"))),
    };
    // Refused from the schema, before any batch is read.
    if let Some(f) = fields.iter().find(|f| !readable(&f.dtype)) {
        return Err(BadInputError::new_err(format!(
            "{FRAME}: column {:?} is of type {:?}, which leadscore does not read; cast it to text, a number, a \
             boolean or a date first",
            f.name.as_str(),
            f.dtype
        )));
    }
    let mut chunks: Vec<Vec<Box<dyn Array>>> = vec![Vec::new(); fields.len()];
    while let Some(batch) = unsafe { reader.next() } {
        let batch = batch.map_err(arrow)?;
        let batch = batch
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| BadInputError::new_err(format!("{FRAME}: a batch that is not a table")))?;
        for (k, a) in batch.values().iter().enumerate() {
            chunks[k].push(a.clone());
        }
    }
    let mut columns = Vec::with_capacity(fields.len());
    let mut height = 0;
    for (f, arrays) in fields.iter().zip(chunks) {
        let s = if arrays.is_empty() {
            Series::new_empty(f.name.clone(), &DataType::from_arrow_field(f))
        } else {
            // A backstop: a type polars reads only with a feature this build leaves out
            // panics in polars; it becomes the same error.
            catch_unwind(AssertUnwindSafe(|| Series::from_arrow_chunks(f.name.clone(), arrays)))
                .unwrap_or_else(|_| Err(PolarsError::ComputeError("this type is not read".into())))
                .map_err(|e| {
                    BadInputError::new_err(format!(
                        "{FRAME}: column {:?} of type {:?} cannot be read: {e} (cast it to text or a number first)",
                        f.name.as_str(),
                        f.dtype
                    ))
                })?
        };
        height = s.len();
        columns.push(s.into_column());
    }
    DataFrame::new(height, columns).map_err(|e| BadInputError::new_err(format!("{FRAME}: {e}")))
}

/// Arrow types read as a Parquet file's columns are: text, numbers, booleans, dates and
/// times, nulls, and dictionaries of text.
fn readable(dtype: &ArrowDataType) -> bool {
    use ArrowDataType as T;
    match dtype {
        T::Null | T::Boolean | T::Utf8 | T::LargeUtf8 | T::Utf8View => true,
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64 => true,
        T::Float32 | T::Float64 => true,
        T::Date32 | T::Date64 | T::Timestamp(_, _) => true,
        T::Dictionary(_, values, _) => matches!(**values, T::Utf8 | T::LargeUtf8 | T::Utf8View),
        T::Extension(e) => readable(&e.inner),
        _ => false,
    }
}

/// The leads a call is given: a path (str or os.PathLike, read as the command line reads
/// it) or a frame.
fn leads_of(data: &Bound<'_, PyAny>, fingerprint: bool, as_of: Option<&str>) -> PyResult<Leads> {
    let mut leads = if data.hasattr("__arrow_c_stream__")? {
        let df = frame_of(data)?;
        Leads::table(leadscore::data::from_frame(df, FRAME, fingerprint).map_err(py_err)?)
    } else if let Ok(p) = data.extract::<PathBuf>() {
        Leads::file(p)
    } else {
        return Err(BadInputError::new_err(format!(
            "data: expected a DataFrame (polars, pandas, pyarrow) or a file's path, got {}",
            data.get_type().name()?
        )));
    };
    leads.as_of = as_of.map(parse_date).transpose()?;
    Ok(leads)
}

fn parse_date(s: &str) -> PyResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| BadInputError::new_err(format!("as_of: {s:?} is not a date; use YYYY-MM-DD")))
}

/// A frame leaving Rust: offers `__arrow_c_stream__` once (polars' and pyarrow's
/// constructors take it).
#[pyclass(module = "leadscore._leadscore")]
struct ArrowStream {
    frame: Option<DataFrame>,
}

#[pymethods]
impl ArrowStream {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &mut self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let mut df = self.frame.take().ok_or_else(|| LeadscoreError::new_err("this stream was read already"))?;
        df.rechunk_mut();
        let level = CompatLevel::oldest();
        let fields: Vec<ArrowField> = df.columns().iter().map(|c| c.field().to_arrow(level)).collect();
        let dtype = ArrowDataType::Struct(fields);
        let batches: Vec<Box<dyn Array>> = df
            .iter_chunks(level, false)
            .map(|b| {
                let height = b.height();
                Box::new(StructArray::new(dtype.clone(), height, b.into_arrays(), None)) as Box<dyn Array>
            })
            .collect();
        let stream = export_iterator(Box::new(batches.into_iter().map(Ok)), ArrowField::new("".into(), dtype, false));
        PyCapsule::new_with_destructor(py, stream, Some(CString::from(c"arrow_array_stream")), |s, _| drop(s))
    }
}

fn stream(frame: DataFrame) -> ArrowStream {
    ArrowStream { frame: Some(frame) }
}

/// A model: trained here or read from a model file (the same file as the command line's).
#[pyclass(module = "leadscore._leadscore")]
struct Model {
    model: LeadModel,
    /// `train --json`'s summary as JSON text (`inspect --json`'s for a model read from a
    /// file: the file does not keep every training figure).
    summary: String,
    warnings: Vec<String>,
}

/// Call the progress callable, if any, with the interpreter attached.
fn tell(progress: &Option<Py<PyAny>>, message: &str) {
    if let Some(cb) = progress {
        Python::attach(|py| {
            // Progress is best effort: a failing callable does not stop the work.
            let _ = cb.call1(py, (message,));
        });
    }
}

/// Train a model: `data` a frame or a path; `options` the train flags as (name, values).
#[pyfunction]
#[pyo3(signature = (data, label, options, progress=None))]
fn train(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    label: &str,
    options: Vec<(String, Vec<String>)>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Model> {
    let mut settings = leadscore::model::record::TrainSettings::new(label);
    let mut as_of = None;
    let mut sample = None;
    let mut flags = Vec::new();
    for (name, values) in options {
        match name.as_str() {
            "as_of" => as_of = values.first().cloned(),
            "sample" => {
                sample = Some(values.first().and_then(|v| v.trim().parse::<u64>().ok()).ok_or_else(|| {
                    BadInputError::new_err(format!("sample: {values:?} is not a whole number of rows"))
                })?)
            }
            _ => flags.push((name, values)),
        }
    }
    leadscore::train::settings::apply_options(&mut settings, &flags).map_err(py_err)?;
    settings.sample = sample;
    let leads = leads_of(data, true, as_of.as_deref())?;
    let job = api::train::TrainJob { leads, settings };
    let outcome = detached(py, || {
        api::train::train(&job, &mut |p| match p {
            api::train::TrainProgress::Note(m) | api::train::TrainProgress::Stage(m) => tell(&progress, m),
        })
    })?;
    let summary = leadscore::train::summary::TrainSummary::of(&outcome).to_value().map_err(py_err)?;
    Ok(Model {
        summary: summary.to_string(),
        warnings: outcome.warnings.iter().map(|w| w.text()).collect(),
        model: outcome.model,
    })
}

/// Read a model file; its summary is `inspect --json`'s, its warnings those it recorded.
#[pyfunction]
fn load(py: Python<'_>, path: PathBuf) -> PyResult<Model> {
    let (model, file) = detached(py, || leadscore::model_file::load_with_info(&path))?;
    let inspection = leadscore::inspect::describe(&model, &path, file);
    let warnings =
        inspection.warnings.iter().map(|w| leadscore::model::record::warning_text(&w.column, &w.message)).collect();
    Ok(Model { summary: json(&inspection)?, warnings, model })
}

impl Model {
    /// The score job for `data` (stop at the first cell the model cannot read).
    fn score_job(
        &self,
        data: &Bound<'_, PyAny>,
        as_of: Option<&str>,
        reasons: usize,
        id: Option<String>,
    ) -> PyResult<api::score::ScoreJob<'_>> {
        Ok(api::score::ScoreJob {
            reasons,
            id,
            ..api::score::ScoreJob::new(&self.model, leads_of(data, false, as_of)?)
        })
    }
}

fn bootstrap(seed: u64) -> leadscore::uncertainty::Bootstrap {
    leadscore::uncertainty::Bootstrap { seed, ..Default::default() }
}

fn json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| LeadscoreError::new_err(format!("writing the result as JSON: {e}")))
}

#[pymethods]
impl Model {
    /// `train --json`'s summary as JSON text (`inspect --json`'s for a model read from a
    /// file).
    #[getter]
    fn summary_json(&self) -> String {
        self.summary.clone()
    }

    /// The warnings training gave.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// Write the model file (atomically).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        detached(py, || leadscore::model_file::save(&self.model, &path))
    }

    /// Score leads: the scored frame as an Arrow stream, the date it counted from, and a
    /// warning when that date is far past the training data.
    #[pyo3(signature = (data, as_of=None, reasons=5, id=None))]
    fn score(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        as_of: Option<&str>,
        reasons: usize,
        id: Option<String>,
    ) -> PyResult<(ArrowStream, String, Option<String>)> {
        let job = self.score_job(data, as_of, reasons, id)?;
        let warning = job.gap_warning();
        let done = detached(py, || api::score::score_table(&job))?;
        Ok((stream(done.frame), done.as_of.describe(), warning))
    }

    /// Each lead's reasons as (feature, value, contribution) rows, strongest first.
    #[pyo3(signature = (data, as_of=None, reasons=5))]
    fn explain(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        as_of: Option<&str>,
        reasons: usize,
    ) -> PyResult<Vec<Vec<(String, String, f64)>>> {
        let job = self.score_job(data, as_of, reasons, None)?;
        let leads = detached(py, || api::score::explain(&job))?;
        Ok(leads
            .into_iter()
            .map(|e| {
                e.reasons
                    .into_iter()
                    .map(|r| {
                        // A value beyond the training range says so, as in `score`'s text.
                        let value = match r.note {
                            Some(n) => format!("{} ({n})", r.value),
                            None => r.value,
                        };
                        (r.column, value, r.contribution)
                    })
                    .collect()
            })
            .collect())
    }

    /// `evaluate --json` as JSON text.
    #[pyo3(signature = (data, as_of=None, by=None, seed=42))]
    fn evaluate(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        as_of: Option<&str>,
        by: Option<String>,
        seed: u64,
    ) -> PyResult<String> {
        let job = api::evaluate::EvaluateJob {
            model: &self.model,
            leads: leads_of(data, false, as_of)?,
            by,
            bootstrap: bootstrap(seed),
        };
        let done = detached(py, || api::evaluate::evaluate(&job))?;
        json(&done.evaluation)
    }

    /// A copy of the model with its threshold chosen on `data` as `strategy` says, and
    /// what was chosen, as JSON text.
    #[pyo3(signature = (data, strategy, as_of=None))]
    fn threshold(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        strategy: &str,
        as_of: Option<&str>,
    ) -> PyResult<(Model, String)> {
        let strategy = strategy.parse::<leadscore::threshold::Strategy>().map_err(py_err)?;
        let job =
            api::threshold::ThresholdJob { model: self.model.clone(), leads: leads_of(data, true, as_of)?, strategy };
        let done = detached(py, || api::threshold::threshold(job))?;
        let p = done.choice.point;
        let chosen = serde_json::json!({
            "threshold": p.threshold,
            "routed": p.routed(),
            "precision": p.precision(),
            "recall": p.recall(),
            "labelled": done.rows,
            "won": done.won,
            "note": done.choice.note,
            "training_file": done.training_file,
            "as_of": done.as_of.date.to_string(),
        });
        Ok((
            Model { model: done.model, summary: self.summary.clone(), warnings: self.warnings.clone() },
            chosen.to_string(),
        ))
    }

    /// `compare --json` (the rules file against the model) as JSON text.
    #[pyo3(signature = (rules, data, as_of=None, id=None, seed=42))]
    fn compare(
        &self,
        py: Python<'_>,
        rules: PathBuf,
        data: &Bound<'_, PyAny>,
        as_of: Option<&str>,
        id: Option<String>,
        seed: u64,
    ) -> PyResult<String> {
        let leads = leads_of(data, false, as_of)?;
        let done = detached(py, || {
            let rules = leadscore::rules::RulesFile::load(&rules)?;
            api::compare::compare(&api::compare::CompareJob {
                model: &self.model,
                rules: &rules,
                leads,
                id,
                bootstrap: bootstrap(seed),
            })
        })?;
        json(&done.comparison)
    }

    /// Write the HTML report of the model on `data` to `path`.
    #[pyo3(signature = (path, data, rules=None, as_of=None, seed=42))]
    fn report(
        &self,
        py: Python<'_>,
        path: PathBuf,
        data: &Bound<'_, PyAny>,
        rules: Option<PathBuf>,
        as_of: Option<&str>,
        seed: u64,
    ) -> PyResult<()> {
        let leads = leads_of(data, false, as_of)?;
        detached(py, || {
            let rules_file = rules.as_deref().map(leadscore::rules::RulesFile::load).transpose()?;
            let name = rules.as_deref().map(leadscore::data::file_name);
            let job = api::report::ReportJob {
                model: &self.model,
                leads,
                rules: rules_file.as_ref().zip(name),
                bootstrap: bootstrap(seed),
            };
            let done = api::report::report(&job)?;
            leadscore::data::write_text(&path, &done.html)
        })
    }
}

#[pymodule]
fn _leadscore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_class::<Model>()?;
    m.add_class::<ArrowStream>()?;
    m.add("LeadscoreError", m.py().get_type::<LeadscoreError>())?;
    m.add("BadInputError", m.py().get_type::<BadInputError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
