"""The quality benchmark (issue 36's measuring stick): leadscore with its defaults against
the interpretable and boosted references on the same rows, by ROC AUC on rows no model
saw, each with its 95% interval (DeLong).

Sets (the real ones from ../shared/data, skipped where it is absent):
- X Education: Leads.csv without the columns tests/real_data.rs leaves out as leaking,
  stratified 70/30 split (scikit-learn's train_test_split, random_state 42).
- UCI bank marketing: `duration` left out; trained on the first 80% of rows, measured
  on the last 20% (a later period).
- synthetic: `leadscore synth --rows 20000 --seed 5` to train, `--rows 10000 --seed 6`
  to measure.
- synthetic with an activity log: `leadscore synth --events` (20,000 contacts, seed 7, to
  train; 10,000, seed 8, to measure), each aggregated by `leadscore events` before the
  contact's closed_date (the same table for every model; closed_date then left out).

leadscore: `train` with its defaults (its own holdout and final fit) on the training
rows, then `evaluate` on the test rows. References, as their documentation suggests:
dates become days before the latest training date, e-mail addresses their domain,
levels seen fewer than 20 times in training are pooled (and for HistGradientBoosting,
which takes 255, all but the 254 most frequent); EBM (interpret 0.7.8 defaults,
random_state 0) with pairs and with mains only, LightGBM (300 trees, learning rate
0.05), HistGradientBoosting (defaults), and scikit-learn's logistic regression
(one-hot levels, medians for missing numbers, standardised).

Usage: python bench/quality.py LEADSCORE_BINARY [OUT.md]  (bench/quality.sh makes the
environment). Prints the table and writes it to OUT.md (default bench/RESULTS_quality.md).
"""
import json
import os
import warnings
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.model_selection import train_test_split

# EBM says, on every fit, that its charts do not show missing values.
warnings.filterwarnings("ignore", message="Missing values detected")

root = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
binary = os.path.abspath(sys.argv[1])
out_md = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "bench", "RESULTS_quality.md")
shared = os.path.normpath(os.path.join(root, "..", "shared", "data"))

X_EXCLUDE = ["Prospect ID", "Lead Number", "Tags", "Lead Quality", "Lead Profile", "Asymmetrique Activity Index",
             "Asymmetrique Profile Index", "Asymmetrique Activity Score", "Asymmetrique Profile Score",
             "Last Notable Activity"]


def delong(y, p):
    """ROC AUC and its 95% interval by DeLong's method (midranks)."""
    y = np.asarray(y, bool)
    p = np.asarray(p, float)
    pos, neg = p[y], p[~y]
    m, n = len(pos), len(neg)
    allv = np.concatenate([pos, neg])
    r = pd.Series(allv).rank(method="average").to_numpy()
    rp = pd.Series(pos).rank(method="average").to_numpy()
    rn = pd.Series(neg).rank(method="average").to_numpy()
    auc = (r[:m].sum() - m * (m + 1) / 2) / (m * n)
    v10 = (r[:m] - rp) / n
    v01 = 1 - (r[m:] - rn) / m
    se = np.sqrt(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)
    z = norm.ppf(0.975)
    return auc, max(0.0, auc - z * se), min(1.0, auc + z * se)


def prepare(train, test, label, positive):
    """The references' frame: numbers as numbers, dates as days before the latest training
    date, e-mails as their domain, rare levels pooled; labels as 0/1."""
    ytr = (train[label].astype(str).str.strip().str.lower() == positive).to_numpy()
    yte = (test[label].astype(str).str.strip().str.lower() == positive).to_numpy()
    xtr, xte = train.drop(columns=[label]), test.drop(columns=[label])
    out_tr, out_te, kinds = {}, {}, {}
    for c in xtr.columns:
        a, b = xtr[c], xte[c]
        num_a = pd.to_numeric(a, errors="coerce")
        if num_a.notna().sum() >= 0.9 * a.notna().sum() and a.notna().any():
            out_tr[c], out_te[c], kinds[c] = num_a, pd.to_numeric(b, errors="coerce"), "num"
            continue
        # A date column: most filled cells written like dates (digits and separators);
        # month names ("may") and weekdays ("mon") stay levels.
        text = a.dtype == object or pd.api.types.is_string_dtype(a)
        datelike = text and a.astype("string").str.match(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", na=False).sum() \
            >= 0.9 * a.notna().sum()
        dt_a = pd.to_datetime(a, errors="coerce", format="mixed") if datelike else None
        if dt_a is not None and dt_a.notna().sum() >= 0.9 * a.notna().sum() and a.notna().any():
            latest = dt_a.max()
            dt_b = pd.to_datetime(b, errors="coerce", format="mixed")
            out_tr[c] = (latest - dt_a).dt.days.astype(float)
            out_te[c] = (latest - dt_b).dt.days.astype(float)
            kinds[c] = "num"
            continue
        sa, sb = a.astype("string"), b.astype("string")
        if sa.str.contains("@", na=False).mean() > 0.5:
            sa, sb = sa.str.split("@").str[-1], sb.str.split("@").str[-1]
        counts = sa.value_counts()
        keep = set(counts[counts >= 20].index)
        pool = lambda s: s.where(s.isin(keep) | s.isna(), "(other)").fillna("(missing)")
        out_tr[c], out_te[c], kinds[c] = pool(sa).astype(str), pool(sb).astype(str), "cat"
    return pd.DataFrame(out_tr), pd.DataFrame(out_te), ytr, yte, kinds


def references(xtr, xte, ytr, yte, kinds):
    from interpret.glassbox import ExplainableBoostingClassifier
    from lightgbm import LGBMClassifier
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [c for c, k in kinds.items() if k == "cat"]
    nums = [c for c, k in kinds.items() if k == "num"]
    results = {}
    # LightGBM takes no special characters in feature names: positions stand for them.
    cat_tr, cat_te = xtr.copy(), xte.copy()
    for c in cats:
        levels = pd.Categorical(xtr[c]).categories
        cat_tr[c] = pd.Categorical(xtr[c], categories=levels)
        cat_te[c] = pd.Categorical(xte[c], categories=levels)
    cat_tr.columns = cat_te.columns = [f"f{i}" for i in range(xtr.shape[1])]

    def run(name, fit_predict):
        t = time.time()
        p = fit_predict()
        results[name] = (delong(yte, p), time.time() - t)
        print(f"  {name}: ROC AUC {results[name][0][0]:.4f} ({time.time() - t:.0f} s)", flush=True)

    run("EBM, with pairs", lambda: ExplainableBoostingClassifier(random_state=0).fit(xtr, ytr).predict_proba(xte)[:, 1])
    run("EBM, mains only",
        lambda: ExplainableBoostingClassifier(random_state=0, interactions=0).fit(xtr, ytr).predict_proba(xte)[:, 1])
    run("LightGBM", lambda: LGBMClassifier(n_estimators=300, learning_rate=0.05, verbose=-1, random_state=0)
        .fit(cat_tr, ytr).predict_proba(cat_te)[:, 1])
    # HistGradientBoosting takes at most 255 levels a column: the most frequent 254, the
    # rest pooled.
    hgb_tr, hgb_te = cat_tr.copy(), cat_te.copy()
    for c in hgb_tr.columns:
        if isinstance(hgb_tr[c].dtype, pd.CategoricalDtype) and len(hgb_tr[c].cat.categories) > 255:
            top = list(hgb_tr[c].astype(str).value_counts().index[:254])
            squash = lambda s: pd.Categorical(s.astype(str).where(s.astype(str).isin(top), "(rest)"),
                                              categories=top + ["(rest)"])
            hgb_tr[c], hgb_te[c] = squash(hgb_tr[c]), squash(hgb_te[c])
    run("HistGradientBoosting", lambda: HistGradientBoostingClassifier(random_state=0, categorical_features="from_dtype")
        .fit(hgb_tr, ytr).predict_proba(hgb_te)[:, 1])
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), nums),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cats)])
    run("scikit-learn logistic", lambda: make_pipeline(pre, LogisticRegression(max_iter=5000))
        .fit(xtr, ytr).predict_proba(xte)[:, 1])
    return results


def leadscore(work, train_csv, test_csv, label, extra):
    model = os.path.join(work, "model.leadscore")
    t = time.time()
    subprocess.run([binary, "train", "--data", train_csv, "--label", label, "--model", model, "--force", "-q", *extra],
                   check=True, stdout=subprocess.DEVNULL)
    r = subprocess.run([binary, "evaluate", "--model", model, "--data", test_csv, "--json", "-q"], check=True,
                       capture_output=True, text=True)
    j = json.loads(r.stdout)
    ci = j["roc_auc_ci"]
    print(f"  leadscore: ROC AUC {j['roc_auc']:.4f} ({time.time() - t:.0f} s)", flush=True)
    return (j["roc_auc"], ci[0], ci[1]), time.time() - t


def sets(work):
    """(name, how it was split, train CSV, test CSV, label, won value, leadscore's extra flags)."""
    out = []
    x = os.path.join(shared, "x-education-leads", "Leads.csv")
    if os.path.exists(x):
        df = pd.read_csv(x, dtype=str, keep_default_na=False).drop(columns=X_EXCLUDE)
        tr, te = train_test_split(df, test_size=0.3, random_state=42, stratify=df["Converted"])
        a, b = os.path.join(work, "x_train.csv"), os.path.join(work, "x_test.csv")
        tr.to_csv(a, index=False)
        te.to_csv(b, index=False)
        out.append(("X Education", "fair columns, stratified 70/30, seed 42", a, b, "Converted", "1", []))
    bank = os.path.join(shared, "uci-bank-marketing", "bank-additional-full.csv")
    if os.path.exists(bank):
        df = pd.read_csv(bank, sep=";", dtype=str, keep_default_na=False).drop(columns=["duration"])
        k = int(0.8 * len(df))
        a, b = os.path.join(work, "bank_first80.csv"), os.path.join(work, "bank_last20.csv")
        df.iloc[:k].to_csv(a, index=False)
        df.iloc[k:].to_csv(b, index=False)
        out.append(("UCI bank marketing", "first 80% of rows, then the last 20%, no duration", a, b, "y", "yes", []))
    a, b = os.path.join(work, "synth_train.csv"), os.path.join(work, "synth_test.csv")
    subprocess.run([binary, "synth", "--rows", "20000", "--seed", "5", "--output", a, "-q"], check=True)
    subprocess.run([binary, "synth", "--rows", "10000", "--seed", "6", "--output", b, "-q"], check=True)
    out.append(("synthetic CRM", "synth 20,000 rows seed 5, then 10,000 rows seed 6", a, b, "outcome", "won",
                ["--id", "lead_id"]))
    # The events set: contacts and their activity log, aggregated point in time by
    # `leadscore events` (each contact's events before its closed_date), the same table
    # for every model; closed_date itself left out (it is the cut-off, not a feature).
    tables = []
    for rows, seed, name in ((20000, 7, "events_train"), (10000, 8, "events_test")):
        contacts, log, joined = (os.path.join(work, f"{name}{x}") for x in ("_contacts.csv", "_log.csv", ".csv"))
        subprocess.run([binary, "synth", "--rows", str(rows), "--seed", str(seed), "--events", log, "--output",
                        contacts, "-q"], check=True)
        subprocess.run([binary, "events", "--data", contacts, "--id", "lead_id", "--events", log, "--cutoff-col",
                        "closed_date", "--output", joined, "-q"], check=True)
        pd.read_csv(joined, dtype=str, keep_default_na=False).drop(columns=["closed_date"]).to_csv(joined, index=False)
        tables.append(joined)
    out.append(("synthetic CRM with an activity log",
                "synth --events 20,000 contacts seed 7, then 10,000 seed 8; `leadscore events` before closed_date",
                tables[0], tables[1], "outcome", "won", ["--id", "lead_id"]))
    return out


def main():
    rows = []
    with tempfile.TemporaryDirectory(prefix="leadscore-quality-") as work:
        for name, split, a, b, label, won, extra in sets(work):
            print(f"== {name} ({split})", flush=True)
            tr, te = pd.read_csv(a, dtype=str, keep_default_na=False), pd.read_csv(b, dtype=str, keep_default_na=False)
            drop = [c for c in ("lead_id",) if c in tr.columns]
            tr, te = tr.drop(columns=drop).replace("", np.nan), te.drop(columns=drop).replace("", np.nan)
            res = {"leadscore (defaults)": leadscore(work, a, b, label, extra),
                   "leadscore --interactions off": leadscore(work, a, b, label, extra + ["--interactions", "off"])}
            xtr, xte, ytr, yte, kinds = prepare(tr, te, label, won)
            res.update(references(xtr, xte, ytr, yte, kinds))
            rows.append((name, split, len(tr), len(te), int(yte.sum()), res))
    names = list(rows[0][5].keys())
    lines = ["# The quality benchmark", "",
             f"`bench/quality.sh` on {time.strftime('%Y-%m-%d')}: ROC AUC on rows no model saw, with its 95% interval "
             "(DeLong), and each fit's wall seconds. See `bench/quality.py` for the sets, splits and settings.", "",
             "| set (split) | rows (train / test, test won) | " + " | ".join(names) + " |",
             "|---|---|" + "---:|" * len(names)]
    for name, split, ntr, nte, won, res in rows:
        best = max(v[0][0] for v in res.values())
        cells = []
        for k in names:
            (auc, lo, hi), secs = res[k]
            s = f"{auc:.4f} ({lo:.3f}-{hi:.3f}), {secs:.1f} s"
            cells.append(f"**{s}**" if auc == best else s)
        lines.append(f"| {name} ({split}) | {ntr:,} / {nte:,}, {won:,} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(out_md, "w", encoding="utf-8") as f:
        f.write(text)


main()
