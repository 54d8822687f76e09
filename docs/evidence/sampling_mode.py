"""The same final generators evaluated both ways (evaluation.sampling): batch norm's moving averages
and each batch's statistics, as the evaluate rule draws and scores them, with sample sheets side by
side; for docs/evidence/sampling-mode.md.

    python docs/evidence/sampling_mode.py RESULTS OUT.json OUT.png RUN [RUN ...]
    python docs/evidence/sampling_mode.py - OUT.json -      # the table of OUT.json again

RESULTS is a finished run's results/{dataset} (its evaluation/ and each RUN's generator.keras and
config.yaml); OUT.json gets each run's numbers both ways, OUT.png the first samples of each run both
ways, one row per model and architecture, seeds side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflow" / "scripts"))

import keras  # noqa: E402
from wganlib.common.images import image_grid  # noqa: E402
from wganlib.judge.evaluation import generate, load_judge, load_reference, sample_noise, sampler, score  # noqa: E402
from wganlib.judge.sampling import MODES, settings  # noqa: E402
from wganlib.plan import config as cfg  # noqa: E402
from wganlib.train.models import SubPixelConv2DTranspose  # noqa: E402, F401 (the saved generators' layers)

KEYS = ("fid", "modes_covered", "kid", "precision", "recall")
SHOWN = 36  # samples per panel: the sheets' first 36, 6 x 6


def evaluate(results: Path, runs: list[str]) -> tuple[list[dict], dict]:
    defaults = cfg.validate({})["evaluation"]
    metric_settings = {k: defaults[k] for k in ("kid_subsets", "kid_subset_size", "mode_min_share")}
    judged = results / "evaluation"
    judge = load_judge({"classifier": judged / "classifier.keras"})
    reference = load_reference(judged / "reference.npz")
    rows, panels = [], {}
    for run in runs:
        experiment = yaml.safe_load((results / run / "config.yaml").read_text())["experiment"]
        generator = keras.models.load_model(results / run / "generator.keras", compile=False)
        z = sample_noise(defaults["final_samples"], generator.inputs[0].shape[-1])
        row = {"run": run, "model": experiment["model"], "architecture": experiment["architecture"]}
        row |= {"seed": experiment["seed"], "batch_size": experiment["batch_size"]}
        for mode in MODES:
            images = generate(sampler(generator, settings(mode, experiment["batch_size"])), z)
            scores = score(judge, images, reference, metric_settings)
            row[mode] = {k: float(scores[k]) for k in KEYS}
            classes = np.argmax(judge(images)[1], axis=1)  # the class shares modes_covered counts
            row[mode]["class_shares"] = np.round(np.bincount(classes, minlength=10) / len(classes), 4).tolist()
            panels[(run, mode)] = image_grid(images[:SHOWN], ncols=6)
        rows.append(row)
        print(run, {m: round(row[m]["fid"], 1) for m in MODES}, {m: row[m]["modes_covered"] for m in MODES})
    return rows, panels


def draw(rows: list[dict], panels: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted({(r["model"], r["architecture"]) for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    fig, axes = plt.subplots(
        len(groups), 2 * len(seeds), figsize=(2.2 * 2 * len(seeds), 2.5 * len(groups)), squeeze=False
    )
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for row in rows:
        i = groups.index((row["model"], row["architecture"]))
        for j, mode in enumerate(MODES):
            ax = axes[i, 2 * seeds.index(row["seed"]) + j]
            ax.imshow(panels[(row["run"], mode)], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            name = "moving averages" if j == 0 else "batch statistics"
            ax.set_title(
                f"s{row['seed']} {name}\nFID {row[mode]['fid']:.1f}, {row[mode]['modes_covered']:.0f} modes", fontsize=8
            )
            if ax is axes[i, 0]:
                ax.set_ylabel(f"{row['model']}\n{row['architecture']}", fontsize=9)
    for ax in axes.ravel():  # a group with fewer seeds leaves its last panels empty
        ax.set_visible(bool(ax.images))
    fig.tight_layout()
    fig.savefig(out, dpi=72)


def study_spreads(summary_csv: Path) -> dict:
    """(model, architecture, key) -> max - min over the seeds of a study's summary.csv."""
    import pandas as pd

    frame = pd.read_csv(summary_csv)
    spreads = {}
    for (model, architecture), group in frame.groupby(["model", "architecture"]):
        for key in ("fid", "modes_covered"):
            spreads[(model, architecture, key)] = float(group[key].max() - group[key].min())
    return spreads


def table(rows: list[dict], study: dict | None = None) -> str:
    """The evidence page's table: per run FID and modes both ways and their difference (batch
    statistics less moving averages), beside the seed spread (max - min over the group's seeds,
    each way) of the same number; then the differences outside either spread. A group of fewer
    than three seeds here is read against ``study``'s spread instead (``study_spreads``)."""
    moving, batch = MODES
    lines = [
        "| run | FID moving | FID batch | difference | seed spread of FID (moving / batch) "
        "| modes moving | modes batch | difference | seed spread of modes (moving / batch) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    outside = []
    for row in rows:
        group = [r for r in rows if (r["model"], r["architecture"]) == (row["model"], row["architecture"])]
        cells = [row["run"]]
        for key, fmt in (("fid", "{:.1f}"), ("modes_covered", "{:.0f}")):
            spreads = [max(r[m][key] for r in group) - min(r[m][key] for r in group) for m in MODES]
            if len(group) < 3 and study:  # one or two seeds: the study's five seeds say how far runs spread
                spreads = [study[(row["model"], row["architecture"], key)]] * 2
            difference = row[batch][key] - row[moving][key]
            if abs(difference) > min(spreads):
                outside.append(f"{row['run']} {key} {difference:+.1f} (spreads {spreads[0]:g} / {spreads[1]:g})")
            cells += [fmt.format(row[moving][key]), fmt.format(row[batch][key]), f"{difference:+.1f}"]
            cells.append(" / ".join(fmt.format(x) for x in spreads))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\nOutside a seed spread: " + ("; ".join(outside) or "none") + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path)
    parser.add_argument("out_json", type=Path)
    parser.add_argument("out_png", type=Path)
    parser.add_argument("runs", nargs="*", help="none: only the table of OUT.json, already written")
    parser.add_argument("--study", type=Path, help="a study's summary.csv: the seed spread of groups with few seeds")
    args = parser.parse_args()
    if args.runs:
        rows, panels = evaluate(args.results, args.runs)
        args.out_json.write_text(json.dumps(rows, indent=1) + "\n")
        draw(rows, panels, args.out_png)
    print(table(json.loads(args.out_json.read_text()), study_spreads(args.study) if args.study else None))


if __name__ == "__main__":
    main()
