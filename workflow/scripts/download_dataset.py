"""Materialise one dataset into resources/datasets/{dataset}.npz and its manifest.

Run by Snakemake (rule with ``script:``) or by hand:
    python workflow/scripts/download_dataset.py --dataset mnist-5k [--out-dir resources/datasets]
        [--mirror URL ...] [--local-path P] [--timeout S] [--cache-dir D]
"""


import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from wganlib.datasets import DatasetError, materialise
from wganlib.jobs import start_logging

try:
    snakemake  # noqa: F821  (injected by Snakemake's script: directive)
except NameError:
    snakemake = None


def from_snakemake(smk: Any) -> dict[str, Any]:
    start_logging(smk.log[0])
    return {
        "dataset": smk.wildcards.dataset,
        "out_npz": Path(smk.output.npz),
        "out_manifest": Path(smk.output.manifest),
        "mirrors": smk.params.mirrors,
        "local_path": smk.params.local_path,
        "timeout": float(smk.params.timeout),
        "cache_dir": getattr(smk.params, "cache_dir", None),  # optional: keep verified downloads
    }


def from_command_line(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", required=True, help="mnist, fashion-mnist or mnist-5k")
    parser.add_argument("--out-dir", type=Path, default=Path("resources/datasets"))
    parser.add_argument("--mirror", action="append", dest="mirrors", metavar="URL",
                        help="replaces the registry's mirrors; repeat for several")
    parser.add_argument("--local-path", help="folder with the four IDX files, or a .npz")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds without data before giving up")
    parser.add_argument("--cache-dir", type=Path, help="keep verified downloads here")
    args = parser.parse_args(argv)
    start_logging()
    return {
        "dataset": args.dataset,
        "out_npz": args.out_dir / f"{args.dataset}.npz",
        "out_manifest": args.out_dir / f"{args.dataset}.manifest.json",
        "mirrors": args.mirrors,
        "local_path": args.local_path,
        "timeout": args.timeout,
        "cache_dir": args.cache_dir,
    }


def main() -> None:
    settings = from_snakemake(snakemake) if snakemake is not None else from_command_line()
    dataset = settings.pop("dataset")
    try:
        materialise(dataset, settings.pop("out_npz"), settings.pop("out_manifest"), **settings)
    except DatasetError as exc:
        logging.error("%s", exc)  # a clear message, not a traceback: the problem is data, not code
        sys.exit(1)


if __name__ == "__main__" or snakemake is not None:
    main()
