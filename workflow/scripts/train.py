"""Rule `train`: train one experiment of the grid, for a fixed budget or until it has converged.

By hand (debugging one experiment without Snakemake; writes under results/debug/ so the
workflow's own results are never touched):
    python workflow/scripts/train.py --config config/config.yaml --experiment wgan-conv-s0
"""

import argparse
import sys
from pathlib import Path

from wganlib.common.jobs import Job


def by_hand(description: str, argv: list[str] | None = None) -> Job:
    """The job the rule would run for one experiment of a config, writing under ``--out-dir``."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--experiment", required=True, help="e.g. wgan-conv-s0")
    parser.add_argument("--dataset", help="needed only when the grid has several datasets")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out-dir", default="results/debug", help="default: results/debug/{dataset}/{experiment}")
    args = parser.parse_args(argv)
    from wganlib.plan.config import ConfigError, find_experiment, load

    try:
        config = load(args.config)
        exp = find_experiment(config, args.experiment, args.dataset)
    except ConfigError as err:
        sys.exit(f"error: {err}")
    dataset_npz = Path("resources/datasets") / f"{exp.dataset}.npz"
    if not dataset_npz.exists():
        sys.exit(f"error: {dataset_npz} is missing; make it first with: snakemake --cores 1 {dataset_npz}")
    from wganlib.train import monitor

    watch = monitor.settings(exp, config["claims"], config["evaluation"])
    inputs = {"dataset": dataset_npz, "manifest": dataset_npz.with_name(f"{exp.dataset}.manifest.json")}
    if watch:  # the workflow's judge of the dataset judges a monitored run
        from wganlib.judge.judges import judge_inputs

        inputs |= judge_inputs(exp.dataset, config["data"]["settings"].get(exp.dataset), config["results"])
        missing = next((path for path in inputs.values() if not Path(path).exists()), None)
        if missing is not None:
            sys.exit(f"error: {missing} is missing; make it first with: snakemake --cores 1 {missing}")
    base = Path(args.out_dir) / exp.dataset / exp.name
    return Job(
        input=inputs,
        output={
            "generator": base / "generator.keras",
            "metrics": base / "metrics.csv",
            "status": base / "status.json",
            "config": base / "config.yaml",
            "frames": base / "frames",
            "snapshots": base / "snapshots",
            "tensorboard": base / "tensorboard",
        },
        params={
            "settings": exp.to_json(),
            "work_dir": base / "train_state",
            "gpu": config["resources"]["gpu"],
            "monitor": watch,
            "threads": args.threads,
        },
        threads=args.threads,
    )


job = Job.start(globals(), __doc__, by_hand=by_hand, tensorflow=True)

import logging

from wganlib import datasets
from wganlib.datasets.sizes import check_batches
from wganlib.plan.config import Experiment
from wganlib.train.runtime import configure_tensorflow
from wganlib.train.training import Outputs, train

threads = job.tensorflow_threads()  # the config's, not --cores': a run's numbers depend on them
device = configure_tensorflow(threads, job.params["gpu"])
exp = Experiment.from_json(job.params["settings"])
datasets.verify_existing(job.input["dataset"], job.input["manifest"])
images = datasets.load(job.input["dataset"], mmap=True)["x_train"]  # larger than memory: read a batch at a time
# Planning refuses this where it knows the size; a folder's unreadable files, skipped, are known only now.
check_batches(datasets.get_spec(exp.dataset), len(images), exp.name, exp.batch_size)
outputs = Outputs(**{name: Path(path) for name, path in job.output.items()})
monitor = None
if job.params.get("monitor"):  # a budget that ends at convergence: the dataset's judge watches it train
    from wganlib.judge.evaluation import fid_measure, load_judge, load_reference
    from wganlib.train.monitor import monitor_of

    watched = job.params["monitor"]
    reference = load_reference(job.input["reference"])
    measure = fid_measure(load_judge(job.input), reference, watched["samples"], exp.z_dim, watched.get("sampling"))
    monitor = monitor_of(exp, watched, measure)
result = train(exp, images, Path(job.params["work_dir"]), outputs, device=device, threads=threads, monitor=monitor)
logging.getLogger("train").info(
    "%s: %s after %d generator iterations", exp.name, result["status"], result["generator_iterations"]
)
