"""Which statistic of "the estimate tracks quality" separates the EM estimate (WGAN, WGAN-GP) from
the GAN's JS estimate, on the committed reference runs (docs/evidence/tracking.md). No TensorFlow.
Usage, from the repository root: .venv/bin/python docs/evidence/tracking.py"""

import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from test_reference import REFERENCES, reference_grid, study_config  # noqa: E402
from wganlib.runs import fid_over_training, filtered_estimate, load_runs, metrics_frame, spearman, value_at  # noqa: E402


def curves(run, window):
    """(snapshot iterations, the filtered estimate there, FID), finite points only."""
    column = "js_estimate" if run["model"] == "dcgan" else "em_estimate"
    iterations, fid = fid_over_training(run)
    logged, values = filtered_estimate(metrics_frame(run), column, window)
    estimate = value_at(logged, values, iterations)
    keep = np.isfinite(estimate) & np.isfinite(fid)
    return iterations[keep], estimate[keep], fid[keep]


def partial(xy, xz, yz):
    """Correlation of x and y given z, from the three pairwise (rank) correlations."""
    if abs(xz) >= 1 or abs(yz) >= 1:
        return math.nan
    return (xy - xz * yz) / math.sqrt((1 - xz**2) * (1 - yz**2))


def within(run, window):
    t, e, f = curves(run, window)
    de, df, mid = np.diff(e), np.diff(f), t[1:]
    late = mid > t[-1] / 2
    return {
        "rho over training": spearman(e, f),
        "partial rho given iteration": partial(spearman(e, f), spearman(t, e), spearman(t, f)),
        "rho of changes": spearman(de, df),
        "rho of changes, second half": spearman(de[late], df[late]),
        "rho of changes given iteration": partial(spearman(de, df), spearman(mid, de), spearman(mid, df)),
    }


def across(runs, window):
    """Per model and seed: Spearman over its runs (architectures) of estimate against FID at each
    snapshot iteration they all have; the median over those iterations, and at the last."""
    out = {}
    for key in sorted({(r["model"], r["seed"]) for r in runs}):
        group = [curves(r, window) for r in runs if (r["model"], r["seed"]) == key]
        common = sorted(set.intersection(*(set(t) for t, _, _ in group)))
        at = [[dict(zip(t, e, strict=True)) for t, e, _ in group], [dict(zip(t, f, strict=True)) for t, _, f in group]]
        rhos = [spearman([e[i] for e in at[0]], [f[i] for f in at[1]]) for i in common]
        out[key] = (len(group), float(np.nanmedian(rhos)), rhos[-1])
    return out


def main():
    for name, (folder, study, _, _) in REFERENCES.items():
        config = study_config(folder, study)
        window = config["figures"]["median_window"]
        runs = load_runs(reference_grid(config, folder))
        stats = [(r["model"], within(r, window)) for r in runs]
        print(f"\n## {name}: per-run statistics, median over runs (runs at or above 0.6 / runs)\n")
        print("| statistic | EM (wgan, wgan-gp) | JS (dcgan) | P(EM run > JS run) |\n|---|---|---|---|")
        for statistic in stats[0][1]:
            em = np.array([s[statistic] for m, s in stats if m != "dcgan"])
            js = np.array([s[statistic] for m, s in stats if m == "dcgan"])
            em, js = em[np.isfinite(em)], js[np.isfinite(js)]
            auc = np.mean([(a > b) + 0.5 * (a == b) for a in em for b in js])
            cells = [f"{np.median(v):.2f} ({(v >= 0.6).sum()}/{len(v)})" for v in (em, js)]
            print(f"| {statistic} | {cells[0]} | {cells[1]} | {auc:.2f} |")
        print(f"\n## {name}: across runs at matched iterations\n")
        print("| model | seed | runs | median rho over iterations | rho at the last |\n|---|---|---|---|---|")
        for (model, seed), (n, mid, last) in across(runs, window).items():
            print(f"| {model} | {seed} | {n} | {mid:.2f} | {last:.2f} |")


if __name__ == "__main__":
    main()
