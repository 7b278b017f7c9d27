"""The expert's Python stack doing leadscore's job: polars + scikit-learn (issue 26).

The second, stronger reference of the benchmark (bench/run), beside the pandas one
(bench/reference.py): what someone who knows the stack would write. polars' own CSV
(or Parquet) reader, the features as vectorised polars expressions (no per-row Python:
the title and e-mail classes are regular expressions evaluated by polars), one float64
matrix, and `LogisticRegression(solver="lbfgs")`, C = 1 (leadscore's alpha = 1). The same
features as bench/reference.py and leadscore's defaults: median imputation with missing
flags, log1p of skewed non-negative numbers, standardisation, 5 quantile steps,
case-folded categories with levels under 0.5% pooled, one-hot, the yes/no flag, days
before the as-of date, e-mail kind, job-title seniority and function; the same holdout
(the last 20% of rows).

Usage:
  python bench/reference_polars.py train DATA.csv|parquet MODEL.pkl  -> JSON with holdout ROC AUC
  python bench/reference_polars.py score MODEL.pkl DATA.csv OUT.csv
"""
import json
import pickle
import sys

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from reference_shared import CATEGORIES, DATES, FREE_MAIL, FUNCTIONS, ID, LABEL, NUMBERS, PLACEHOLDERS, SENIORITY  # noqa: E402


def read(path):
    if path.endswith((".parquet", ".pq")):
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema_length=10000, try_parse_dates=False)


def clean(c):
    s = pl.col(c).cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    return pl.when(s.is_in(list(PLACEHOLDERS)) | s.is_null()).then(None).otherwise(s)


def keyword_class(col, table, default):
    """The first class whose keyword occurs (a phrase as a substring, a word as a word)."""
    lower = clean(col)
    expr = None
    for name, keys in reversed(table):
        words = [k for k in keys if " " not in k]
        phrases = [k for k in keys if " " in k]
        parts = []
        if words:
            parts.append(r"(^|[^0-9a-z])(" + "|".join(words) + r")([^0-9a-z]|$)")
        parts.extend(phrases)
        hit = lower.str.contains("|".join(parts))
        expr = pl.when(hit).then(pl.lit(name)).otherwise(expr if expr is not None else pl.lit(default))
    return pl.when(lower.is_null()).then(None).otherwise(expr)


def email_kind(col):
    s = clean(col)
    domain = s.str.extract(r"@([^@]+)$", 1)
    return (
        pl.when(s.is_null()).then(None)
        .when(~s.str.contains("@")).then(pl.lit("invalid"))
        .when(domain.is_in(list(FREE_MAIL))).then(pl.lit("free-mail"))
        .when(domain.str.contains(r"\.edu$|\.edu\.|\.ac\.")).then(pl.lit("education"))
        .otherwise(pl.lit("company"))
    )


def prepare(df, as_of):
    exprs = [pl.col(c).cast(pl.Float64).alias(c) for c in NUMBERS]
    for c in DATES:
        d = pl.col(c).cast(pl.Utf8).str.to_date(strict=False)
        exprs.append(((pl.lit(as_of) - d).dt.total_days()).cast(pl.Float64).alias(c + "_days"))
    exprs += [clean(c).alias(c) for c in CATEGORIES]
    exprs += [
        email_kind("email").alias("email_kind"),
        keyword_class("job_title", SENIORITY, "individual contributor").alias("title_seniority"),
        keyword_class("job_title", FUNCTIONS, "other").alias("title_function"),
        clean("demo_requested").is_in(["yes", "true", "1"]).cast(pl.Float64).fill_null(0.0).alias("demo_requested"),
    ]
    return df.select(exprs)


def as_of_of(df):
    return max(df[c].cast(pl.Utf8).str.to_date(strict=False).max() for c in DATES)


def fit_features(x):
    """The feature plan, learned on the training rows."""
    numeric = NUMBERS + [c + "_days" for c in DATES]
    plan = {"numeric": [], "cats": []}
    stats = x.select(
        [pl.col(c).median().alias(f"{c}|med") for c in numeric]
        + [pl.col(c).min().alias(f"{c}|min") for c in numeric]
        + [pl.col(c).skew().alias(f"{c}|skew") for c in numeric]
    ).row(0, named=True)
    for c in numeric:
        log = stats[f"{c}|min"] is not None and stats[f"{c}|min"] >= 0 and (stats[f"{c}|skew"] or 0) > 1.0
        med = stats[f"{c}|med"] if stats[f"{c}|med"] is not None else 0.0
        v = x[c].fill_null(med)
        q = np.unique(np.quantile(v.to_numpy(), [0.2, 0.4, 0.6, 0.8]))
        plan["numeric"].append({"col": c, "log": log, "median": med, "cuts": q.tolist(),
                                "missing": x[c].null_count() > 0})
    n = x.height
    for c in CATEGORIES + ["email_kind", "title_seniority", "title_function"]:
        counts = x[c].drop_nulls().value_counts(sort=True)
        keep = counts.filter(pl.col("count") >= 0.005 * n)[c].to_list()[:30]
        plan["cats"].append({"col": c, "levels": keep})
    return plan


def design_exprs(plan):
    out = []
    for p in plan["numeric"]:
        c = pl.col(p["col"])
        v = c.fill_null(p["median"])
        out.append((v.log1p() if p["log"] else v).alias(p["col"]))
        if p["missing"]:
            out.append(c.is_null().cast(pl.Float64).alias(p["col"] + "|missing"))
        for k, cut in enumerate(p["cuts"]):
            out.append((v > cut).cast(pl.Float64).alias(f"{p['col']}|>{k}"))
    for p in plan["cats"]:
        c = pl.col(p["col"])
        for level in p["levels"]:
            out.append((c == level).fill_null(False).cast(pl.Float64).alias(f"{p['col']}={level}"))
        out.append(c.is_null().cast(pl.Float64).alias(f"{p['col']}|missing"))
        out.append((~c.is_in(p["levels"]) & c.is_not_null()).cast(pl.Float64).alias(f"{p['col']}|other"))
    out.append(pl.col("demo_requested"))
    return out


def matrix(x, plan):
    return x.select(design_exprs(plan)).to_numpy().astype(np.float64, copy=False)


def train(data, model_path):
    df = read(data).filter(pl.col(LABEL).is_not_null())
    as_of = as_of_of(df)
    x = prepare(df, as_of)
    y = (df[LABEL].cast(pl.Utf8).str.strip_chars().str.to_lowercase() == "won").to_numpy()
    k = int(round(0.2 * df.height))
    xtr = x.head(df.height - k)
    plan = fit_features(xtr)
    a = matrix(x, plan)
    mean = a[:-k].mean(axis=0)
    sd = a[:-k].std(axis=0)
    sd[sd == 0] = 1.0
    a = (a - mean) / sd
    model = LogisticRegression(C=1.0, solver="lbfgs", max_iter=500).fit(a[:-k], y[:-k])
    p = model.predict_proba(a[-k:])[:, 1]
    auc = roc_auc_score(y[-k:], p)
    with open(model_path, "wb") as f:
        pickle.dump({"plan": plan, "mean": mean, "sd": sd, "model": model, "threshold": 0.5}, f)
    print(json.dumps({"rows": df.height, "holdout_rows": k, "roc_auc": auc, "features": int(a.shape[1])}))


def score(model_path, data, out):
    with open(model_path, "rb") as f:
        m = pickle.load(f)
    df = read(data)
    a = (matrix(prepare(df, as_of_of(df)), m["plan"]) - m["mean"]) / m["sd"]
    p = m["model"].predict_proba(a)[:, 1]
    thr = m["threshold"]
    pl.DataFrame({
        ID: df[ID],
        "probability": p,
        "score": np.round(p * 100).astype(np.int64),
        "tier": np.where(p >= thr, "hot", np.where(p >= thr / 2, "warm", "cold")),
        "decision": p >= thr,
    }).write_csv(out)


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
