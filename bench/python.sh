#!/usr/bin/env bash
# The Python package against the command line (issue 35): `train` and `score` on the same
# 1,000,000 leads, the package from a polars DataFrame already in memory, the command line
# from the same rows in a Parquet file; each pair timed in turn (BENCH_REPEAT rounds,
# default 3), medians and their ratio printed. The budget: the package within 1.2x.
# Usage: bench/python.sh [ROWS]   (the leads: bench/work/leads_ROWS.csv, made by
# `leadscore synth --seed 11` when missing). BENCH_PY names a Python with the built
# wheel and polars installed (default: .ci's venv, .venv-python).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
repeat="${BENCH_REPEAT:-3}"
bin=target/release/leadscore
py="${BENCH_PY:-.venv-python/bin/python}"
mkdir -p bench/work
csv="bench/work/leads_${rows}.csv"
[ -f "$csv" ] || "$bin" synth --rows "$rows" --seed 11 --output "$csv" -q
"$py" - "$bin" "$csv" "$repeat" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
import polars as pl
import leadscore

binary, csv, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
work = tempfile.mkdtemp(prefix="leadscore-python-bench-")
parquet = os.path.join(work, "leads.parquet")
pl.read_csv(csv).write_parquet(parquet)
frame = pl.read_parquet(parquet)
as_of = "2025-07-01"
cli_model, py_model = os.path.join(work, "cli.model"), os.path.join(work, "py.model")
scored = os.path.join(work, "scored.parquet")

def cli(*args):
    t = time.perf_counter()
    subprocess.run([binary, *args, "-q", "--force"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t

def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out

figures = {"train": ([], []), "score": ([], [])}
for r in range(repeat):
    figures["train"][0].append(cli("train", "--data", parquet, "--label", "outcome", "--model", cli_model))
    t, model = timed(lambda: leadscore.train(frame, label="outcome", progress=False))
    figures["train"][1].append(t)
    model.save(py_model)
    figures["score"][0].append(cli("score", "--model", cli_model, "--data", parquet, "--output", scored, "--as-of", as_of))
    t, out = timed(lambda: model.score(frame, as_of=as_of))
    figures["score"][1].append(t)
    print(f"round {r + 1}: train {figures['train'][0][-1]:.2f} s (CLI) / {figures['train'][1][-1]:.2f} s (Python); "
          f"score {figures['score'][0][-1]:.2f} / {figures['score'][1][-1]:.2f} s", flush=True)
same = pl.read_parquet(scored)["probability"].to_list() == leadscore.load(cli_model).score(frame, as_of=as_of)["probability"].to_list()
print(f"\n{frame.height:,} leads, {frame.width} columns; medians of {repeat} rounds")
print("| job | command line (Parquet) | Python (polars DataFrame) | ratio |")
print("|---|---:|---:|---:|")
for job, (c, p) in figures.items():
    mc, mp = statistics.median(c), statistics.median(p)
    print(f"| {job} | {mc:.2f} s | {mp:.2f} s | {mp / mc:.3f}x |")
print(f"scores from Python equal the command line's on the same model: {same}")
PY
