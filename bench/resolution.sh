#!/usr/bin/env bash
# Benchmark (issue 26): what the default resolution choice costs and what it chooses,
# side by side with fixed resolutions, in one run. Prints figures; not a test.
#
#   bend    synth's generator bends (an inverted U in company size, capped pricing-page
#           effects, decaying recency): 40,000 leads to train on (seed 26) and 40,000
#           new leads with outcomes (seed 27). Train with defaults and with each fixed
#           resolution; ROC AUC on the new leads. Target: defaults choose a spline
#           within 0.002 of the best fixed resolution.
#   bank    UCI bank marketing (../shared/data), time-ordered holdout (--holdout-last,
#           duration excluded): the choice must keep steps:5 (holdout ROC AUC 0.755).
#   events  30,000 decided contacts with a ~700,000-row activity log (--events).
#   wide    a 40,000-row export with 380 sparse noise columns (screening on).
# For each set, the wall time of `train` with defaults against --resolution steps:5
# (median of BENCH_REPEAT runs, default 3; target: at most 1.5x).
# Usage: bench/resolution.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/leadscore
work=${BENCH_DIR:-bench/work}/resolution
mkdir -p "$work"
repeat=${BENCH_REPEAT:-3}

"$bin" synth --rows 40000 --seed 26 --output "$work/bend_train.csv" -q --force
"$bin" synth --rows 40000 --seed 27 --output "$work/bend_new.csv" -q --force
"$bin" synth --rows 30000 --seed 3 --output "$work/ev_contacts.csv" --events "$work/ev_log.csv" --extra-events 10 -q --force
"$bin" synth --rows 40000 --seed 5 --noise-columns 380 --output "$work/wide.csv" -q --force
bank=../shared/data/uci-bank-marketing/bank-additional-full.csv

median_time() { # median wall seconds of $repeat runs of a command
    for _ in $(seq "$repeat"); do
        python3 bench/measure.py -- "$@" | tail -n 1 | python3 -c "import json,sys; print(json.load(sys.stdin)['wall_s'])"
    done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
chosen() { # the chosen resolution and holdout ROC AUC from train --json
    python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
r = j.get('resolution')
print((list(r['chosen'].items())[0][0] + ':' + str(list(r['chosen'].values())[0])) if r else 'fixed', f\"{j['holdout']['roc_auc']:.4f}\")" "$1"
}
compare() { # name data args...: time with defaults and with steps:5, and what defaults chose
    local name=$1 data=$2; shift 2
    local t_auto t_steps
    t_auto=$(median_time "$bin" train --data "$data" "$@" --model "$work/$name.auto.model" --force -q)
    t_steps=$(median_time "$bin" train --data "$data" "$@" --resolution steps:5 --model "$work/$name.steps.model" --force -q)
    "$bin" train --data "$data" "$@" --model "$work/$name.auto.model" --force --json -q > "$work/$name.auto.json" 2>/dev/null
    "$bin" train --data "$data" "$@" --resolution steps:5 --model "$work/$name.steps.model" --force --json -q \
        > "$work/$name.steps.json" 2>/dev/null
    read -r res auc < <(chosen "$work/$name.auto.json")
    read -r _ auc5 < <(chosen "$work/$name.steps.json")
    printf '%-7s defaults %6.2f s, steps:5 %6.2f s: %.2fx (target at most 1.5x); chose %s, holdout ROC AUC %s (steps:5 %s)\n' \
        "$name" "$t_auto" "$t_steps" "$(echo "$t_auto / $t_steps" | bc -l)" "$res" "$auc" "$auc5"
}

echo "== what defaults cost against --resolution steps:5, and what they chose"
compare bend "$work/bend_train.csv" --label outcome --id lead_id
if [ -f "$bank" ]; then
    compare bank "$bank" --label y --exclude duration --holdout-last --holdout 0.2
else
    echo "bank    skipped: $bank is not there"
fi
compare events "$work/ev_contacts.csv" --label outcome --id lead_id --events "$work/ev_log.csv" --cutoff-col closed_date
compare wide "$work/wide.csv" --label outcome --id lead_id

echo "== the bend set: ROC AUC on 40,000 new leads (seed 27) of defaults and of each fixed resolution"
for r in auto steps:5 steps:10 spline:3 spline:4 spline:5; do
    "$bin" train --data "$work/bend_train.csv" --label outcome --id lead_id --resolution "$r" \
        --model "$work/bend.$r.model" --force --json -q > "$work/bend.$r.json" 2>/dev/null
    "$bin" evaluate --model "$work/bend.$r.model" --data "$work/bend_new.csv" --json > "$work/bend.$r.eval.json"
    python3 - "$r" "$work/bend.$r.json" "$work/bend.$r.eval.json" <<'PY'
import json, sys
r, t, e = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
res = t.get("resolution")
chosen = f" (chose {list(res['chosen'].items())[0][0]}:{list(res['chosen'].values())[0]})" if res else ""
print(f"{r:>9}{chosen}: ROC AUC on new leads {e['roc_auc']:.4f}  (holdout {t['holdout']['roc_auc']:.4f})")
PY
done
echo "== cores: $(nproc), date: $(date -u +%Y-%m-%d)"
