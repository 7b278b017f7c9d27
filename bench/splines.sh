#!/usr/bin/env bash
# Issue 18: what choosing the resolution of numbers costs and gains. For each size,
# synthetic leads from `leadscore synth`, then `train --resolution auto` (the resolution
# of numbers chosen by cross-validation: steps or splines) and `train` with the default
# fixed by a feature spec (steps at 5 quantile groups, no choice), side by side
# in one run on the same file and split (holdout: the last 20% of rows). Prints the
# median wall time of BENCH_REPEAT runs (default 3), the ratio, and both holdout ROC
# AUCs with the resolution chosen.
# Usage: bench/splines.sh [ROWS...]   (default: 50000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50000 1000000)
work=${BENCH_DIR:-bench/work}
mkdir -p "$work"
cargo build --release --quiet
bin=$PWD/target/release/leadscore
printf 'bins = 5\n' > "$work/steps.toml"
repeat=${BENCH_REPEAT:-3}
run() { # label json -- command: the median wall time of $repeat runs; the last run's JSON kept
    local label=$1 json=$2; shift 3
    local times=()
    for _ in $(seq "$repeat"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" > "$json" 2>/dev/null
        t1=$(date +%s.%N)
        times+=("$(echo "$t1 - $t0" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v l="$label" '{a[NR]=$1} END {printf "%s %.2f %.2f %.2f\n", l, a[int((NR+1)/2)], a[1], a[NR]}'
}
for n in "${sizes[@]}"; do
    data=$work/splines_$n.csv
    [ -f "$data" ] || "$bin" synth --rows "$n" --seed 11 --output "$data" -q
    common=(train --data "$data" --label outcome --id lead_id --holdout-last --holdout 0.2 --force --json -q)
    chosen=$(run chosen "$work/sp_chosen_$n.json" -- "$bin" "${common[@]}" --resolution auto --model "$work/sp_chosen_$n.model")
    steps=$(run steps "$work/sp_steps_$n.json" -- "$bin" "${common[@]}" --spec "$work/steps.toml" --model "$work/sp_steps_$n.model")
    python3 - "$n" "$chosen" "$steps" "$work/sp_chosen_$n.json" "$work/sp_steps_$n.json" <<'PY'
import json, sys
n, chosen, steps, jc, js = sys.argv[1:6]
c, s = chosen.split(), steps.split()
a, b = json.load(open(jc)), json.load(open(js))
tc, ts = float(c[1]), float(s[1])
print(f"{int(n):,} rows: train {tc:.2f} s (range {c[2]}-{c[3]}) with the resolution chosen "
      f"({a['resolution']['text']}), {ts:.2f} s (range {s[2]}-{s[3]}) with steps fixed: ratio {tc / ts:.2f}; "
      f"holdout ROC AUC {a['holdout']['roc_auc']:.4f} against {b['holdout']['roc_auc']:.4f} "
      f"({a['holdout']['roc_auc'] - b['holdout']['roc_auc']:+.4f}), {a['features']} against {b['features']} features")
PY
done
