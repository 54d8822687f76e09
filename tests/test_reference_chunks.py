"""A study trained in chunks, each on a machine whose results/ does not outlive it: what
docs/evidence/keep_runs.py keeps of each chunk is enough for docs/evidence/reference_figures.py to
draw the figures the workflow drew from the whole results folder."""

import shutil
import subprocess

import pytest
from conftest import BIN, ROOT

EVIDENCE = ROOT / "docs" / "evidence"


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
