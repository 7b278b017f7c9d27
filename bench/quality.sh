#!/usr/bin/env bash
# The quality benchmark (issue 36's measuring stick; a default is a promise): leadscore
# with its defaults against EBM, LightGBM, HistGradientBoosting and scikit-learn's
# logistic regression on the same rows, ROC AUC with its 95% interval on rows no model
# saw. Sets and settings: bench/quality.py. Writes bench/RESULTS_quality.md.
# The references' packages are pinned in bench/requirements-quality.txt, in their own
# virtual environment (bench/.venv-quality; BENCH_QUALITY_PY names another Python).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
py=${BENCH_QUALITY_PY:-}
if [ -z "$py" ]; then
    [ -x bench/.venv-quality/bin/python ] || python3 -m venv bench/.venv-quality
    bench/.venv-quality/bin/pip install -q --disable-pip-version-check -r bench/requirements-quality.txt
    py=bench/.venv-quality/bin/python
fi
"$py" bench/quality.py target/release/leadscore "$@"
