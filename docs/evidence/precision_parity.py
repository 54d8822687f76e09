"""bfloat16 against float32 on trained runs: the five-seed study's runs (docs/reference, trained in
mixed bfloat16 on a CPU with avx512_bf16) beside the same settings trained again in float32, for
docs/evidence/precision-parity.md.

    python docs/evidence/precision_parity.py BF16_RUNS F32_RUNS OUT.json

Each folder holds run folders named {model}-{architecture}-s{seed} with the run's metrics.csv,
status.json and evaluation.json (docs/reference/runs; a results folder's mnist-5k/); the numbers are
the summary's (``runs.summary_rows`` with the study's good_fid of 80). For each (model,
architecture) the float32 runs have, and for each number the claims read (final FID, classes
covered, generator iterations to FID 80): every seed's value in each precision, the medians, the
difference of medians (float32 less bfloat16), and the seed spread (max - min) of each precision's
seeds; a difference is "outside" when it exceeds the bfloat16 seeds' spread, or the float32 seeds'
where that is smaller and rests on three seeds or more.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflow" / "scripts"))

from wganlib.plan.objectives import MODELS  # noqa: E402
from wganlib.verdicts.runs import load_run, summary_rows  # noqa: E402

GOOD_FID = 80  # config/study.yaml's claims.good_fid (the schema's default)
NAME = re.compile(rf"^({'|'.join(sorted(MODELS, key=len, reverse=True))})-(.+)-s(\d+)$")

NUMBERS = {
    "fid": ("final FID", "{:.1f}"),
    "modes_covered": ("classes covered", "{:.0f}"),
    "iterations_to_threshold": ("iterations to FID 80", "{:.0f}"),
}


def summary(folder: Path) -> pd.DataFrame:
    """The summary's rows of every evaluated run in ``folder``."""
    runs = []
    for run in sorted(folder.iterdir()):
        match = NAME.match(run.name)
        if match and (run / "evaluation.json").is_file():
            model, architecture, seed = match.groups()
            meta = {"experiment": run.name, "dataset": "mnist-5k", "model": model}
            runs.append(load_run(run, **meta, architecture=architecture, seed=int(seed)))
    return pd.DataFrame(summary_rows(runs, good_fid=GOOD_FID))


def values(frame: pd.DataFrame, model: str, architecture: str, key: str) -> dict[int, float]:
    rows = frame[(frame.model == model) & (frame.architecture == architecture)]
    return {int(r.seed): (math.inf if pd.isna(r[key]) else float(r[key])) for _, r in rows.iterrows()}


def spread(xs: list[float]) -> float:
    return max(xs) - min(xs) if xs else math.nan


def yardstick(spreads: tuple[float, float], float32_seeds: int) -> float:
    """The seed spread a difference is read against: the study's five bfloat16 seeds', and the
    float32 seeds' too where there are three or more (the smaller of the two)."""
    return min(spreads) if float32_seeds >= 3 else spreads[0]


def compare(bf16: pd.DataFrame, f32: pd.DataFrame) -> list[dict]:
    rows = []
    for (model, architecture), _ in f32.groupby(["model", "architecture"], sort=True):
        for key in NUMBERS:
            low, high = values(bf16, model, architecture, key), values(f32, model, architecture, key)
            a, b = sorted(low.values()), sorted(high.values())
            difference = float(pd.Series(b).median() - pd.Series(a).median())
            spreads = (spread(a), spread(b))
            rows.append(
                {
                    "model": model,
                    "architecture": architecture,
                    "number": key,
                    "bfloat16": low,
                    "float32": high,
                    "difference_of_medians": difference,
                    "spread_bfloat16": spreads[0],
                    "spread_float32": spreads[1],
                    "outside": bool(abs(difference) > yardstick(spreads, len(b)))
                    if math.isfinite(difference)
                    else None,
                }
            )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| model | architecture | number | bfloat16 (seeds 0-4) | float32 (seeds 0-2) | float32 - bfloat16 "
        "(medians) | seed spread (bfloat16 / float32) |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for r in rows:
        name, fmt = NUMBERS[r["number"]]

        def show(d: dict, fmt: str = fmt) -> str:
            return ", ".join(fmt.format(v) if math.isfinite(v) else "never" for v in d.values())

        diff = r["difference_of_medians"]
        flag = " (outside)" if r["outside"] else ""
        lines.append(
            f"| {r['model']} | {r['architecture']} | {name} | {show(r['bfloat16'])} | {show(r['float32'])} | "
            f"{diff:+.1f}{flag} | {r['spread_bfloat16']:.1f} / {r['spread_float32']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bf16", type=Path)
    parser.add_argument("f32", type=Path)
    parser.add_argument("out_json", type=Path)
    args = parser.parse_args()
    rows = compare(summary(args.bf16), summary(args.f32))
    finite = [
        {
            k: ({s: (v if math.isfinite(v) else None) for s, v in x.items()} if isinstance(x, dict) else x)
            for k, x in r.items()
        }
        for r in rows
    ]  # noqa: E501 (never crossing: null)
    args.out_json.write_text(json.dumps(finite, indent=1) + "\n")
    print(table(rows))


if __name__ == "__main__":
    main()
