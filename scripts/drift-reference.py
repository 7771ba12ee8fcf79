#!/usr/bin/python3
"""Reference values for the drift statistics (src/operations/drift), computed
once with SciPy and committed as test/fixtures/drift/reference.json.

Run from the repository root with Debian's python3-scipy (or any SciPy >= 1.5,
whose ks_2samp 'asymp' uses kstwo):

    /usr/bin/python3 scripts/drift-reference.py

Samples are seeded numpy draws rounded to 6 significant digits; the rounded
values are what is stored and what SciPy sees, so the TypeScript tests feed
exactly the same numbers. PSI is not in SciPy: it is computed here with numpy
following the definition documented in src/operations/drift/stats.ts
(deciles of the reference by the inverted-CDF rule, duplicate edges dropped,
right-closed bins, empty-bin proportions floored at 1e-4).
"""
import json
import pathlib

import numpy as np
import scipy
from scipy import special, stats
from scipy.stats import contingency

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "drift" / "reference.json"
PSI_EPSILON = 1e-4


def rounded(values):
    return [float(f"{v:.6g}") for v in values]


def psi(reference, batch, bins=10):
    ref = np.sort(np.asarray(reference))
    m = ref.size
    # inverted CDF: the smallest value whose cumulative share reaches i/bins
    edges = np.unique([ref[int(np.ceil(i * m / bins)) - 1] for i in range(1, bins)])
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=edges.size + 1)
    batch_counts = np.bincount(np.searchsorted(edges, np.asarray(batch), side="left"), minlength=edges.size + 1)
    p = np.maximum(ref_counts / m, PSI_EPSILON)
    q = np.maximum(batch_counts / len(batch), PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p))), [float(e) for e in edges]


def numeric_case(name, reference, batch):
    reference, batch = rounded(reference), rounded(batch)
    ks = stats.ks_2samp(reference, batch, method="asymp")
    value, edges = psi(reference, batch)
    return {
        "name": name,
        "reference": reference,
        "batch": batch,
        "ksStatistic": float(ks.statistic),
        "ksPValue": float(ks.pvalue),
        "psi": value,
        "psiEdges": edges,
    }


def categorical_case(name, reference_counts, batch_counts):
    categories = sorted(set(reference_counts) | set(batch_counts))
    table = np.array([[reference_counts.get(c, 0) for c in categories], [batch_counts.get(c, 0) for c in categories]])
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    return {
        "name": name,
        "referenceCounts": reference_counts,
        "batchCounts": batch_counts,
        "chi2": float(chi2),
        "pValue": float(p),
        "dof": int(dof),
        "cramersV": float(contingency.association(table, method="cramer")),
    }


def main():
    rng = np.random.default_rng(20261127)
    numeric = [
        numeric_case("same normal", rng.normal(0, 1, 1500), rng.normal(0, 1, 1200)),
        numeric_case("mean shift 0.25", rng.normal(0, 1, 1500), rng.normal(0.25, 1, 1000)),
        numeric_case("scale x1.5", rng.normal(0, 1, 1200), rng.normal(0, 1.5, 900)),
        numeric_case("lognormal vs shifted", rng.lognormal(0, 1, 1000), rng.lognormal(0.4, 1, 1100)),
        numeric_case("poisson ties", rng.poisson(3, 1000), rng.poisson(3.4, 800)),
        numeric_case("point mass at zero", np.where(rng.random(1000) < 0.4, 0, rng.exponential(1, 1000)),
                     np.where(rng.random(700) < 0.6, 0, rng.exponential(1, 700))),
        numeric_case("disjoint support", rng.uniform(0, 1, 300), rng.uniform(2, 3, 200)),
        numeric_case("tiny samples", rng.normal(0, 1, 8), rng.normal(1, 1, 6)),
        numeric_case("small samples", rng.normal(0, 1, 60), rng.normal(0.3, 1, 90)),
    ]
    categorical = [
        categorical_case("same mix", {"a": 500, "b": 300, "c": 200}, {"a": 480, "b": 320, "c": 200}),
        categorical_case("shifted mix", {"a": 500, "b": 300, "c": 200}, {"a": 300, "b": 300, "c": 400}),
        categorical_case("unseen category", {"red": 700, "green": 300}, {"red": 600, "green": 250, "blue": 150}),
        categorical_case("two categories", {"yes": 90, "no": 110}, {"yes": 130, "no": 70}),
    ]
    kolmogorov = []
    for n in [1, 2, 5, 20, 80, 140, 141, 500, 5000, 50000, 100000, 100001, 400000]:
        for x in [0.0005, 0.002, 0.006, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.95]:
            kolmogorov.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    smirnov = [{"n": n, "x": x, "sf": float(special.smirnov(n, x))}
               for n in [1, 3, 10, 100, 1000, 20000] for x in [0.01, 0.05, 0.2, 0.5, 0.9]]
    chi2 = [{"x": x, "df": df, "sf": float(stats.chi2.sf(x, df))}
            for df in [1, 2, 3, 7, 20, 150] for x in [0.001, 0.5, 1, 3.84, 10, 40, 200]]
    document = {
        "generatedBy": f"scripts/drift-reference.py (numpy {np.__version__}, scipy {scipy.__version__})",
        "psiEpsilon": PSI_EPSILON,
        "numeric": numeric,
        "categorical": categorical,
        "kolmogorovSf": kolmogorov,
        "smirnovSf": smirnov,
        "chi2Sf": chi2,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
