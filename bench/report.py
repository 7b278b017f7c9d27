"""Format bench/run's measurements as bench/RESULTS.md (a Markdown table)."""
import datetime
import json
import os
import sys

work = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(work, "results.jsonl"))]
by = {(r["rows"], r["format"], r["step"], r["tool"]): r for r in rows}


def auc(tool, n, fmt):
    path = os.path.join(work, f"{'ls' if tool == 'leadscore' else 'ref'}_train_{n}_{fmt}.json")
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
    au_l, au_r = (auc("leadscore", n, fmt), auc("reference", n, fmt)) if step == "train" else (None, None)
    fmt_auc = lambda x: f"{x:.4f}" if x is not None else ""
    print(f"| {n:,} | {fmt} | {step} | {a['wall_s']:.2f} | {b['wall_s']:.2f} | {b['wall_s'] / a['wall_s']:.2f} | "
          f"{n / a['wall_s']:,.0f} | {a['peak_rss_mib']:,.0f} | {b['peak_rss_mib']:,.0f} | {fmt_auc(au_l)} | {fmt_auc(au_r)} |")

print("\nTargets (issue #8), as measured above:\n")
for (n, fmt, step) in sorted({(r["rows"], r["format"], r["step"]) for r in rows}):
    a, b = by.get((n, fmt, step, "leadscore")), by.get((n, fmt, step, "reference"))
    if not a or not b or n != 1_000_000 or fmt != "csv":
        continue
    ratio = b["wall_s"] / a["wall_s"]
    line = f"- {step} on {n:,} rows ({fmt}): {ratio:.2f}x the reference's speed (target 5x): {'met' if ratio >= 5 else 'not met'}"
    if step == "score":
        rate = n / a["wall_s"]
        line += f"; {rate:,.0f} leads/s (target 1,000,000): {'met' if rate >= 1e6 else 'not met'}"
    else:
        l, r = auc("leadscore", n, fmt), auc("reference", n, fmt)
        if l is not None and r is not None:
            line += f"; ROC AUC difference {abs(l - r):.4f} (must be at most 0.005): {'met' if abs(l - r) <= 0.005 else 'not met'}"
    print(line)
