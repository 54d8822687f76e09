"""The side-by-side tables of docs/evidence/README.md from a results folder: one row per run (FID of
500 samples at chosen snapshots with the modes covered, then the final 2,000-sample FID and modes),
and one row per arm over its seeds.

    python docs/evidence/tabulate.py results/mnist-5k wgan-mlp wgan-mlp-before ... [--at 200 400 ...]

An arm is an experiment name without its seed (``wgan-mlp`` for wgan-mlp-s0, -s1, ...).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from pathlib import Path


def run_row(folder: Path, at: list[int]) -> dict:
    evaluation = json.loads((folder / "evaluation.json").read_text())
    status = json.loads((folder / "status.json").read_text())
    with open(folder / "metrics.csv") as stream:
        updates = sum(int(float(row["critic_iterations"])) for row in csv.DictReader(stream))
    snapshots = {int(p["generator_iteration"]): p for p in evaluation["over_training"]}
    final = evaluation["final"]
    return {
        "run": folder.name,
        "iterations": status["generator_iterations"],
        "critic updates": updates,
        "train s": round(status["wall_time_s"]),
        **{
            f"{i:,}": (f"{snapshots[i]['fid']:.0f} ({snapshots[i]['modes_covered']})" if i in snapshots else "")
            for i in at
        },
        "final FID": f"{final['fid']:.1f}",
        "modes": final["modes_covered"],
    }


def markdown(rows: list[dict]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(str(row[k]) for k in head) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a dataset's results folder, e.g. results/mnist-5k")
    parser.add_argument("arms", nargs="+", help="experiment names without the seed")
    parser.add_argument("--at", type=int, nargs="+", default=[200, 400, 600, 800, 1000])
    args = parser.parse_args()
    per_run, per_arm = [], []
    for arm in args.arms:
        folders = sorted(args.results.glob(f"{arm}-s[0-9]*"))
        rows = [run_row(f, args.at) for f in folders if (f / "evaluation.json").exists()]
        per_run += rows
        if rows:
            fids = [float(r["final FID"]) for r in rows]
            per_arm.append(
                {
                    "arm": arm,
                    "seeds": len(rows),
                    "final FID per seed": ", ".join(f"{v:.0f}" for v in fids),
                    "median FID": f"{statistics.median(fids):.1f}",
                    "modes per seed": ", ".join(str(r["modes"]) for r in rows),
                    "critic updates": rows[0]["critic updates"],
                }
            )
    print(markdown(per_arm), end="\n\n")
    print(markdown(per_run))


if __name__ == "__main__":
    main()
