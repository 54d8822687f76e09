import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
BIN = Path(sys.executable).parent

# A grid small enough to run end to end in CI: every rule and model; the GAN is made to diverge
# (a huge learning rate), so that every run also shows a diverged experiment going through.
TINY = {
    "datasets": ["mnist-5k"],
    "models": ["dcgan", "wgan", "wgan-gp"],
    "architectures": ["conv"],
    "seeds": [0],
    "training": {
        "generator_iterations": 20,
        "batch_size": 32,
        "z_dim": 8,
        "snapshot_every": 5,
        "checkpoint_every": 10,
        "log_every": 10,
    },
    "model_settings": {"wgan": {"critic_burst": {"iterations": 10, "first": 2, "every": 500}}},
    "architecture_definitions": {
        "conv": {"generator": {"type": "conv", "width": 4}, "critic": {"type": "conv", "width": 4}},
    },
    "overrides": {"dcgan-conv-s0": {"optimizer": "rmsprop", "rho": 0.9, "learning_rate": 1.0e10}},
    "evaluation": {
        "final_samples": 200,
        "snapshot_samples": 100,
        "kid_subsets": 5,
        "kid_subset_size": 50,
        "classifier_epochs": 1,
    },
}


def snakemake(*args, cwd=ROOT, check=True):
    run = subprocess.run([str(BIN / "snakemake"), *args], cwd=cwd, capture_output=True, text=True)
    if check:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def copy_workflow(target: Path, config: dict | None = None) -> Path:
    """The workflow (with its default profile) in a scratch folder, optionally with its own config."""
    for name in ("workflow", "envs", "profiles", "config"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target / name)
    if config is not None:
        (target / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return target


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The tiny grid, run once through Snakemake for every test that needs finished results."""
    root = copy_workflow(tmp_path_factory.mktemp("tiny"), TINY)
    snakemake("--cores", "2", cwd=root)
    return root
