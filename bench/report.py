"""Format bench/run's measurements as bench/RESULTS.md (a Markdown table)."""
import datetime
import json
import os
import sys

work = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(work, "results.jsonl"))]
by = {(r["rows"], r["format"], r["step"], r["tool"]): r for r in rows}


def auc(tool, n):
    path = os.path.join(work, f"{'ls' if tool == 'leadscore' else 'ref'}_train_{n}.json")
    try:
        j = json.load(open(path))
    except (OSError, ValueError):
        return None
    return j["holdout"]["roc_auc"] if tool == "leadscore" else j["roc_auc"]


print("# Benchmark: leadscore against pandas + scikit-learn\n")
print(f"Measured by `bench/run` on {datetime.date.today().isoformat()}, {os.cpu_count()} cores. "
      "Wall time and peak resident memory of each whole command, from the file on disk to the model or the scored file. "
      "Ratio = reference time / leadscore time (above 1: leadscore is faster).\n")
print("| rows | format | step | leadscore s | reference s | ratio | leadscore rows/s | leadscore peak MiB | reference peak MiB | ROC AUC leadscore | ROC AUC reference |")
print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for (n, fmt, step) in sorted({(r["rows"], r["format"], r["step"]) for r in rows}, key=lambda k: (k[0], k[1], k[2] != "train")):
    a, b = by.get((n, fmt, step, "leadscore")), by.get((n, fmt, step, "reference"))
    if not a or not b:
        continue
    au_l, au_r = (auc("leadscore", n), auc("reference", n)) if step == "train" else (None, None)
    fmt_auc = lambda x: f"{x:.4f}" if x is not None else ""
    print(f"| {n:,} | {fmt} | {step} | {a['wall_s']:.2f} | {b['wall_s']:.2f} | {b['wall_s'] / a['wall_s']:.2f} | "
          f"{n / a['wall_s']:,.0f} | {a['peak_rss_mib']:,.0f} | {b['peak_rss_mib']:,.0f} | {fmt_auc(au_l)} | {fmt_auc(au_r)} |")
