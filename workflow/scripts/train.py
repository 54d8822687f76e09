"""Rule `train`: train one experiment of the grid.

By hand (debugging one experiment without Snakemake; writes under results/debug/ so the
workflow's own results are never touched):
    python workflow/scripts/train.py --config config/config.yaml --experiment wgan-conv-s0
"""


import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wganlib.jobs import start_logging  # noqa: E402

log = logging.getLogger("train")


def run(settings_json: str, dataset_npz: Path, manifest: Path, out: dict, work_dir: Path, threads: int, use_gpu: bool) -> None:
    from wganlib import datasets
    from wganlib.config import Experiment
    from wganlib.runtime import configure_tensorflow
    from wganlib.training import Outputs, train

    device = configure_tensorflow(threads, use_gpu)
    exp = Experiment.from_json(settings_json)
    datasets.verify_existing(dataset_npz, manifest)
    images = datasets.load(dataset_npz)["x_train"]
    outputs = Outputs(**{k: Path(out[k]) for k in ("generator", "metrics", "status", "config", "frames", "snapshots")})
    result = train(exp, images, Path(work_dir), outputs, device=device, threads=threads)
    log.info("%s: %s after %d generator iterations", exp.name, result["status"], result["generator_iterations"])


def main_snakemake(smk) -> None:
    start_logging(smk.log[0])
    run(
        smk.params.settings,
        Path(smk.input.dataset),
        Path(smk.input.manifest),
        dict(smk.output),
        Path(smk.params.work_dir),
        smk.threads,
        smk.params.gpu,
    )


def main_cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--experiment", required=True, help="e.g. wgan-conv-s0")
    parser.add_argument("--dataset", help="needed only when the grid has several datasets")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out-dir", default="results/debug", help="default: results/debug/{dataset}/{experiment}")
    args = parser.parse_args(argv)
    start_logging()
    from wganlib.config import ConfigError, find_experiment, load

    try:
        config = load(args.config)
        exp = find_experiment(config, args.experiment, args.dataset)
    except ConfigError as err:
        sys.exit(f"error: {err}")
    dataset_npz = Path("resources/datasets") / f"{exp.dataset}.npz"
    manifest = dataset_npz.with_name(f"{exp.dataset}.manifest.json")
    if not dataset_npz.exists():
        sys.exit(f"error: {dataset_npz} is missing; make it first with: snakemake --cores 1 {dataset_npz}")
    base = Path(args.out_dir) / exp.dataset / exp.name
    out = {
        "generator": base / "generator.keras",
        "metrics": base / "metrics.csv",
        "status": base / "status.json",
        "config": base / "config.yaml",
        "frames": base / "frames",
        "snapshots": base / "snapshots",
    }
    run(exp.to_json(), dataset_npz, manifest, out, base / "train_state", args.threads, config["resources"]["gpu"])


if __name__ == "__main__":
    if "snakemake" in globals():
        main_snakemake(snakemake)  # noqa: F821 (injected by Snakemake's script: directive)
    else:
        main_cli()
