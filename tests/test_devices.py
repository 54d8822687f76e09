"""resources.gpu (auto, true, false): what a training job declares and where it trains, decided
from the devices a machine shows (faked here: this machine has no GPU)."""

import subprocess
import sys
from pathlib import Path

import pytest
from wganlib import config as cfg
from wganlib.devices import declares_gpu, nvidia_gpus, use_gpu

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
        "from wganlib.runtime import configure_tensorflow; print(configure_tensorflow(1, 'auto'))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=SCRIPTS, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "device: CPU (resources.gpu is auto and TensorFlow sees no GPU)" in run.stdout
    assert run.stdout.strip().endswith("CPU")
