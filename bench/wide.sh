#!/usr/bin/env bash
# Benchmark (issue 14): a CRM all-property export, wide and sparse. Prints figures; not a
# test. Side by side in one run, on the same contacts and the same split:
#   clean   the contacts' 16 meaningful columns (the reference);
#   wide    the same contacts with N sparse noise columns (counts, picklists, timestamps,
#           free-text notes), trained as leadscore trains by default (screening on,
#           since the file has more than 40 candidate columns);
#   off     the wide file with --screen off (every column fitted: what it cost before).
# Then a file of 300 rows x 10,000 noise columns (the issue's limit: 30 s, or a clear stop).
# Usage: bench/wide.sh [ROWS] [NOISE_COLUMNS]   (default: 40000 380)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-40000}
noise=${2:-380}
cargo build --release --quiet
bin=$PWD/target/release/leadscore
work=${BENCH_DIR:-bench/work}
mkdir -p "$work"
"$bin" synth --rows "$rows" --seed 5 --output "$work/clean_$rows.csv" -q --force
"$bin" synth --rows "$rows" --seed 5 --noise-columns "$noise" --output "$work/wide_${rows}_$noise.csv" -q --force
"$bin" synth --rows 300 --seed 6 --noise-columns 10000 --output "$work/wide_300_10000.csv" -q --force
run() { # label data extra-args...
    local label=$1 data=$2; shift 2
    local m
    if ! m=$(python3 bench/measure.py --stdout "$work/wide_$label.json" -- "$bin" train --data "$data" --label outcome \
        --id lead_id --model "$work/wide_$label.model" --force --json -q "$@" 2>"$work/wide_$label.err"); then
        # A clear stop (exit 2: nothing predicts) is an answer too; print it with its time.
        echo "$(printf '%8s' "$label"): stopped after $(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["wall_s"])' "$m") s: $(tail -n 1 "$work/wide_$label.err")"
        return 0
    fi
    python3 - "$label" "$m" "$work/wide_$label.json" <<'PY'
import json, sys
label, m, out = sys.argv[1], json.loads(sys.argv[2]), json.load(open(sys.argv[3]))
h = out["holdout"]
print(f"{label:>8}: {m['wall_s']:7.2f} s  peak {m['peak_rss_mib']:7.1f} MiB  "
      f"{len(out['columns_used']):5d} columns used, {out['features']:6d} features, "
      f"{len(out.get('columns_screened_out', [])):5d} screened out  holdout ROC AUC {h['roc_auc']:.4f}")
PY
}
echo "== $rows contacts: 16 meaningful columns, then with $noise sparse noise columns"
run clean "$work/clean_$rows.csv"
run wide "$work/wide_${rows}_$noise.csv"
run off "$work/wide_${rows}_$noise.csv" --screen off
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
auc = {k: json.load(open(f"{w}/wide_{k}.json"))["holdout"]["roc_auc"] for k in ("clean", "wide", "off")}
print(f"ROC AUC wide - clean: {auc['wide'] - auc['clean']:+.4f} (limit: within 0.01); "
      f"off - clean: {auc['off'] - auc['clean']:+.4f}")
PY
echo "== 300 rows x 10,000 noise columns (limit: 30 s)"
run narrow "$work/wide_300_10000.csv"
run narrow_off "$work/wide_300_10000.csv" --screen off
echo "== cores: $(nproc), date: $(date -u +%Y-%m-%d)"
