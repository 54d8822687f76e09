"""The model table (wganlib.plan.objectives) is the one source of the models' names: no rule, script or
schema writes one, and a row added to the table is a model the config accepts, the figures colour
and the summary describes."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT, copy_workflow, snakemake
from wganlib.plan import config as cfg
from wganlib.plan import objectives

WORKFLOW = ROOT / "workflow"
TABLE = WORKFLOW / "scripts" / "wganlib" / "plan" / "objectives.py"


def test_no_rule_script_or_schema_writes_a_model_name():
    names = set(objectives.MODELS)
    found = []
    for path in sorted(WORKFLOW.rglob("*.py")):
        if path != TABLE:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and node.value in names
            ]
    quoted = re.compile("|".join(rf"[\"']{re.escape(name)}[\"']" for name in names))
    for path in [WORKFLOW / "Snakefile", *sorted((WORKFLOW / "rules").glob("*.smk"))]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(ROOT)}:{number} {m}" for m in quoted.findall(line)]

    def strings(node):
        if isinstance(node, dict):
            return [s for key, value in node.items() for s in strings(key) + strings(value)]
        return [s for item in node for s in strings(item)] if isinstance(node, list) else [node]

    schema = yaml.safe_load(cfg.SCHEMA_PATH.read_text())
    found += [f"schema: {value!r}" for value in strings(schema) if value in names]
    assert not found, "model names outside the model table:\n" + "\n".join(found)


def test_the_schema_takes_its_models_from_the_table():
    config = cfg.validate({"architectures": ["conv"]})
    assert config["models"] == [name for name, row in objectives.MODELS.items() if row.paper]
    assert config["models"] == ["dcgan", "wgan", "wgan-gp"]  # the default grid: the paper's three
    assert set(config["model_settings"]) == set(objectives.MODELS)
    for name, row in objectives.MODELS.items():
        assert config["model_settings"][name] == row.settings


# A row added to the table in a fresh interpreter, before anything reads the table.
ADDED = """
import dataclasses, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from wganlib.plan import objectives
objectives.MODELS["my-gan"] = dataclasses.replace(objectives.MODELS["sngan"], name="my-gan", colour="#123456")

from test_plots import synthetic_run
from wganlib.plan import config as cfg
from wganlib.report import report
from wganlib.verdicts import runs
from wganlib.report.plots.common import model_colour
from wganlib.report.plots.estimates import drawn_in

config = cfg.validate({
    "models": ["my-gan", "wgan"], "architectures": ["conv"], "seeds": [0, 1, 2],
    "model_settings": {"my-gan": {"learning_rate": 1.0e-3}}, "overrides": {"my-gan-*-s1": {"n_critic": 2}},
})
grid = cfg.experiments(config)
mine = [synthetic_run("wgan", "conv", seed) for seed in (0, 1, 2)]
for run in mine:
    run["model"], run["experiment"] = "my-gan", run["experiment"].replace("wgan", "my-gan")
    run["metrics"] = run["metrics"].rename(columns={"em_estimate": "tv_estimate"})
rows = runs.summary_rows(mine, median_window=5)
report.write_summary_csv(rows, sys.argv[3])
print(json.dumps({
    "experiments": sorted(name for _, name in grid),
    "learning_rate": grid[("mnist-5k", "my-gan-conv-s0")].learning_rate,
    "n_critic": [grid[("mnist-5k", f"my-gan-conv-s{s}")].n_critic for s in (0, 1)],
    "colour": model_colour("my-gan"),
    "figure": "my-gan" in drawn_in("em_estimate"),
    "rho": [row["spearman_tv_fid"] for row in rows],
}))
"""


def test_a_row_added_to_the_table_is_a_model_of_the_config_the_figures_and_the_summary(tmp_path):
    scripts, tests = ROOT / "workflow" / "scripts", ROOT / "tests"
    csv = tmp_path / "summary.csv"
    run = subprocess.run(
        [sys.executable, "-c", ADDED, str(scripts), str(tests), str(csv)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.splitlines()[-1])
    assert seen["experiments"] == sorted(f"{m}-conv-s{s}" for m in ("my-gan", "wgan") for s in (0, 1, 2))
    assert seen["learning_rate"] == 1e-3 and seen["n_critic"] == [1, 2]
    assert seen["colour"] == "#123456" and seen["figure"]
    assert all(rho > 0.5 for rho in seen["rho"])  # its own estimate, read from its own column
    assert "spearman_tv_fid" in Path(csv).read_text().splitlines()[0]


def test_sngan_plans_in_the_default_grids_place(tmp_path):
    """`models: [sngan]` in place of the paper's three: the default grid's architectures, one run each."""
    root = copy_workflow(tmp_path)
    run = snakemake("-n", "--cores", "1", "--quiet", "rules", "--config", "models=[sngan]", cwd=root)
    counts = {line.split()[0]: line.split()[-1] for line in run.stdout.splitlines() if line[:1].isalpha()}
    assert counts["train"] == counts["evaluate"] == "4" and counts["figures"] == "1"


def test_sngan_runs_leave_the_papers_claims_as_they_were(tmp_path):
    """The claims pair the paper's models only: adding SN-GAN's runs to a grid changes no verdict."""
    from test_plots import synthetic_run
    from wganlib.report.summary import write_summary

    thresholds = cfg.validate({})["claims"]
    paper = [
        synthetic_run(m, a, s) for m in objectives.PAPER_MODELS for a in ("conv", "conv-nobn", "mlp") for s in (0, 1, 2)
    ]
    sngan = []
    for seed in (0, 1, 2):
        run = synthetic_run("wgan", "conv", seed)
        run["model"], run["experiment"] = objectives.SNGAN, f"{objectives.SNGAN}-conv-s{seed}"
        run["metrics"] = run["metrics"].rename(columns={"em_estimate": "tv_estimate"})
        sngan.append(run)

    def verdicts(runs, name):
        judged = write_summary(runs, None, thresholds, 5, tmp_path / f"{name}.csv", tmp_path / f"{name}.md")
        return [{key: v[key] for key in ("claim", "verdict", "evidence")} for v in judged]

    assert verdicts(paper + sngan, "with") == verdicts(paper, "without")
    assert "sngan, its critic's TV estimate" in (tmp_path / "with.md").read_text()
