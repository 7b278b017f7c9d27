#!/usr/bin/env bash
# Benchmark (issue 15): scoring where the data lives, and training on a sample. Prints
# figures and writes bench/RESULTS_warehouse.md; not a test. Side by side in one run:
#   1. ROWS_SCORE synthetic leads (default 10,000,000) scored by `leadscore score`, by the
#      exported SQL in DuckDB (read_csv straight from the file) and by the exported SQL
#      in Spark local mode (2 cores), each from the CSV on disk to a scored CSV; wall time
#      and peak memory (the process tree's resident memory, sampled every 0.1 s);
#   2. `train --sample 100000` against training on every row of a ROWS_TRAIN-row file
#      (default 5,000,000): wall time, peak memory, and ROC AUC of both models on the
#      same 200,000 leads neither saw (seed 32).
# Needs python3 with duckdb and pyspark (and a Java runtime): PYTHON=/path/to/python.
# Usage: bench/warehouse.sh [ROWS_SCORE] [ROWS_TRAIN]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
train_rows=${2:-5000000}
py=${PYTHON:-python3}
cargo build --release --quiet
bin=$PWD/target/release/leadscore
work=${BENCH_DIR:-bench/work}
mkdir -p "$work"
measure() { python3 bench/measure.py --tree "$@"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
results=()

echo "== 1. $rows leads scored three ways"
"$bin" synth --rows 100000 --seed 15 --output "$work/wh_train.csv" -q --force
"$bin" train --data "$work/wh_train.csv" --label outcome --id lead_id --model "$work/wh.model" -q --force >/dev/null
"$bin" synth --rows "$rows" --seed 33 --no-outcome --output "$work/wh_new.csv" -q --force
for engine in duckdb spark; do
    "$bin" export-sql --model "$work/wh.model" --dialect "$engine" --as-of 2025-06-30 \
        --output "$work/wh.$engine.sql" -q --force
done
m=$(measure -- "$bin" score --model "$work/wh.model" --data "$work/wh_new.csv" --as-of 2025-06-30 \
    --output "$work/wh_scored.csv" -q --force)
echo "leadscore score: $m"
results+=("leadscore score|$(field "$m" wall_s)|$(field "$m" peak_rss_mib)")
rm -rf "$work/wh_duckdb.csv" "$work/wh_spark"
m=$(measure --stdout "$work/wh_duckdb.count" -- "$py" bench/sql_engines.py duckdb "$work/wh_new.csv" "$work/wh.duckdb.sql" "$work/wh_duckdb.csv")
echo "DuckDB: $m; $(cat "$work/wh_duckdb.count") leads written"
results+=("exported SQL in DuckDB $("$py" -c 'import duckdb; print(duckdb.__version__)')|$(field "$m" wall_s)|$(field "$m" peak_rss_mib)")
m=$(measure --stdout "$work/wh_spark.count" -- "$py" bench/sql_engines.py spark "$work/wh_new.csv" "$work/wh.spark.sql" "$work/wh_spark" \
    2>"$work/wh_spark.log")
echo "Spark: $m; $(cat "$work/wh_spark.count") leads written"
results+=("exported SQL in Spark $("$py" -c 'import pyspark; print(pyspark.__version__)') local[2]|$(field "$m" wall_s)|$(field "$m" peak_rss_mib)")
rm -rf "$work/wh_spark" "$work/wh_duckdb.csv" "$work/wh_scored.csv" "$work/wh_new.csv"

echo "== 2. train on $train_rows rows, and on a sample of 100,000"
"$bin" synth --rows "$train_rows" --seed 31 --output "$work/wh_big.csv" -q --force
"$bin" synth --rows 200000 --seed 32 --output "$work/wh_test.csv" -q --force
train_results=()
for mode in all sample; do
    extra=()
    [ "$mode" = sample ] && extra=(--sample 100000)
    m=$(measure --stdout /dev/null -- "$bin" train --data "$work/wh_big.csv" --label outcome --id lead_id "${extra[@]}" \
        --model "$work/wh_$mode.model" -q --force)
    auc=$("$bin" evaluate --model "$work/wh_$mode.model" --data "$work/wh_test.csv" --json -q \
        | python3 -c "import json,sys; print(round(json.load(sys.stdin)['roc_auc'], 4))")
    echo "train ($mode): $m; ROC AUC on the 200,000 test leads $auc"
    train_results+=("$mode|$(field "$m" wall_s)|$(field "$m" peak_rss_mib)|$auc")
done
rm -f "$work/wh_big.csv"

{
    echo "# Benchmark: scoring in a warehouse, training on a sample (issue 15)"
    echo
    echo "Measured by \`bench/warehouse.sh $rows $train_rows\` on $(date -u +%Y-%m-%d), $(nproc) cores, one run each."
    echo "Wall time and peak memory of each whole command (the process tree's resident memory, sampled every 0.1 s),"
    echo "from the CSV on disk to the scored CSV. The model: trained on 100,000 synth leads (85 features); every path"
    echo "writes the id, probability, score, tier, decision and three raising and two lowering reasons per lead."
    echo
    echo "| $rows leads scored by | wall s | leads/s | peak MiB |"
    echo "|---|---:|---:|---:|"
    for r in "${results[@]}"; do
        IFS='|' read -r what wall peak <<<"$r"
        echo "| $what | $wall | $(python3 -c "print(f'{$rows / $wall:,.0f}')") | $peak |"
    done
    echo
    echo "Training on $train_rows rows, both models measured on the same 200,000 new leads (seed 32):"
    echo
    echo "| trained on | wall s | peak MiB | ROC AUC on 200,000 test leads |"
    echo "|---|---:|---:|---:|"
    for r in "${train_results[@]}"; do
        IFS='|' read -r mode wall peak auc <<<"$r"
        [ "$mode" = all ] && mode="all $train_rows rows" || mode="--sample 100000"
        echo "| $mode | $wall | $peak | $auc |"
    done
} > bench/RESULTS_warehouse.md
cat bench/RESULTS_warehouse.md
