#!/usr/bin/env bash
# Benchmark (issue #7): aggregate ~10 million synthetic events for 200,000 contacts into
# point-in-time features with `leadscore events`, and report wall time and peak memory.
# Not a test: it prints figures. Usage: bench/events.sh [CONTACTS] [EXTRA_EVENTS_PER_CONTACT]
set -euo pipefail
cd "$(dirname "$0")/.."
contacts=${1:-200000}
extra=${2:-37}
cargo build --release --quiet
bin=target/release/leadscore
work=${BENCH_DIR:-bench/work}
mkdir -p "$work"
echo "== generating $contacts contacts and their activity log"
python3 bench/measure.py -- "$bin" synth --rows "$contacts" --seed 1 --output "$work/contacts.parquet" \
    --events "$work/events.parquet" --extra-events "$extra" --force
echo "== aggregating (Parquet log)"
python3 bench/measure.py -- "$bin" events --data "$work/contacts.parquet" --id lead_id --events "$work/events.parquet" \
    --cutoff-col closed_date --output "$work/with_events.parquet" --force
echo "== cores: $(nproc), date: $(date -u +%Y-%m-%d)"
