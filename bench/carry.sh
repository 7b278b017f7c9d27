#!/usr/bin/env bash
# How the threshold carries over to the final fit (issue 33): `--carry probability` (the
# same probability) against `--carry share` (the same routed share of held-out leads),
# measured on the next period's leads, which neither fit saw:
#   - UCI bank marketing (../shared/data): train on the first 80% of rows with
#     --holdout-last, `duration` left out; the next period is the last 20%.
#   - synth with drift: 40,000 leads exported 2025-06-30, holdout the most recent by
#     created_date; the next period is 10,000 leads exported 2026-01-31 (new ids).
# For each: the routed share and precision the holdout promised (the measured fit on the
# held-out rows), and what each rule gave on the next period: routed share, precision,
# recall, F1, and the gaps to the promise.
# Usage: bench/carry.sh [LEADSCORE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/leadscore}
work=bench/work/carry
mkdir -p "$work"
sets=()
bank=../shared/data/uci-bank-marketing/bank-additional-full.csv
if [ -f "$bank" ]; then
    python3 - "$bank" "$work" <<'EOF'
import sys
rows = open(sys.argv[1]).read().splitlines(keepends=True)
k = int((len(rows) - 1) * 0.8)
open(f"{sys.argv[2]}/bank_train.csv", "w").writelines(rows[:1 + k])
open(f"{sys.argv[2]}/bank_next.csv", "w").writelines(rows[:1] + rows[1 + k:])
EOF
    sets+=("bank|$work/bank_train.csv|$work/bank_next.csv|--label y --exclude duration --holdout-last")
fi
"$bin" synth --rows 40000 --seed 331 --drift 1 --as-of 2025-06-30 --output "$work/drift_train.csv" -q --force
"$bin" synth --rows 10000 --seed 332 --drift 1 --as-of 2026-01-31 --first-id 1000001 --output "$work/drift_next.csv" -q --force
sets+=("synth drift|$work/drift_train.csv|$work/drift_next.csv|--label outcome --id lead_id --holdout-by created_date")

printf '%-12s %-12s %9s %9s | %9s %9s %7s %7s | %9s %9s\n' set rule "promised" "promised" "routed" precision recall F1 "share gap" "prec. gap"
printf '%-12s %-12s %9s %9s | %9s %9s %7s %7s |\n' "" "" share precision share "" "" ""
for s in "${sets[@]}"; do
    IFS='|' read -r name train next flags <<<"$s"
    for rule in probability share; do
        m="$work/${name// /_}_$rule.model"
        # shellcheck disable=SC2086
        "$bin" train --data "$train" $flags --carry "$rule" --model "$m" --json -q --force > "$m.json" 2>/dev/null
        "$bin" evaluate --model "$m" --data "$next" --as-of 2026-01-31 --json -q > "$m.next.json" 2>/dev/null
        python3 - "$name" "$rule" "$m.json" "$m.next.json" <<'EOF'
import json, sys
name, rule, tj, nj = sys.argv[1:]
t, n = json.load(open(tj)), json.load(open(nj))
h = t["holdout"]
promised_share = t["threshold_routed"] / h["rows"]
promised_prec = t["threshold_precision"]
share = n["routed"] / n["rows"]
print(f"{name:<12} {rule:<12} {promised_share:9.3f} {promised_prec:9.3f} | {share:9.3f} {n['precision']:9.3f} "
      f"{n['recall']:7.3f} {n['f1']:7.3f} | {share - promised_share:+9.3f} {n['precision'] - promised_prec:+9.3f}")
EOF
    done
done
