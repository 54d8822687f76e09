"""Final sample sheets of several runs side by side, one labelled panel each, for docs/evidence.

python docs/evidence/sheets.py results/mnist-5k out.png wgan-conv-s0 wgan-conv-eps3-s0 ... [--columns 3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--columns", type=int, default=3)
    args = parser.parse_args()
    rows = -(-len(args.runs) // args.columns)
    fig, axes = plt.subplots(rows, args.columns, figsize=(3.2 * args.columns, 3.5 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, run in zip(axes.ravel(), args.runs, strict=False):
        folder = args.results / run
        final = json.loads((folder / "evaluation.json").read_text())["final"]
        ax.imshow(Image.open(folder / "samples.png").convert("L"), cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"{run}\nFID {final['fid']:.0f}, {final['modes_covered']} modes", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.out, dpi=80)


if __name__ == "__main__":
    main()
