import re
import sys
from pathlib import Path

from wganlib.plan.config import (
    MODELS,
    ConfigError,
    experiments,
    overrides_in_file_order,
    validate,
    without_replaced_overrides,
)
from wganlib.judge import judges, sampling
from wganlib.train import monitor
from wganlib.plan import architectures
from wganlib.plan.command_line import Sources, given_on_command_line, merge
from wganlib.datasets import DatasetError, get_spec, planning
from wganlib.train.devices import declares_gpu, nvidia_gpus
from wganlib.plan import layout
from wganlib.plan.provenance import code_digest

try:
    configfiles = ["config/config.yaml", *workflow.config_settings.configfiles]
    # --config values as the YAML they spell (Snakemake leaves nested ones strings)
    GIVEN = workflow.config_settings.config_args or []
    COMMAND_LINE = given_on_command_line(GIVEN)
    merge(config, COMMAND_LINE)
    config["overrides"] = without_replaced_overrides(
        overrides_in_file_order(config.get("overrides"), configfiles),
        configfiles,
        MODELS,
        COMMAND_LINE,
    )
    sources = " + ".join(map(str, workflow.configfiles)) or "config"
    config.update(validate(config, source=Sources(sources, GIVEN)))
    EXPERIMENTS = experiments(config)
except ConfigError as err:
    sys.exit(
        f"Error: {err}"
    )  # one clear message, no traceback: a user mistake, not a bug

# This config's folder (config `results`): its experiments, figures, summaries, logs and timings.
RESULTS = config["results"].rstrip("/")


def results(path):
    """``path`` inside this config's results folder."""
    return f"{RESULTS}/{path}"


# One GPU, one training job: unless --resources gpu=N (or a profile) says otherwise, Snakemake runs
# at most as many GPU jobs at once as this machine has GPUs, each on a GPU of its own (a job takes
# the first one free: wganlib/train/devices.py). profiles/slurm sets its own: SLURM gives each job a GPU.
GPU_LIMIT_GIVEN = "gpu" in workflow.global_resources
if not GPU_LIMIT_GIVEN:
    workflow.register_resource("gpu", max(1, len(nvidia_gpus())))
if declares_gpu(config["resources"]["gpu"], nvidia_gpus()):
    limit = workflow.global_resources["gpu"].value
    why = "set by --resources gpu" if GPU_LIMIT_GIVEN else "one per GPU of this machine"
    print(
        f"Training on GPUs: at most {limit} training job{'s' * (limit != 1)} at once "
        f"({why}; --resources gpu=N changes it)",
        file=sys.stderr,
    )

DATASETS = list(config["datasets"])
# The grid's datasets and those they are built from (stacked-mnist from mnist).
BUILT = list(
    dict.fromkeys(
        n
        for d in DATASETS
        for n in (*get_spec(d).sources(config["data"]["settings"].get(d)), d)
    )
)


def plan_datasets():
    """What is known of each dataset before it is built (wganlib.datasets.planning): the digest of
    its files, and whether it holds enough images for the metrics and for every experiment's batch.
    A dataset too small, or one read only from data.paths without its entry, stops the run here,
    before any job; a path it cannot be built from is a warning (its build fails with the same
    message), so that a dry run of a command with a placeholder path still shows the plan.
    """
    planned, problems = {}, []
    for name in BUILT:
        if missing := get_spec(name).missing_path(config["data"]["paths"].get(name)):
            problems.append(missing)
            continue
        planned[name] = planning.plan(
            name,
            config["data"]["settings"].get(name),
            config["data"]["paths"].get(name),
            Path(f"resources/datasets/{name}.manifest.json"),
        )
        if planned[name].note:
            print(f"Warning: {planned[name].note}", file=sys.stderr)
        batches = {
            e.name: e.batch_size for (d, _), e in EXPERIMENTS.items() if d == name
        }
        problems += planning.problems(planned[name], batches)
    if problems:
        raise DatasetError("\n".join(problems))
    return planned


try:
    PLANNED = plan_datasets()
except DatasetError as err:
    sys.exit(f"Error: {err}")


wildcard_constraints:
    dataset="|".join(re.escape(d) for d in BUILT),
    # A pattern, not the list of names: matching paths against a thousand alternatives is what
    # made planning a large grid slow. Unknown names are refused by experiment() below.
    experiment=r"[a-z0-9_]+(?:-[a-z0-9_]+)*-s[0-9]+",


def experiment(wildcards):
    try:
        return EXPERIMENTS[(wildcards.dataset, wildcards.experiment)]
    except KeyError:
        raise ValueError(
            f"'{wildcards.experiment}' is not an experiment of the grid on {wildcards.dataset}; "
            "see the models, architectures and seeds in config/config.yaml"
        ) from None


def train_settings(wildcards):
    """The experiment's resolved settings as normalised JSON: a changed value reruns only it."""
    return experiment(wildcards).to_json()


def dataset_sources(wildcards):
    """The materialised datasets a dataset is built from (stacked-mnist: the digits it is set to)."""
    settings = config["data"]["settings"].get(wildcards.dataset)
    return {
        name: f"resources/datasets/{name}.npz"
        for name in get_spec(wildcards.dataset).sources(settings)
    }


def dataset_contents(wildcards):
    """A digest of the names, sizes and times of the files the dataset is read from (its
    data.paths entry): a file added, removed or changed rebuilds it and everything after it.
    """
    return PLANNED[wildcards.dataset].contents


def judged_by(judge):
    """The grid's datasets judged by `judge` (wganlib.judge.judges), as a wildcard pattern: the rules that
    make a dataset's reference features are one per judge (none matches for no dataset).
    """
    names = [
        re.escape(d)
        for d in DATASETS
        if judges.judge_of(d, config["data"]["settings"].get(d)) == judge
    ]
    return "|".join(names) or "(?!)"


def judge_inputs(wildcards):
    """What judges a dataset's samples: its classifier, or for a dataset without labels the
    Inception graph; and its test split's reference features."""
    return judges.judge_inputs(
        wildcards.dataset, config["data"]["settings"].get(wildcards.dataset), RESULTS
    )


def dataset_judge(wildcards):
    """Which classifier judges a dataset with labels (evaluation.JUDGES): one of its labels, or of
    each channel's digit (stacked-mnist)."""
    return get_spec(wildcards.dataset).judge


def train_inputs(wildcards):
    """The dataset, and for a run that stops at convergence the judge of its samples."""
    inputs = {
        "dataset": f"resources/datasets/{wildcards.dataset}.npz",
        "manifest": f"resources/datasets/{wildcards.dataset}.manifest.json",
    }
    if experiment(wildcards).stop_at_convergence:
        inputs |= judge_inputs(wildcards)
    return inputs


def monitor_settings(wildcards):
    """What a monitored run's stop depends on beyond its settings (None for a fixed budget)."""
    return monitor.settings(
        experiment(wildcards), config["claims"], config["evaluation"]
    )


def sampling_settings(wildcards):
    """How an experiment's samples are drawn for its evaluation (evaluation.sampling), with batch
    statistics over batches of the experiment's batch size."""
    return sampling.settings(
        config["evaluation"]["sampling"], experiment(wildcards).batch_size
    )


def experiment_labels(wildcards):
    """The report's columns for one experiment's results: its table sorts and filters by them."""
    e = experiment(wildcards)
    return {"model": e.model, "architecture": e.architecture, "seed": e.seed}


def longest_first(wildcards):
    """The train rule's priority: the costliest runs start first, so that no long run starts last
    while the other cores sit idle (and evaluation jobs fill the gaps at the end)."""
    return experiment(wildcards).training_cost()


def code(script):
    """Digest of the script and the package modules it imports: edited code reruns its rule,
    new file times (a fresh clone) rerun nothing."""
    return code_digest(f"{workflow.basedir}/scripts/{script}")


def metric_settings():
    """What every sample-quality metric depends on."""
    return {
        key: config["evaluation"][key]
        for key in ("kid_subsets", "kid_subset_size", "mode_min_share")
    }


def experiment_files(name, datasets=None):
    """`name` (e.g. status.json) of every experiment of the grid."""
    return [
        results(f"{d}/{e}/{name}")
        for d, e in EXPERIMENTS
        if datasets is None or d in datasets
    ]


def dataset_run_files(wildcards):
    """What the per-dataset aggregates read of each experiment."""
    names = ("metrics.csv", "status.json", "evaluation.json", "samples.npz")
    return {
        name.split(".")[0]: experiment_files(name, [wildcards.dataset])
        for name in names
    }


def grid_cells(wildcards):
    """The experiments of one dataset, with what the figures group them by."""
    return [
        {
            "experiment": e.name,
            "dataset": e.dataset,
            "model": e.model,
            "architecture": e.architecture,
            "seed": e.seed,
            "dir": results(f"{e.dataset}/{e.name}"),
        }
        for (d, _), e in EXPERIMENTS.items()
        if d == wildcards.dataset
    ]


def random_architectures():
    """The grid's random architectures (config `robustness`) and the levels of success."""
    return {
        "fid_levels": config["robustness"]["fid_levels"],
        "min_modes": config["claims"]["min_modes"],
        "architectures": {
            name: config["architecture_definitions"][name]
            for name in config["architectures"]
            if architectures.is_random(name)
        },
    }


def all_outputs():
    per_dataset = [
        results("{dataset}/figures/em_estimate.png"),
        results("{dataset}/figures/samples.png"),
        results("{dataset}/summary.md"),
    ]
    if random_architectures()["architectures"]:
        per_dataset.append(results("{dataset}/robustness/fid_per_architecture.png"))
    return (
        [path.format(dataset=d) for d in DATASETS for path in per_dataset]
        + experiment_files("training.gif")
        + experiment_files("samples.png")
    )


def finished_message():
    """Where the run's summaries, figures and report are (printed at its end)."""
    return layout.finished(
        RESULTS, DATASETS, workflow.config_settings.configfiles, GIVEN
    )


# `snakemake --report` shows a finished run of this config: say what to type where there is none.
if any(arg.split("=")[0] == "--report" for arg in sys.argv) and (
    problem := layout.report_problem(
        RESULTS,
        [path for path in all_outputs() if not Path(path).exists()],
        workflow.config_settings.configfiles,
        workflow.config_settings.config_args or [],
    )
):
    sys.exit(f"Error: {problem}")
