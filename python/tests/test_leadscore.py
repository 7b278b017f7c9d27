"""The Python package against the command line: the same scores to the bit, the same
model files both ways, polars and pandas alike, and bad input raised as ValueError."""

import json

import pandas as pd
import polars as pl
import pytest

import leadscore
from conftest import AS_OF, DATA

NEW = DATA / "new_leads.csv"


def cli_scores(cli, model, tmp_path, data=NEW, reasons=3):
    out = tmp_path / "cli_scored.csv"
    cli("score", "--model", model, "--data", data, "--output", out, "--as-of", AS_OF, "--reasons", reasons, "-q", "--force")
    # Every column as text: the CSV's shortest round-trip floats read back exactly.
    return pl.read_csv(out, infer_schema_length=0)


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.all().cast(pl.String))


def test_scores_are_bit_equal_to_the_command_line(cli, cli_model, tmp_path):
    model = leadscore.load(cli_model)
    expected = cli_scores(cli, cli_model, tmp_path)
    for data in (NEW, pl.read_csv(NEW)):
        got = model.score(data, as_of=AS_OF, reasons=3)
        assert got.columns == expected.columns
        assert got.height == expected.height == 1000
        # Bit-equal probabilities: the CLI's text parsed as f64 is the same f64.
        assert got["probability"].to_list() == expected["probability"].cast(pl.Float64).to_list()
        assert as_text(got.drop("probability")).equals(expected.drop("probability"))


def test_polars_and_pandas_inputs_give_the_same_output(cli_model):
    model = leadscore.load(cli_model)
    frame = pl.read_csv(NEW)
    from_polars = model.score(frame, as_of=AS_OF)
    from_pandas = model.score(frame.to_pandas(use_pyarrow_extension_array=True), as_of=AS_OF)
    assert isinstance(from_pandas, pd.DataFrame)
    assert pl.from_pandas(from_pandas).equals(from_polars)
    # pandas' own reader (integers with gaps become floats): the same probabilities.
    plain = model.score(pd.read_csv(NEW), as_of=AS_OF)
    assert plain["probability"].tolist() == from_polars["probability"].to_list()
    assert plain["decision"].tolist() == from_polars["decision"].to_list()


def test_a_model_saved_from_python_loads_in_the_command_line_and_the_reverse(cli, cli_model, tmp_path):
    trained = leadscore.train(DATA / "sample_leads.csv", label="outcome", progress=False)
    saved = trained.save(tmp_path / "py.model")
    # The same options on the same file: the same model file, byte for byte.
    assert open(saved, "rb").read() == open(cli_model, "rb").read()
    expected = cli_scores(cli, saved, tmp_path, reasons=5)
    again = leadscore.load(cli_model).score(NEW, as_of=AS_OF)
    assert again.equals(trained.score(NEW, as_of=AS_OF))
    assert as_text(again.drop("probability")).equals(expected.drop("probability"))
    assert again["probability"].to_list() == expected["probability"].cast(pl.Float64).to_list()
    inspected = json.loads(cli("inspect", saved, "--json").stdout)
    assert inspected["threshold"]["value"] == trained.summary["threshold"]


def test_training_from_a_frame_reads_as_the_file_does(cli_model):
    from_file = leadscore.load(cli_model)
    from_frame = leadscore.train(pl.read_csv(DATA / "sample_leads.csv", infer_schema_length=0), label="outcome", progress=False)
    a = from_file.score(NEW, as_of=AS_OF)
    b = from_frame.score(NEW, as_of=AS_OF)
    assert a["probability"].to_list() == b["probability"].to_list()
    # The same frame twice: the same model (its fingerprint is of the frame's cells).
    again = leadscore.train(pl.read_csv(DATA / "sample_leads.csv", infer_schema_length=0), label="outcome", progress=False)
    assert again.summary == from_frame.summary


def test_options_are_the_train_flags(tmp_path, cli):
    model = leadscore.train(
        DATA / "sample_leads.csv",
        label="outcome",
        holdout=0.3,
        seed=7,
        exclude=["lead_source"],
        alpha=0.5,
        no_refit=True,
        strategy="precision:0.5",
        tiers="c,m:0.2,s:0.5",
        beyond_range="extend",
        rare_levels="standardise",
        progress=False,
    )
    path = tmp_path / "opts.model"
    cli(
        "train", "--data", DATA / "sample_leads.csv", "--label", "outcome", "--model", path, "-q",
        "--holdout", "0.3", "--seed", "7", "--exclude", "lead_source", "--alpha", "0.5", "--no-refit",
        "--strategy", "precision:0.5", "--tiers", "c,m:0.2,s:0.5", "--beyond-range", "extend",
        "--rare-levels", "standardise",
    )
    assert open(model.save(tmp_path / "opts_py.model"), "rb").read() == open(path, "rb").read()


def test_a_value_beyond_training_scores_as_the_edge_and_says_so(cli_model):
    model = leadscore.load(cli_model)
    largest = pl.read_csv(DATA / "sample_leads.csv", infer_schema_length=0)["employees"].cast(pl.Float64).max()
    lead = pl.read_csv(NEW, infer_schema_length=0).head(1)
    edge = lead.with_columns(pl.lit(str(int(largest))).alias("employees"))
    beyond = lead.with_columns(pl.lit("1000000000").alias("employees"))
    a, b = model.score(edge, as_of=AS_OF, reasons=20), model.score(beyond, as_of=AS_OF, reasons=20)
    assert a["probability"].to_list() == b["probability"].to_list()
    assert f"employees = 1000000000 (above the {int(largest)} seen in training; " in b["reasons"][0]
    values = [v for (feature, v, _) in model.reasons(beyond, as_of=AS_OF, reasons=20)[0] if feature == "employees"]
    assert values == [f"1000000000 (above the {int(largest)} seen in training)"]


def test_pairs_train_and_score_as_the_command_line_does(tmp_path, cli):
    model = leadscore.train(DATA / "sample_leads.csv", label="outcome", interactions=3, progress=False)
    path = tmp_path / "pairs.model"
    cli("train", "--data", DATA / "sample_leads.csv", "--label", "outcome", "--model", path, "-q", "--interactions", "3")
    assert open(model.save(tmp_path / "pairs_py.model"), "rb").read() == open(path, "rb").read()
    expected = cli_scores(cli, path, tmp_path, reasons=20)
    got = model.score(NEW, as_of=AS_OF, reasons=20)
    assert got["probability"].to_list() == expected["probability"].cast(pl.Float64).to_list()
    assert as_text(got.drop("probability")).equals(expected.drop("probability"))
    # A pair's reason: its columns, and the lead's cell.
    pairs = [r for lead in model.reasons(NEW, as_of=AS_OF, reasons=20) for r in lead if " x " in r[0]]
    assert pairs and all(" x " in value for (_, value, _) in pairs)


def test_reasons_are_rows_of_feature_value_contribution(cli_model):
    model = leadscore.load(cli_model)
    rows = model.reasons(NEW, as_of=AS_OF, reasons=3)
    scored = model.score(NEW, as_of=AS_OF, reasons=3)
    assert len(rows) == scored.height
    for lead, text in zip(rows[:50], scored["reasons"].to_list()[:50]):
        assert 1 <= len(lead) <= 5
        feature, value, contribution = lead[0]
        assert isinstance(contribution, float)
        assert text.split("; ")[0].startswith(f"{feature} = ")


def test_evaluate_compare_and_threshold_match_the_command_line(cli, cli_model, tmp_path):
    model = leadscore.load(cli_model)
    holdout = DATA / "holdout_leads.csv"
    assert model.evaluate(holdout) == json.loads(cli("evaluate", "--model", cli_model, "--data", holdout, "--json", "-q").stdout)
    rules = DATA / "sample_rules.toml"
    assert model.compare(rules, holdout) == json.loads(
        cli("compare", "--model", cli_model, "--rules", rules, "--data", holdout, "--json", "-q").stdout
    )
    moved = model.threshold(holdout, "top:100")
    assert moved.chosen["routed"] == 100
    out = tmp_path / "t.model"
    cli("threshold", "--model", cli_model, "--data", holdout, "--strategy", "top:100", "--output", out, "-q")
    assert open(moved.save(tmp_path / "t_py.model"), "rb").read() == open(out, "rb").read()
    page = model.report(tmp_path / "r.html", holdout, rules=rules)
    assert open(page, encoding="utf-8").read().startswith("<!DOCTYPE html>")


def test_training_summary_and_warnings(tmp_path):
    frame = pl.read_csv(DATA / "sample_leads.csv", infer_schema_length=0)
    leaky = frame.with_columns(pl.col("outcome").alias("deal_stage"))
    model = leadscore.train(leaky, label="outcome", progress=False)
    assert any("deal_stage" in w for w in model.warnings)
    assert 0.5 < model.summary["holdout"]["roc_auc"] <= 1.0


def test_bad_input_raises_a_value_error_naming_the_cell(cli_model, tmp_path):
    model = leadscore.load(cli_model)
    with pytest.raises(leadscore.BadInputError, match="job_title"):
        model.score(pl.DataFrame({"lead_id": ["a"]}), as_of=AS_OF)
    bad = pl.read_csv(NEW, infer_schema_length=0).with_columns(
        pl.when(pl.int_range(pl.len()) == 6).then(pl.lit("lots")).otherwise(pl.col("employees")).alias("employees")
    )
    with pytest.raises(ValueError, match=r'employees.*row 7.*"lots"|row 7.*employees.*lots'):
        model.score(bad, as_of=AS_OF)
    with pytest.raises(leadscore.BadInputError, match="outcome"):
        leadscore.train(pl.DataFrame({"x": [1, 2, 3]}), label="outcome", progress=False)
    with pytest.raises(leadscore.BadInputError, match="holdot"):
        leadscore.train(DATA / "sample_leads.csv", label="outcome", holdot=0.3, progress=False)
    with pytest.raises(leadscore.BadInputError, match="YYYY-MM-DD"):
        model.score(NEW, as_of="01/07/2025")
    with pytest.raises(leadscore.BadInputError, match="no_such.csv"):
        model.score(tmp_path / "no_such.csv", as_of=AS_OF)
    with pytest.raises(leadscore.BadInputError, match="DataFrame"):
        model.score(42)
    with pytest.raises(leadscore.BadInputError):
        leadscore.load(NEW)


def test_training_releases_the_interpreter():
    import threading
    import time

    ticks, stop = 0, threading.Event()

    def tick():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    thread = threading.Thread(target=tick)
    thread.start()
    started = time.perf_counter()
    leadscore.train(DATA / "sample_leads.csv", label="outcome", progress=False)
    took = time.perf_counter() - started
    stop.set()
    thread.join()
    # Held, the interpreter would let the ticking thread run only between calls.
    assert ticks > took * 100, f"{ticks} ticks in {took:.2f} s of training"


def test_progress_shows_the_stages_or_is_off(capsys):
    leadscore.train(DATA / "sample_leads.csv", label="outcome", progress=False)
    assert "leadscore:" not in capsys.readouterr().out + capsys.readouterr().err
    leadscore.train(DATA / "sample_leads.csv", label="outcome", progress=True)
    said = capsys.readouterr()
    # A tqdm bar (on stderr) when tqdm is installed, else a line per stage.
    assert "reading" in said.out + said.err and "leadscore" in said.out + said.err


def test_arrow_types_it_does_not_read_raise_and_zoned_times_read_as_utc(cli_model):
    import datetime
    import decimal

    import pyarrow as pa

    model = leadscore.load(cli_model)
    table = pl.read_csv(NEW, try_parse_dates=True).to_arrow()
    plain = model.score(table, as_of=AS_OF)
    i = table.schema.get_field_index("created_date")
    zoned = table.set_column(i, "created_date", table.column("created_date").cast(pa.timestamp("ms", tz="UTC")))
    assert model.score(zoned, as_of=AS_OF)["probability"].to_pylist() == plain["probability"].to_pylist()
    j = table.schema.get_field_index("employees")
    amounts = pa.array([None if v is None else decimal.Decimal(v) for v in table.column("employees").to_pylist()],
                       pa.decimal128(12, 2))
    with pytest.raises(leadscore.BadInputError, match=r'"employees" is of type Decimal'):
        model.score(table.set_column(j, "employees", amounts), as_of=AS_OF)
    with pytest.raises(leadscore.BadInputError, match='"tags"'):
        model.score(table.append_column("tags", pa.array([[1, 2]] * table.num_rows)), as_of=AS_OF)
    with pytest.raises(leadscore.BadInputError, match='"at"'):
        model.score(table.append_column("at", pa.array([datetime.time(9, 30)] * table.num_rows)), as_of=AS_OF)


def test_as_of_takes_a_date_or_its_text(cli_model):
    import datetime

    model = leadscore.load(cli_model)
    as_text = model.score(NEW, as_of=AS_OF)
    assert "given" in model.last_as_of
    as_date = model.score(NEW, as_of=datetime.date.fromisoformat(AS_OF))
    as_datetime = model.score(NEW, as_of=datetime.datetime.fromisoformat(AS_OF + "T15:30:00"))
    assert as_text.equals(as_date) and as_text.equals(as_datetime)
