import re
import sys

from wganlib.config import ConfigError, experiments, validate

try:
    config.update(validate(config, source=" + ".join(map(str, workflow.configfiles)) or "config"))
    EXPERIMENTS = experiments(config)
except ConfigError as err:
    sys.exit(f"Error: {err}")  # one clear message, no traceback: a user mistake, not a bug

DATASETS = list(config["datasets"])


wildcard_constraints:
    dataset="|".join(re.escape(d) for d in DATASETS),
    experiment="|".join(sorted({re.escape(name) for _, name in EXPERIMENTS}, key=len, reverse=True)),


def experiment(wildcards):
    return EXPERIMENTS[(wildcards.dataset, wildcards.experiment)]


def train_settings(wildcards):
    """The experiment's resolved settings as normalised JSON: a changed value reruns only it."""
    return experiment(wildcards).to_json()


def experiment_files(name, datasets=None):
    """`name` (e.g. status.json) of every experiment of the grid."""
    return [f"results/{d}/{e}/{name}" for d, e in EXPERIMENTS if datasets is None or d in datasets]


def all_outputs():
    return experiment_files("status.json")
