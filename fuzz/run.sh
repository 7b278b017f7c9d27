#!/usr/bin/env bash
# Run the fuzz targets for a set time each (default 600 s) and print libFuzzer's counts.
# Needs cargo-fuzz (cargo install cargo-fuzz) and a nightly toolchain (rustup). Built with
# --dev (unoptimised, with debug assertions and AddressSanitizer): a release build of
# polars takes over ten minutes on two cores.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model_file csv_features)
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== fuzzing $t for ${secs}s"
    cargo +nightly fuzz run --dev "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 \
        -artifact_prefix="artifacts/$t/" 2>&1 | tee "artifacts/$t.log" | grep -E "^#[0-9]+ +(DONE|pulse)|Done [0-9]+ runs|ERROR|panicked" || true
    grep -E "Done [0-9]+ runs" "artifacts/$t.log" || { echo "$t: no completion line (crash?)"; exit 1; }
done
