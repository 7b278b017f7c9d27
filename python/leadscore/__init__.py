"""leadscore: predictive lead scoring an analyst owns, from Python.

The same library as the ``leadscore`` command line, the same model file, the same bits:

    import leadscore
    model = leadscore.train("data/sample_leads.csv", label="outcome")
    scored = model.score(new_leads, as_of="2025-07-01")   # a DataFrame of the kind given
    model.save("leads.model")                             # the CLI reads it, and the reverse

``data`` is a polars, pandas or pyarrow frame (anything with ``__arrow_c_stream__``,
the Arrow PyCapsule interface) or a CSV / Parquet file's path, read as the command line
reads it. Options are ``train``'s flags in snake_case (``holdout=0.3``,
``exclude=["status"]``, ``no_refit=True``). Bad input raises :class:`BadInputError`, a
``ValueError`` whose message names the file, column, row and value.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ._leadscore import BadInputError, LeadscoreError, __version__
from ._leadscore import load as _load
from ._leadscore import train as _train

__all__ = ["train", "load", "Model", "BadInputError", "LeadscoreError", "__version__"]


def _kind(data: Any) -> str:
    """Which library a frame belongs to, so that results come back as the same kind."""
    module = type(data).__module__.split(".")[0]
    if module in ("polars", "pandas", "pyarrow"):
        return module
    return "path" if isinstance(data, (str, os.PathLike)) else "other"


def _arrow_input(data: Any) -> Any:
    """A path as it is; a frame as an object offering ``__arrow_c_stream__``."""
    kind = _kind(data)
    if kind == "path":
        return os.fspath(data)
    if kind == "polars":
        import polars as pl

        # Categorical and enum columns leave polars as Arrow dictionaries: send the text.
        if isinstance(data, pl.LazyFrame):
            data = data.collect()
        cats = [c for c, t in data.schema.items() if t in (pl.Categorical, pl.Enum) or isinstance(t, (pl.Categorical, pl.Enum))]
        if cats:
            data = data.with_columns(pl.col(cats).cast(pl.String))
        if hasattr(data, "__arrow_c_stream__"):
            return data
        # polars before the PyCapsule interface (1.0 to 1.x): through pyarrow.
        try:
            return data.to_arrow()
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise BadInputError(
                f"polars {pl.__version__} cannot hand a frame over by itself: pip install pyarrow, or a newer polars"
            ) from e
    if kind == "pandas":
        try:
            import pyarrow as pa
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise BadInputError("a pandas DataFrame goes through pyarrow: pip install pyarrow") from e
        frame = data.copy(deep=False)
        for c in frame.columns:
            if str(frame[c].dtype) == "category":
                frame[c] = frame[c].astype("string")
        frame.columns = [str(c) for c in frame.columns]
        return pa.Table.from_pandas(frame, preserve_index=False)
    if hasattr(data, "__arrow_c_stream__"):
        return data
    raise BadInputError(
        f"data: expected a DataFrame (polars, pandas, pyarrow) or a file's path, got {type(data).__name__}"
    )


def _frame_like(stream: Any, like: str) -> Any:
    """The scored leads as a frame of the kind the leads came as (a path gives polars when
    it is installed, else pandas)."""
    if like == "pandas" or like == "pyarrow":
        import pyarrow as pa

        table = pa.table(stream)
        return table if like == "pyarrow" else table.to_pandas()
    try:
        import polars as pl
    except ImportError:
        import pyarrow as pa

        return pa.table(stream).to_pandas()
    try:
        return pl.DataFrame(stream)
    except TypeError:
        # polars before the PyCapsule interface: through pyarrow.
        import pyarrow as pa

        return pl.from_arrow(pa.table(stream))


def _date_text(value: Any) -> str | None:
    """A date given as text ("YYYY-MM-DD"), a ``datetime.date`` or a ``datetime`` (its day)."""
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "date") and callable(value.date):
        value = value.date()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _option_values(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, os.PathLike):
        return [os.fspath(value)]
    return [str(value)]


class _Progress:
    """Training's stages as a tqdm bar in a notebook or terminal (a line per stage when
    tqdm is missing), or nothing."""

    def __init__(self, show: bool):
        self.bar = None
        self.show = show
        if show:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=None, desc="leadscore", bar_format="{desc} [{elapsed}]")
            except ImportError:
                self.bar = None

    def __call__(self, message: str) -> None:
        if not self.show:
            return
        if self.bar is not None:
            self.bar.set_description_str(f"leadscore: {message}")
        else:
            print(f"leadscore: {message}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_description_str("leadscore: done")
            self.bar.close()


def train(
    data: Any,
    label: str,
    positive: str | None = None,
    id: str | None = None,
    progress: bool = True,
    **options: Any,
) -> "Model":
    """Train a model on labelled leads, as ``leadscore train`` does.

    ``options`` are the ``train`` flags in snake_case: ``holdout``, ``holdout_by``,
    ``holdout_last``, ``seed``, ``alpha``, ``strategy``, ``exclude``, ``spec``,
    ``date_format``, ``screen``, ``cv``, ``calibrate``, ``resolution``, ``segment_by``,
    ``tiers``, ``no_refit``, ``carry``, ``beyond_range`` ("edge" or "extend"),
    ``rare_levels`` ("shrink" or "standardise"), ``as_of`` ("YYYY-MM-DD") and ``sample`` (a CSV
    path only). The result's ``summary`` is ``train --json``'s and ``warnings`` lists
    what training warned of.
    """
    given = dict(options)
    if "as_of" in given:
        given["as_of"] = _date_text(given["as_of"])
    if positive is not None:
        given["positive"] = positive
    if id is not None:
        given["id"] = id
    pairs = [(name, _option_values(value)) for name, value in given.items() if value is not None]
    bar = _Progress(progress)
    try:
        inner = _train(_arrow_input(data), label, pairs, bar if progress else None)
    finally:
        bar.close()
    return Model(inner)


def load(path: str | os.PathLike) -> "Model":
    """Read a model file written by ``leadscore train`` (or :meth:`Model.save`)."""
    return Model(_load(os.fspath(path)))


class Model:
    """A trained lead-scoring model: one logistic model with exact reasons per lead."""

    def __init__(self, inner: Any):
        self._inner = inner

    @property
    def summary(self) -> dict:
        """``train --json``'s summary (for a model read from a file: ``inspect --json``'s)."""
        return json.loads(self._inner.summary_json)

    @property
    def warnings(self) -> list[str]:
        """What training warned of (leaks, small samples, ...), in the command line's words."""
        return list(self._inner.warnings)

    def score(self, data: Any, as_of: str | None = None, reasons: int = 5, id: str | None = None) -> Any:
        """Score leads: id (or row), probability, score (0-100), tier, decision and reasons
        (``reasons`` up, one fewer down; the command line's ``--reasons`` is 3 by default).

        Returns a frame of the kind given (polars, pandas or pyarrow; a path gives polars).
        Dates count back from ``as_of`` ("YYYY-MM-DD" or a ``datetime.date``), by default
        today (UTC), so that no lead's score depends on the others; pass it to score
        history as of its time. ``last_as_of`` then says which date was used, and why.
        """
        stream, as_of_text, warning = self._inner.score(_arrow_input(data), _date_text(as_of), reasons, id)
        if warning:
            import warnings

            warnings.warn(warning, stacklevel=2)
        self.last_as_of = as_of_text
        return _frame_like(stream, _kind(data))

    def reasons(self, data: Any, as_of: str | None = None, reasons: int = 5) -> list[list[tuple[str, str, float]]]:
        """Each lead's reasons as (feature, value, contribution to the log-odds) rows,
        strongest first: ``reasons`` up, one fewer down, as ``score`` writes them. A value
        beyond what training saw, which scores as the training range's edge, says so after
        it: ``("headcount", "1000000000 (above the 50892 seen in training)", -0.9)``."""
        return self._inner.explain(_arrow_input(data), _date_text(as_of), reasons)

    def evaluate(self, data: Any, as_of: str | None = None, by: str | None = None, seed: int = 42) -> dict:
        """``leadscore evaluate --json`` on labelled leads the model did not train on."""
        return json.loads(self._inner.evaluate(_arrow_input(data), _date_text(as_of), by, seed))

    def threshold(self, data: Any, strategy: str, as_of: str | None = None) -> "Model":
        """A copy of the model with its threshold chosen on labelled leads (``f1``,
        ``precision:0.6``, ``top:500``, ``value:GAIN,COST`` ...); ``.chosen`` says what."""
        inner, chosen = self._inner.threshold(_arrow_input(data), strategy, _date_text(as_of))
        model = Model(inner)
        model.chosen = json.loads(chosen)
        return model

    def compare(self, rules: str | os.PathLike, data: Any, as_of: str | None = None, seed: int = 42) -> dict:
        """``leadscore compare --json``: the manual points model (a rules file) against
        this model on the same labelled leads."""
        return json.loads(self._inner.compare(os.fspath(rules), _arrow_input(data), _date_text(as_of), None, seed))

    def report(
        self,
        path: str | os.PathLike,
        data: Any,
        rules: str | os.PathLike | None = None,
        as_of: str | None = None,
        seed: int = 42,
    ) -> str:
        """Write the HTML report of the model on labelled leads; returns the path."""
        rules_path = os.fspath(rules) if rules is not None else None
        self._inner.report(os.fspath(path), _arrow_input(data), rules_path, _date_text(as_of), seed)
        return os.fspath(path)

    def save(self, path: str | os.PathLike) -> str:
        """Write the model file (the command line's format); returns the path."""
        self._inner.save(os.fspath(path))
        return os.fspath(path)

    def __repr__(self) -> str:
        s = self.summary
        holdout = s.get("holdout") if isinstance(s.get("holdout"), dict) else {}
        auc = holdout.get("roc_auc")
        rows = s.get("rows", s.get("train_rows"))
        text = f"<leadscore.Model: {rows} labelled rows"
        return text + (f", holdout ROC AUC {auc:.4f}>" if isinstance(auc, float) else ">")
