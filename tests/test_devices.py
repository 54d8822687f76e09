"""resources.gpu (auto, true, false): what a training job declares and where it trains, decided
from the devices a machine shows (faked here: this machine has no GPU)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from wganlib.plan import config as cfg
from wganlib.train.devices import declares_gpu, nvidia_gpus, use_gpu

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"
H100 = ["/physical_device:GPU:0"]


@pytest.mark.parametrize(
    "setting, gpus, declared, trains_on_gpu",
    [
        ("auto", H100, True, True),
        ("auto", [], False, False),
        (True, H100, True, True),
        (True, [], True, False),  # asked for, none seen: the job falls back to the CPU, saying so
        (False, H100, False, False),
        (False, [], False, False),
    ],
)
def test_the_gpu_decision(setting, gpus, declared, trains_on_gpu):
    assert declares_gpu(setting, gpus) is declared
    on_gpu, reason = use_gpu(setting, gpus)
    assert on_gpu is trains_on_gpu
    assert reason  # the job's log says why


def test_nvidia_gpus_from_the_driver_and_cuda_visible_devices(tmp_path):
    for bus in ("0000:17:00.0", "0000:65:00.0"):
        (tmp_path / bus).mkdir()
    assert nvidia_gpus(tmp_path, environ={}) == ["0000:17:00.0", "0000:65:00.0"]
    assert nvidia_gpus(tmp_path, environ={"CUDA_VISIBLE_DEVICES": "1"}) == ["0000:17:00.0"]
    assert nvidia_gpus(tmp_path, environ={"CUDA_VISIBLE_DEVICES": ""}) == []
    assert nvidia_gpus(tmp_path, environ={"CUDA_VISIBLE_DEVICES": "-1"}) == []
    assert nvidia_gpus(tmp_path / "no-driver", environ={}) == []


def test_gpu_defaults_to_auto_and_takes_only_auto_true_false():
    assert cfg.validate({})["resources"]["gpu"] == "auto"
    for value in ("auto", True, False):
        assert cfg.validate({"resources": {"gpu": value}})["resources"]["gpu"] == value
    with pytest.raises(cfg.ConfigError, match=r"resources.gpu: 'yes' is not allowed; choose one of: auto, true, false"):
        cfg.validate({"resources": {"gpu": "yes"}})


def test_this_machine_trains_on_the_cpu_and_says_why():
    """In a fresh process: TensorFlow's threads can be set only before it starts."""
    pytest.importorskip("tensorflow")
    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout);"
        "from wganlib.train.runtime import configure_tensorflow; print(configure_tensorflow(1, 'auto'))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "device: CPU (resources.gpu is auto and TensorFlow sees no GPU)" in run.stdout
    assert run.stdout.strip().endswith("CPU")


def test_each_job_on_a_machine_with_several_gpus_takes_one_of_its_own(tmp_path):
    """A job holds its GPU until it exits: the next takes the next one, none is left for a third."""
    from wganlib.train.devices import claim_gpu

    assert claim_gpu(2, tmp_path) == 0
    assert claim_gpu(2, tmp_path) == 1  # the first is still held by this process's descriptor
    assert claim_gpu(2, tmp_path) is None
    code = f"import sys; sys.path.insert(0, {str(SCRIPTS)!r}); from wganlib.train.devices import claim_gpu; print(claim_gpu(3, __import__('pathlib').Path({str(tmp_path)!r})))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert other.stdout.strip() == "2", other.stderr  # another process sees both held


class FakeDevice:
    def __init__(self, index: int):
        self.name = f"/physical_device:GPU:{index}"


class FakeConfig:
    """tf.config as configure_tensorflow uses it, on a machine with ``gpus`` GPUs."""

    def __init__(self, gpus: int):
        from types import SimpleNamespace

        self.devices = [FakeDevice(i) for i in range(gpus)]
        self.growth, self.visible = [], None
        self.threading = SimpleNamespace(
            set_intra_op_parallelism_threads=lambda n: None, set_inter_op_parallelism_threads=lambda n: None
        )
        self.experimental = SimpleNamespace(
            enable_op_determinism=lambda: None,
            set_memory_growth=lambda device, on: self.growth.append((device.name, on)),
        )

    def list_physical_devices(self, kind):
        return list(self.devices)

    def set_visible_devices(self, devices, kind):
        self.visible = [d.name for d in devices]


@pytest.mark.parametrize("gpus", [1, 2])
def test_a_job_on_a_gpu_takes_its_memory_as_it_needs_it(gpus, monkeypatch, tmp_path):
    pytest.importorskip("tensorflow")
    from wganlib.train import runtime

    fake = FakeConfig(gpus)
    monkeypatch.setattr(runtime.tf, "config", fake)
    monkeypatch.setattr(runtime, "claim_gpu", lambda count: 1)  # another job holds GPU 0
    assert runtime.configure_tensorflow(1, "auto") == "GPU"
    taken = "/physical_device:GPU:1" if gpus == 2 else "/physical_device:GPU:0"
    assert fake.growth == [(taken, True)]
    assert fake.visible == ([taken] if gpus == 2 else None)
    fake.growth.clear()
    assert runtime.configure_tensorflow(1, False) == "CPU" and fake.growth == [] and fake.visible == []


@pytest.mark.slow
def test_gpu_jobs_declare_a_gpu_and_run_one_per_gpu_by_default(tmp_path):
    """Planned on this machine (no GPU) with resources.gpu true: every training job asks for one,
    and Snakemake runs one at a time unless --resources gpu says more."""
    from conftest import copy_workflow, snakemake

    root = copy_workflow(tmp_path)
    narrow = ["--config", "resources={gpu: true}", "architectures=[conv]"]
    run = snakemake("-n", *narrow, cwd=root)
    trains = re.findall(r"rule train:\n(?:    .*\n)*?    resources: (.*)", run.stdout + run.stderr)
    assert len(trains) == 3 and all("gpu=1" in r for r in trains), trains
    assert "Training on GPUs: at most 1 training job at once (one per GPU of this machine" in run.stderr
    more = snakemake("-n", "--resources", "gpu=2", *narrow, cwd=root)
    assert "at most 2 training jobs at once (set by --resources gpu" in more.stderr
