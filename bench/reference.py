"""The analyst's default stack doing leadscore's job: pandas + scikit-learn.

The reference side of the benchmark (bench/run). On a synthetic CRM export from
`leadscore synth` it does the same work as `leadscore train` and `leadscore score`, end to
end from the file on disk: the same columns, the same feature engineering (median
imputation with missing flags, log1p of skewed counts, standardisation, 5 quantile steps,
case-folded categories with rare levels pooled, one-hot, yes/no flags, days before the
as-of date, e-mail kind, job-title seniority and function), L2 logistic regression with
C = 1 (leadscore's alpha = 1), and the same holdout (the last 20% of rows).

Usage:
  python bench/reference.py train DATA.csv|parquet MODEL.pkl    -> JSON with holdout ROC AUC
  python bench/reference.py score MODEL.pkl DATA.csv OUT.csv
"""
import json
import pickle
import re
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer, OneHotEncoder, StandardScaler

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from reference_shared import CATEGORIES, DATES, FREE_MAIL, FUNCTIONS, ID, LABEL, NUMBERS, PLACEHOLDERS, SENIORITY  # noqa: E402,F401

warnings.filterwarnings("ignore", category=UserWarning)


def keyword_class(title, table, default):
    if not isinstance(title, str) or title.strip().lower() in PLACEHOLDERS:
        return np.nan
    lower = title.lower()
    words = set(re.split(r"[^0-9a-z]+", lower))
    for name, keys in table:
        if any((k in lower) if " " in k else (k in words) for k in keys):
            return name
    return default


def email_kind(s):
    if not isinstance(s, str) or s.strip().lower() in PLACEHOLDERS:
        return np.nan
    if "@" not in s:
        return "invalid"
    d = s.rsplit("@", 1)[1].lower()
    if d in FREE_MAIL:
        return "free-mail"
    if d.endswith(".edu") or ".edu." in d or ".ac." in d:
        return "education"
    return "company"


def read(path):
    return pd.read_parquet(path) if path.endswith((".parquet", ".pq")) else pd.read_csv(path, low_memory=False)


def prepare(df, as_of):
    """Raw export -> typed columns, as leadscore's roles would read them."""
    out = pd.DataFrame(index=df.index)
    for c in NUMBERS:
        out[c] = pd.to_numeric(df[c], errors="raise").astype(float)
    for c in DATES:
        out[c + "_days"] = (as_of - pd.to_datetime(df[c])).dt.days.astype(float)
    for c in CATEGORIES:
        s = df[c].astype(object).where(df[c].notna(), "").astype(str).str.strip().str.lower()
        out[c] = s.where(~s.isin(PLACEHOLDERS), np.nan)
    out["email_kind"] = df["email"].map(email_kind)
    out["title_seniority"] = df["job_title"].map(lambda t: keyword_class(t, SENIORITY, "individual contributor"))
    out["title_function"] = df["job_title"].map(lambda t: keyword_class(t, FUNCTIONS, "other"))
    out["demo_requested"] = df["demo_requested"].astype(str).str.strip().str.lower().isin(["yes", "true", "1"]).astype(float)
    return out


def build(train):
    numeric = NUMBERS + [c + "_days" for c in DATES]
    skewed = [c for c in numeric if train[c].min() >= 0 and train[c].skew() > 1.0]
    plain = [c for c in numeric if c not in skewed]
    num = lambda log: make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        *( [FunctionTransformer(np.log1p)] if log else [] ),
        StandardScaler(),
    )
    bins = make_pipeline(SimpleImputer(strategy="median"),
                         KBinsDiscretizer(n_bins=5, strategy="quantile", encode="onehot-dense", quantile_method="averaged_inverted_cdf"))
    cats = CATEGORIES + ["email_kind", "title_seniority", "title_function"]
    cat = make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                        OneHotEncoder(min_frequency=0.005, max_categories=32, handle_unknown="infrequent_if_exist", sparse_output=False),
                        StandardScaler())
    pre = ColumnTransformer([
        ("log", num(True), skewed),
        ("num", num(False), plain),
        ("steps", make_pipeline(bins, StandardScaler()), numeric),
        ("cat", cat, cats),
        ("flag", StandardScaler(), ["demo_requested"]),
    ])
    return Pipeline([("features", pre), ("model", LogisticRegression(C=1.0, max_iter=500))])


def train(data, model_path):
    df = read(data)
    df = df[df[LABEL].notna()]
    as_of = pd.to_datetime(df[DATES].stack()).max()
    x = prepare(df, as_of)
    y = (df[LABEL].astype(str).str.strip().str.lower() == "won").to_numpy()
    k = int(round(0.2 * len(df)))
    pipe = build(x.iloc[:-k])
    pipe.fit(x.iloc[:-k], y[:-k])
    p = pipe.predict_proba(x.iloc[-k:])[:, 1]
    auc = roc_auc_score(y[-k:], p)
    with open(model_path, "wb") as f:
        pickle.dump({"pipe": pipe, "threshold": 0.5}, f)
    print(json.dumps({"rows": len(df), "holdout_rows": k, "roc_auc": auc, "features": int(pipe["model"].coef_.shape[1])}))


def score(model_path, data, out):
    with open(model_path, "rb") as f:
        m = pickle.load(f)
    df = read(data)
    as_of = pd.to_datetime(df[DATES].stack()).max()
    p = m["pipe"].predict_proba(prepare(df, as_of))[:, 1]
    thr = m["threshold"]
    tier = np.where(p >= thr, "hot", np.where(p >= thr / 2, "warm", "cold"))
    pd.DataFrame({ID: df[ID], "probability": p, "score": np.round(p * 100).astype(int), "tier": tier,
                  "decision": p >= thr}).to_csv(out, index=False)


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
