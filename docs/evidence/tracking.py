"""What the tracking statistics score on the committed five-seed study (docs/reference), for the
critic's EM estimate and for estimates built to fool them: a clock, a wall clock, another seed's
EM curve of the same architecture, and an ideal tracker (the run's own FID, smoothed). The
earlier statistic (rho of changes, snapshot to snapshot) against today's between-seed test
(wganlib.verdicts.tracking). No TensorFlow. Usage: .venv/bin/python docs/evidence/tracking.py"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "workflow" / "scripts"), str(ROOT / "tests")]

from test_reference import REFERENCES, reference_grid, study_config  # noqa: E402
from wganlib.verdicts import tracking  # noqa: E402
from wganlib.verdicts.runs import compute_at, load_runs, spearman, summary_rows  # noqa: E402
from wganlib.verdicts.tracking import EM_MODELS as WGAN_MODELS  # noqa: E402 (the models with an EM estimate)


def with_estimate(rows, runs, make):
    """The rows with each run's estimate at its snapshots replaced by make(row, run, rows)."""
    out = []
    for row, run in zip(rows, runs, strict=True):
        curves = dict(row["curves"])
        curves["estimate"] = tuple(make(row, run, rows))
        out.append({**row, "curves": curves})
    return out


def sibling(row, run, rows):
    """The EM curve of the next seed of the same model and architecture."""
    seeds = sorted(r["seed"] for r in rows if (r["model"], r["architecture"]) == (row["model"], row["architecture"]))
    other = seeds[(seeds.index(row["seed"]) + 1) % len(seeds)]
    mate = next(
        r for r in rows if (r["model"], r["architecture"], r["seed"]) == (row["model"], row["architecture"], other)
    )
    at = dict(zip(mate["curves"]["iteration"], mate["curves"]["estimate"], strict=True))
    return [at.get(i, np.nan) for i in row["curves"]["iteration"]]


CANDIDATES = {
    "the critic's EM estimate": lambda row, run, rows: row["curves"]["estimate"],
    "a clock (generator iterations)": lambda row, run, rows: row["curves"]["iteration"],
    "a wall clock (each run's own pace)": lambda row, run, rows: compute_at(run, row["curves"]["iteration"])[
        "wall_time_s"
    ],
    "another seed's EM curve, same architecture": sibling,
    "an ideal tracker (the run's FID, rolling median of 5 snapshots)": lambda row, run, rows: (
        pd.Series(row["curves"]["fid"]).rolling(5, center=True, min_periods=1).median()
    ),
}


def changes(rows, clock=False):
    """The earlier statistic: per seed, the median over its EM runs of rho(changes of the estimate,
    changes of FID); the range of the five seeds' values. A clock's changes are all equal: its
    time itself against FID's changes, as the review scored it."""
    per_seed = {}
    for r in rows:
        e, f = np.asarray(r["curves"]["estimate"], float), np.asarray(r["curves"]["fid"], float)
        keep = np.isfinite(e) & np.isfinite(f)
        moved = e[keep][1:] if clock else np.diff(e[keep])
        per_seed.setdefault(r["seed"], []).append(spearman(moved, np.diff(f[keep])))
    medians = [np.nanmedian(v) for v in per_seed.values()]
    return f"{min(medians):.2f} to {max(medians):.2f}"


def main():
    folder, study, dataset, _, _ = REFERENCES["study"]
    config = study_config(folder, study)
    runs = [r for r in load_runs(reference_grid(config, folder, dataset)) if r["model"] in WGAN_MODELS]
    t = config["claims"]
    rows = summary_rows(
        runs,
        None,
        good_fid=t["good_fid"],
        median_window=config["figures"]["median_window"],
        still_improving=t["still_improving"],
        min_progress=t["min_progress"],
    )
    print("| estimate | rho of changes, per seed median (earlier statistic) | between-seed rho | p | verdict |")
    print("|---|---|---|---|---|")
    for name, make in CANDIDATES.items():
        candidate = with_estimate(rows, runs, make)
        test = tracking.between_seeds(candidate, WGAN_MODELS)
        verdict = tracking.em_tracks_quality(candidate, t, t["confidence"])[0]
        between = "no ranking" if test is None else f"{test.statistic:.3f}"
        p = "–" if test is None else f"{test.p_value:.3g}"
        print(f"| {name} | {changes(candidate, clock='clock (generator' in name)} | {between} | {p} | {verdict} |")
    noise, spread = [], []
    for r in rows:
        fid = pd.Series(r["curves"]["fid"])
        late = fid[len(fid) // 2 :]
        noise.append(float((late - late.rolling(5, center=True, min_periods=1).median()).abs().median() * 1.4826))
    for key in {(r["model"], r["architecture"]) for r in rows}:
        final = [r["fid"] for r in rows if (r["model"], r["architecture"]) == key]
        spread.append(np.std(final) / np.mean(final))
    print(
        f"\nsnapshot FID noise (robust s.d. around a 5-snapshot rolling median, second half): median "
        f"{np.median(noise):.2f}, range {min(noise):.2f} to {max(noise):.2f}"
    )
    print(
        f"seeds' spread of final FID within a group (s.d. / mean): median {np.median(spread):.3f}, "
        f"range {min(spread):.3f} to {max(spread):.3f}"
    )


if __name__ == "__main__":
    main()
