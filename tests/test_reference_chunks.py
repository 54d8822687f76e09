"""A study trained in chunks, each on a machine whose results/ does not outlive it: every kept run
trained with the settings its study plans today, and what docs/evidence/keep_runs.py keeps of each
chunk is enough for docs/evidence/reference_figures.py to draw the figures the workflow drew from
the whole results folder."""

import functools
import shutil
import subprocess

import pytest
import yaml
from conftest import BIN, ROOT
from test_reference import REFERENCE, REFERENCES, study_config
from wganlib.plan import config as cfg

EVIDENCE = ROOT / "docs" / "evidence"


def kept_runs() -> list[tuple[str, str]]:
    """(study, run folder) of every run whose config.yaml a reference or a study part way through
    its chunks (docs/reference/pending/{study}) keeps."""
    folders = {name: folder for name, (folder, *_) in REFERENCES.items()}
    folders |= {f"pending/{p.name}": p for p in (REFERENCE / "pending").iterdir() if p.is_dir()}
    return [(name, str(run.parent)) for name, folder in folders.items() for run in folder.glob("runs/*/config.yaml")]


@functools.cache
def planned(name: str) -> tuple[str, dict]:
    """The dataset and experiments config/{study file} plans today for reference ``name``."""
    _, file, dataset, _, _ = REFERENCES[name]
    return dataset, cfg.experiments(study_config(ROOT / "config", file))


@pytest.mark.parametrize(("study", "run"), kept_runs())
def test_every_kept_run_trained_with_the_settings_its_study_gives_it_today(study, run):
    """A run kept in git, whichever chunk, session or machine made it, trained with the settings
    that config/{study}.yaml plans for it today: chunks trained apart are one study, and a changed
    default cannot slip in between them."""
    dataset, experiments = planned(study.removeprefix("pending/"))
    kept = yaml.safe_load((ROOT / run / "config.yaml").read_text())["experiment"]
    experiment = experiments[(dataset, kept["name"])]
    assert kept == yaml.safe_load(yaml.safe_dump(experiment.to_dict()))


def python(script: str, *args, check: bool = True) -> subprocess.CompletedProcess:
    run = subprocess.run([str(BIN / "python"), str(EVIDENCE / script), *map(str, args)], capture_output=True, text=True)
    assert not check or run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.mark.slow
def test_runs_kept_in_two_chunks_draw_the_figures_of_the_whole_run(tiny_run, tmp_path):
    results, reference = tiny_run / "results" / "mnist-5k", tmp_path / "reference"
    names = sorted(p.parent.name for p in results.glob("*/samples.npz"))
    python("keep_runs.py", results, reference, *names[:1])
    python("keep_runs.py", results, reference, *names[1:])
    python("keep_runs.py", results, reference, *names[1:])  # keeping a run again changes nothing
    assert sorted(p.name for p in (reference / "runs").iterdir()) == names
    shutil.copy(tiny_run / "config" / "config.yaml", reference / "config.yaml")
    drawn = python("reference_figures.py", reference, "config.yaml", "mnist-5k").stdout
    assert f"{len(names)} of the config's {len(names)} runs" in drawn
    for figure in ("samples", "summary", "em_estimate", "js_estimate", "quality_over_compute"):
        name = f"{figure}.png"
        assert (reference / "figures" / name).read_bytes() == (results / "figures" / name).read_bytes(), name

    (reference / "runs" / names[0] / "status.json").write_text("{}")  # a kept run that differs
    refused = python("keep_runs.py", results, reference, names[0], check=False)
    assert refused.returncode != 0 and "already kept with other contents" in refused.stderr
