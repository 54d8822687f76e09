"""Materialise one dataset into resources/datasets/{dataset}.npz and its manifest.

Run by Snakemake (rule with ``script:``) or by hand:
    python workflow/scripts/download_dataset.py --dataset mnist-5k [--out-dir resources/datasets]
        [--mirror URL ...] [--local-path P] [--timeout S] [--cache-dir D] [--setting KEY=VALUE ...]
"""

import argparse
from pathlib import Path

from wganlib.common.jobs import Job


def by_hand(description: str, argv: list[str] | None = None) -> Job:
    """The job the rule would run for one dataset, writing under ``--out-dir``."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--dataset",
        required=True,
        help="mnist, fashion-mnist, mnist-5k, cifar10, stacked-mnist, folder, lsun-<category>",
    )
    parser.add_argument("--out-dir", type=Path, default=Path("resources/datasets"))
    parser.add_argument(
        "--mirror",
        action="append",
        dest="mirrors",
        metavar="URL",
        help="replaces the registry's mirrors; repeat for several",
    )
    parser.add_argument(
        "--local-path", help="where the dataset is (data.paths: IDX folder, .npz, archive, images, LMDB)"
    )
    parser.add_argument(
        "--setting", action="append", default=[], metavar="KEY=VALUE", help="a data.settings key (YAML value)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds without data before giving up")
    parser.add_argument("--cache-dir", type=Path, help="keep verified downloads here")
    args = parser.parse_args(argv)
    import yaml
    from wganlib.datasets import get_spec

    settings = {key: yaml.safe_load(value) for key, _, value in (s.partition("=") for s in args.setting)}
    return Job(
        input={name: args.out_dir / f"{name}.npz" for name in get_spec(args.dataset).sources(settings)},
        output={
            "npz": args.out_dir / f"{args.dataset}.npz",
            "manifest": args.out_dir / f"{args.dataset}.manifest.json",
        },
        params={
            "mirrors": args.mirrors,
            "local_path": args.local_path,
            "timeout": args.timeout,
            "cache_dir": args.cache_dir,
            "settings": settings or None,
        },
        wildcards={"dataset": args.dataset},
    )


job = Job.start(globals(), __doc__, by_hand=by_hand)

from wganlib.datasets import materialise

# A DatasetError (every source failed) ends the job with its message alone: see wganlib.common.jobs.
materialise(
    job.wildcards["dataset"],
    job.output["npz"],
    job.output["manifest"],
    mirrors=job.params["mirrors"],
    local_path=job.params["local_path"],
    timeout=float(job.params["timeout"]),
    cache_dir=job.params.get("cache_dir"),  # optional: keep verified downloads
    settings=job.params.get("settings"),
    inputs=dict(job.input),
)
