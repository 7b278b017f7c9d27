"""Probes for issue 36 (a glass box level with the best), run on the quality benchmark's
sets before building anything: what each proposed change would do to today's defaults,
measured with today's leadscore and simple stand-ins, so that the design starts from
figures. Nothing here changes leadscore.

1. Shapes flat beyond training (part 5): each set's test rows scored by today's default
   model with their numbers clamped to the training rows' range, widened on each side by
   a share m of its width (m = 0 is "the edge's contribution").
2. Finer shapes (part 1): `--resolution` steps:10, steps:20 and spline:7 against the
   default (auto).
3. Many levels kept (part 2): a feature spec keeping up to 200 levels, none pooled by
   share (min_level_share 0; the floor of 5 rows stays).
4. Pairs (part 3), on X Education: the column pairs ranked the way EBM's FAST does
   (gradient p - y and hessian p(1 - p) under today's model on the training rows, summed
   on a coarse grid, the best 2x2 split's gain), then the top k pairs added as crossed
   category columns (4 quantile bins or levels seen 20 times, x the same) and the model
   retrained with defaults: a stand-in for pair terms in the design matrix, without their
   own penalty or centring.

Sets: X Education and bank split as bench/quality.py splits them; synthetic as there.
Usage: python bench/probe_issue36.py LEADSCORE_BINARY  (a Python with pandas and
scikit-learn: bench/.venv-quality). Prints the figures.
"""
import itertools
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

root = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
binary = os.path.abspath(sys.argv[1])
shared = os.path.normpath(os.path.join(root, "..", "shared", "data"))
X_EXCLUDE = ["Prospect ID", "Lead Number", "Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index",
             "Asymmetrique Profile Index", "Asymmetrique Activity Score", "Asymmetrique Profile Score",
             "Last Notable Activity"]


def run(*args):
    return subprocess.run([binary, *map(str, args)], check=True, capture_output=True, text=True).stdout


def train(a, flags, model, extra=()):
    run("train", "--data", a, "--model", model, "--force", "-q", *flags, *extra)


def auc(model, data):
    return json.loads(run("evaluate", "--model", model, "--data", data, "--json", "-q"))["roc_auc"]


def sets(work):
    out = []
    x = os.path.join(shared, "x-education-leads", "Leads.csv")
    df = pd.read_csv(x, dtype=str, keep_default_na=False).drop(columns=X_EXCLUDE)
    tr, te = train_test_split(df, test_size=0.3, random_state=42, stratify=df["Converted"])
    a, b = os.path.join(work, "x_train.csv"), os.path.join(work, "x_test.csv")
    tr.to_csv(a, index=False)
    te.to_csv(b, index=False)
    out.append(("X Education", a, b, ["--label", "Converted", "--positive", "1"]))
    bank = pd.read_csv(os.path.join(shared, "uci-bank-marketing", "bank-additional-full.csv"), sep=";", dtype=str,
                       keep_default_na=False).drop(columns=["duration"])
    k = int(0.8 * len(bank))
    a, b = os.path.join(work, "bank_first80.csv"), os.path.join(work, "bank_last20.csv")
    bank.iloc[:k].to_csv(a, index=False)
    bank.iloc[k:].to_csv(b, index=False)
    out.append(("bank", a, b, ["--label", "y", "--positive", "yes"]))
    a, b = os.path.join(work, "synth_train.csv"), os.path.join(work, "synth_test.csv")
    run("synth", "--rows", "20000", "--seed", "5", "--output", a, "-q")
    run("synth", "--rows", "10000", "--seed", "6", "--output", b, "-q")
    out.append(("synthetic", a, b, ["--label", "outcome", "--id", "lead_id"]))
    return out


def numbers(frame):
    return pd.to_numeric(frame.str.replace(",", "", regex=False), errors="coerce")


def clamp_probe(work, a, b, model):
    tr, te = pd.read_csv(a, dtype=str, keep_default_na=False), pd.read_csv(b, dtype=str, keep_default_na=False)
    out = []
    for m in (0.0, 0.25, 0.5, 1.0):
        clamped, moved = te.copy(), 0
        for c in tr.columns:
            x = numbers(tr[c])
            if x.notna().mean() < 0.9 or x.nunique() < 3:
                continue
            y = numbers(te[c])
            w = x.max() - x.min()
            lo, hi = x.min() - m * w, x.max() + m * w
            moved += int(((y < lo) | (y > hi)).sum())
            clamped[c] = [f"{v:.15g}" if pd.notna(v) else raw for v, raw in zip(y.clip(lo, hi), te[c])]
        path = os.path.join(work, "clamped.csv")
        clamped.to_csv(path, index=False)
        out.append(f"m {m:g}: {auc(model, path):.4f} ({moved:,} cells moved)")
    return out


def bins(col, train_values, k=4):
    x, t = numbers(col), numbers(train_values)
    if t.notna().mean() > 0.9 and t.nunique() > k:
        cuts = np.unique(np.nanquantile(t.dropna(), np.linspace(0, 1, k + 1)[1:-1]))
        return pd.Series(np.where(x.isna(), "missing", np.searchsorted(cuts, x.fillna(0), side="right").astype(str)),
                         index=col.index)
    counts = train_values.str.strip().str.lower().value_counts()
    keep = set(counts[counts >= 20].index)
    v = col.str.strip().str.lower()
    return v.where(v.isin(keep) | (v == ""), "(other)").replace("", "missing")


def fast_gain(a, b, g, h):
    da, db = pd.factorize(a)[0], pd.factorize(b)[0]
    G, H = np.zeros((da.max() + 1, db.max() + 1)), np.zeros((da.max() + 1, db.max() + 1))
    np.add.at(G, (da, db), g)
    np.add.at(H, (da, db), h)
    oa, ob = np.argsort(G.sum(1) / (H.sum(1) + 1e-9)), np.argsort(G.sum(0) / (H.sum(0) + 1e-9))
    G, H = G[oa][:, ob], H[oa][:, ob]
    whole, best = G.sum() ** 2 / H.sum(), 0.0
    for i in range(1, G.shape[0]):
        for j in range(1, G.shape[1]):
            q = [(G[:i, :j], H[:i, :j]), (G[:i, j:], H[:i, j:]), (G[i:, :j], H[i:, :j]), (G[i:, j:], H[i:, j:])]
            if all(hh.sum() >= 1 for _, hh in q):
                best = max(best, sum(gg.sum() ** 2 / hh.sum() for gg, hh in q) - whole)
    return best


def pairs_probe(work, a, b, flags, model, label):
    tr, te = pd.read_csv(a, dtype=str, keep_default_na=False), pd.read_csv(b, dtype=str, keep_default_na=False)
    scored = os.path.join(work, "train_scored.csv")
    run("score", "--model", model, "--data", a, "--output", scored, "--force", "-q", "--reasons", "0")
    p = pd.read_csv(scored)["probability"].to_numpy()
    y = (tr[label] == "1").to_numpy().astype(float)
    g, h = p - y, p * (1 - p)
    cols = [c for c in tr.columns if c != label and tr[c].nunique() > 1]
    binned = {c: bins(tr[c], tr[c]) for c in cols}
    ranked = sorted(((fast_gain(binned[i], binned[j], g, h), i, j) for i, j in itertools.combinations(cols, 2)),
                    reverse=True)
    lines = [f"{len(ranked)} pairs ranked; the top: " + "; ".join(f"{i} x {j} ({s:.1f})" for s, i, j in ranked[:3])]
    for k in (1, 3, 5):
        a2, b2 = tr.copy(), te.copy()
        for _, i, j in ranked[:k]:
            a2[f"{i} x {j}"] = bins(tr[i], tr[i]).astype(str) + "|" + bins(tr[j], tr[j]).astype(str)
            b2[f"{i} x {j}"] = bins(te[i], tr[i]).astype(str) + "|" + bins(te[j], tr[j]).astype(str)
        pa, pb, pm = (os.path.join(work, n) for n in ("pairs_train.csv", "pairs_test.csv", "pairs.model"))
        a2.to_csv(pa, index=False)
        b2.to_csv(pb, index=False)
        train(pa, flags, pm)
        lines.append(f"top {k} as crossed columns: {auc(pm, pb):.4f}")
    return lines


def main():
    with tempfile.TemporaryDirectory(prefix="leadscore-probe36-") as work:
        spec = os.path.join(work, "levels.toml")
        with open(spec, "w") as f:
            f.write("max_levels = 200\nmin_level_share = 0.0\n")
        for name, a, b, flags in sets(work):
            model = os.path.join(work, "default.model")
            train(a, flags, model)
            print(f"== {name}: defaults {auc(model, b):.4f}", flush=True)
            print("  1. numbers clamped at the training range widened by m x its width: " + "; ".join(
                clamp_probe(work, a, b, model)), flush=True)
            other = os.path.join(work, "other.model")
            shapes = []
            for r in ("steps:10", "steps:20", "spline:7"):
                train(a, flags, other, ["--resolution", r])
                shapes.append(f"{r} {auc(other, b):.4f}")
            print("  2. finer shapes: " + "; ".join(shapes), flush=True)
            train(a, flags, other, ["--spec", spec])
            print(f"  3. up to 200 levels, none pooled by share: {auc(other, b):.4f}", flush=True)
            if name == "X Education":
                print("  4. pairs: " + "; ".join(pairs_probe(work, a, b, flags, model, "Converted")), flush=True)


main()
