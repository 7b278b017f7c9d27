"""Check leadscore's DeLong numbers with an independent implementation (issue 17).

The integration test `intervals::delong_matches_...` writes, for three sets of two
correlated scores with ties and their labels, the AUCs, variances, covariance, the
single-score interval and the paired test leadscore computed (the fast midrank method of
Sun and Xu), to the file named by LEADSCORE_DELONG_LOG. This script recomputes them from
the definition in DeLong, DeLong and Clarke-Pearson (1988): the structural components
over every (won, lost) pair, with numpy, and the normal quantiles with Python's
statistics module, and requires agreement to 1e-6.
"""

import json
import sys
from statistics import NormalDist

import numpy as np


def delong(scores, y):
    pos, neg = scores[:, y], scores[:, ~y]
    m, n = pos.shape[1], neg.shape[1]
    # psi(X, Y) for every pair: 1 if the won lead scores higher, 1/2 on a tie.
    psi = (pos[:, :, None] > neg[:, None, :]) + 0.5 * (pos[:, :, None] == neg[:, None, :])
    v10 = psi.mean(axis=2)  # per won lead
    v01 = psi.mean(axis=1)  # per lost lead
    auc = v10.mean(axis=1)
    s = np.cov(v10) / m + np.cov(v01) / n
    return auc, s


def main(path):
    cases = json.load(open(path))
    z = NormalDist().inv_cdf(0.975)
    worst = 0.0
    for i, c in enumerate(cases, 1):
        y = np.array(c["labels"], dtype=bool)
        auc, s = delong(np.array([c["a"], c["b"]], dtype=float), y)
        diff = auc[0] - auc[1]
        se = np.sqrt(s[0, 0] + s[1, 1] - 2 * s[0, 1])
        p = 2 * (1 - NormalDist().cdf(abs(diff / se)))
        se_a = np.sqrt(s[0, 0])
        expected = {
            "auc_a": auc[0], "auc_b": auc[1], "var_a": s[0, 0], "var_b": s[1, 1], "cov_ab": s[0, 1],
            "difference": diff, "p_value": p, "z": diff / se,
        }
        got = {k: c[k] for k in expected}
        pairs = list(zip(expected.values(), got.values()))
        pairs += list(zip([max(auc[0] - z * se_a, 0), min(auc[0] + z * se_a, 1)], c["roc_auc_ci_a"]))
        pairs += list(zip([diff - z * se, diff + z * se], c["difference_ci"]))
        for e, g in pairs:
            worst = max(worst, abs(e - g))
        bad = [(k, expected[k], got[k]) for k in expected if abs(expected[k] - got[k]) > 1e-6]
        if bad or worst > 1e-6:
            sys.exit(f"case {i}: leadscore and the all-pairs DeLong differ: {bad} (largest difference {worst:.3e})")
        print(f"case {i}: {len(y)} leads, AUCs {auc[0]:.6f} and {auc[1]:.6f}, paired z {diff / se:.4f}, p {p:.6f}")
    print(f"delong: {len(cases)} cases agree with the all-pairs implementation; largest difference {worst:.2e}")


if __name__ == "__main__":
    main(sys.argv[1])
