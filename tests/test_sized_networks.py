"""Networks sized by the data: 16, 32 and 64 pixels, 1 and 3 channels, every model and network type;
the official DCGAN_G and DCGAN_D's layer sizes; sizes refused at validation; and a memory-mapped
dataset that trains without being read whole."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")

from wganlib.plan import config as cfg  # noqa: E402
from wganlib.plan.config import ConfigError  # noqa: E402
from wganlib.train.gan import GAN, BatchOrder  # noqa: E402
from wganlib.train.models import build_critic, build_generator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY_ARCHITECTURES = {
    "conv": {"generator": {"type": "conv", "width": 4}, "critic": {"type": "conv", "width": 4}},
    "mlp": {"generator": {"type": "mlp", "width": 16, "depth": 1}, "critic": {"type": "mlp", "width": 16, "depth": 1}},
}


def sized_experiments(size: int, channels: int, architectures=TINY_ARCHITECTURES, **data) -> dict:
    """The grid of every model and the given architectures on a folder dataset of that shape."""
    config = cfg.validate(
        {
            "datasets": ["folder"],
            "architectures": list(architectures),
            "architecture_definitions": architectures,
            "training": {"batch_size": 4, "z_dim": 8},
            "model_settings": {"wgan": {"critic_burst": None, "n_critic": 2}, "wgan-gp": {"n_critic": 2}},
            "data": {"settings": {"folder": {"image_size": size, "channels": channels}}, **data},
            "evaluation": {"final_samples": 2049, "snapshot_samples": 2049},  # a folder without labels: Inception's
        }
    )
    return {name: exp for (_, name), exp in cfg.experiments(config).items()}


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [16, 32, 64])
def test_every_model_and_network_type_trains_at_size(size, channels):
    grid = sized_experiments(size, channels)
    shape = (12, size, size) if channels == 1 else (12, size, size, channels)  # as datasets store them
    images = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    assert len(grid) == 6  # three models x conv and mlp networks
    for name, exp in grid.items():
        assert (exp.image_size, exp.channels) == (size, channels)
        gan = GAN(exp, images)
        order = BatchOrder(len(images), exp.batch_size, exp.seed)
        for _ in range(2):
            stats = {k: float(v) for k, v in gan.train_iteration(order.next(exp.n_critic)).items()}
        assert all(np.isfinite(v) for v in stats.values()), name
        samples = gan.sample(np.zeros((3, exp.z_dim), np.float32))
        assert samples.shape == (3, size, size, channels), name


def layer_shapes(model, kind) -> list[tuple]:
    return [tuple(layer.output.shape[1:]) for layer in model.layers if isinstance(layer, kind)]


def test_dcgan_layers_as_the_official_models_at_64():
    """DCGAN_G(64, nz, 3, ngf=64): 4x4x512 -> 8x8x256 -> 16x16x128 -> 32x32x64 -> 64x64x3; DCGAN_D the
    mirror image; n_extra_layers at 32x32; no biases (bias=False), batch norm after every hidden layer."""
    arch = {
        "dcgan64": {
            "generator": {"type": "conv", "width": 64, "depth": 1},
            "critic": {"type": "conv", "width": 64, "depth": 1},
        }
    }
    exp = sized_experiments(64, 3, arch)["wgan-dcgan64-s0"]
    generator, critic = build_generator(exp), build_critic(exp)
    keras = tf.keras
    assert layer_shapes(generator, keras.layers.Reshape) == [(4, 4, 512)]
    assert layer_shapes(generator, keras.layers.Conv2DTranspose) == [
        (8, 8, 256),
        (16, 16, 128),
        (32, 32, 64),
        (64, 64, 3),
    ]
    assert layer_shapes(generator, keras.layers.Conv2D) == [(32, 32, 64)]  # the extra layer
    assert layer_shapes(critic, keras.layers.Conv2D) == [
        (32, 32, 64),
        (32, 32, 64),
        (16, 16, 128),
        (8, 8, 256),
        (4, 4, 512),
    ]
    assert len([x for x in generator.layers if isinstance(x, keras.layers.BatchNormalization)]) == 5
    # parameters as PyTorch counts DCGAN_G's (no biases): nz*512*16 + 512*256*16 + 256*128*16 + 128*64*16
    # + 64*64*9 (extra) + 64*3*16, and two per batch-norm channel
    convs = 100 * 512 * 16 + 512 * 256 * 16 + 256 * 128 * 16 + 128 * 64 * 16 + 64 * 64 * 9 + 64 * 3 * 16
    generator = build_generator(dataclasses.replace(exp, z_dim=100))
    assert generator.count_params() - 4 * (512 + 256 + 128 + 64 + 64) == convs  # 4: BN scale, offset, mean, var


def trainable(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_gulrajani_presets_are_the_wgan_gp_papers_networks():
    """gan_mnist.py (DIM 64) and gan_cifar.py (DIM 128) as they train WGAN-GP, counted by hand from
    their layers (tflib: every layer has a bias; Deconv2D's filters are 5 x 5 x out x in): z 128,
    5x5 kernels, stride 2; gan_mnist.py's 8x8 cropped to 7x7 and no normalisation; gan_cifar.py's
    Batchnorm on axis 0 after the first layer (a scale and an offset per unit), per channel after the
    others, none in the critic."""
    grid = cfg.experiments(
        cfg.validate({"datasets": ["mnist-5k", "cifar10"], "architectures": ["gulrajani-mnist", "gulrajani-cifar"]})
    )
    mnist, cifar = grid[("mnist-5k", "wgan-gp-gulrajani-mnist-s0")], grid[("cifar10", "wgan-gp-gulrajani-cifar-s0")]
    assert mnist.z_dim == cifar.z_dim == 128
    dim = 64  # Linear 128 -> 4*4*4*DIM, Deconv2D 4DIM -> 2DIM -> DIM -> 1; Conv2D 1 -> DIM -> 2DIM -> 4DIM, Linear -> 1
    g_mnist = (128 + 1) * 4 * 4 * 4 * dim + (25 * 4 * dim + 1) * 2 * dim + (25 * 2 * dim + 1) * dim + 25 * dim + 1
    d_mnist = (25 + 1) * dim + (25 * dim + 1) * 2 * dim + (25 * 2 * dim + 1) * 4 * dim + 4 * 4 * 4 * dim + 1
    assert (g_mnist, d_mnist) == (1_554_177, 1_030_145)
    assert (trainable(build_generator(mnist)), trainable(build_critic(mnist))) == (g_mnist, d_mnist)
    generator = build_generator(mnist)
    assert layer_shapes(generator, tf.keras.layers.Cropping2D) == [(7, 7, 128)]
    assert not [x for x in generator.layers if "normalization" in x.name]
    assert layer_shapes(build_critic(mnist), tf.keras.layers.Conv2D) == [(14, 14, 64), (7, 7, 128), (4, 4, 256)]
    dim = 128  # the same at 32x32x3, with BN1 over 4*4*4*DIM units and BN2, BN3 over 2DIM and DIM channels
    g_cifar = (128 + 1) * 4 * 4 * 4 * dim + 2 * 4 * 4 * 4 * dim
    g_cifar += (25 * 4 * dim + 1) * 2 * dim + 2 * 2 * dim + (25 * 2 * dim + 1) * dim + 2 * dim + 25 * dim * 3 + 3
    d_cifar = (25 * 3 + 1) * dim + (25 * dim + 1) * 2 * dim + (25 * 2 * dim + 1) * 4 * dim + 4 * 4 * 4 * dim + 1
    assert (g_cifar, d_cifar) == (5_179_907, 4_114_689)
    assert (trainable(build_generator(cifar)), trainable(build_critic(cifar))) == (g_cifar, d_cifar)
    wgan = grid[("cifar10", "wgan-gulrajani-cifar-s0")]  # gan_cifar.py's MODE wgan: batch norm in the critic
    assert wgan.critic["normalization"] == "batch" and cifar.critic["normalization"] == "none"


def test_conv_nobn_is_figure_6_not_dcgan_g_nobn_and_the_mlp_critic_is_mlp_d():
    """conv-nobn keeps 64 filters at every layer (the paper's Figure 6); main.py's --noBN
    DCGAN_G_nobn halves them as DCGAN_G (its 3,576,704 parameters less batch norm's 1,920). A
    user's MLP critic has no batch norm by default, as the official MLP_D."""
    presets = cfg.validate({})["architecture_definitions"]
    nobn_g = {**presets["conv-nobn"]["generator"], "constant_width": False}
    mlp = {"generator": {"type": "mlp"}, "critic": {"type": "mlp"}}
    arch = {"conv-nobn": presets["conv-nobn"], "dcgan-g-nobn": {**presets["conv"], "generator": nobn_g}, "m": mlp}
    grid = sized_experiments(64, 3, {"nobn": arch["conv-nobn"], "g-nobn": arch["dcgan-g-nobn"], "m": mlp})
    counts = [
        trainable(build_generator(dataclasses.replace(grid[f"wgan-{a}-s0"], z_dim=100))) for a in ("nobn", "g-nobn")
    ]
    assert counts == [302_080, 3_574_784]
    assert grid["wgan-m-s0"].critic["normalization"] == "none"


def test_a_size_the_conv_networks_cannot_build_is_refused_at_validation():
    with pytest.raises(ConfigError, match=r"cannot be built for 48x48.*16, 32, 64, 128"):
        sized_experiments(48, 3)
    only_mlp = {"mlp": TINY_ARCHITECTURES["mlp"]}
    exp = sized_experiments(48, 3, only_mlp)["wgan-mlp-s0"]  # an MLP takes any size
    assert build_generator(exp).output.shape[1:] == (48, 48, 3)
    assert build_critic(exp).input.shape[1:] == (48, 48, 3)


def test_the_dataset_gives_the_shape():
    enough = {"final_samples": 2049, "snapshot_samples": 2049}  # lsun-bedroom is judged on Inception's features
    config = cfg.validate({"datasets": ["cifar10", "stacked-mnist", "mnist-5k", "lsun-bedroom"], "evaluation": enough})
    shapes = {d: (e.image_size, e.channels) for (d, _), e in cfg.experiments(config).items()}
    assert shapes == {"cifar10": (32, 3), "stacked-mnist": (28, 3), "mnist-5k": (28, 1), "lsun-bedroom": (64, 3)}
    with pytest.raises(ConfigError, match=r"data\.settings\.mnist: mnist has no setting image_size"):
        cfg.validate({"data": {"settings": {"mnist": {"image_size": 32}}}})
    with pytest.raises(
        ConfigError, match=r"stacked-mnist\.digits: 'cifar10' is not allowed; choose one of: mnist, mnist-5k"
    ):
        cfg.validate({"data": {"settings": {"stacked-mnist": {"digits": "cifar10"}}}})


MEMMAP_RUN = """
import json, resource, sys
from pathlib import Path
import numpy as np
from wganlib import datasets
from wganlib.plan.config import Experiment
from wganlib.train.runtime import configure_tensorflow
from wganlib.train.training import Outputs, train

configure_tensorflow(1, False)
npz, exp_json, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
images = datasets.load(npz, mmap=True)["x_train"]
assert isinstance(images, np.memmap)

def mapped_kib():  # resident pages of the dataset's mapping in this process (smaps Rss)
    total, inside = 0, False
    for line in open("/proc/self/smaps"):
        if line[0] in "0123456789abcdef" and "-" in line.split()[0]:
            inside = line.rstrip().endswith(str(npz))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total

exp = Experiment.from_json(exp_json)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
files = dict(generator="g.keras", metrics="m.csv", status="s.json", config="c.yaml", frames="f", snapshots="sn", tensorboard="tb")
train(exp, images, out / "work", Outputs(**{k: out / v for k, v in files.items()}))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"mapped_kib": mapped_kib(), "peak_growth_kib": after - before}))
"""


def test_a_memory_mapped_dataset_trains_without_being_read_whole(tmp_path):
    """A 64x64 colour dataset of 490 MB trains from its file: the process maps only pages around its
    batches (the kernel maps whole page-cache folios, some hundred KB, per image read), and its
    peak memory grows by far less than the dataset, which in memory would be 490 MB (2 GB as floats)."""
    from wganlib.datasets.lsun import lsun_spec
    from wganlib.datasets.store import Request, write_dataset

    n, size = 40_000, 64  # 12,288 bytes an image

    def chunks(count):
        for start in range(0, count, 2_000):
            m = min(2_000, count - start)
            yield np.full((m, size, size, 3), start // 2_000, np.uint8), np.zeros(m, np.int64)

    spec = lsun_spec("lsun-synthetic")
    request = Request(spec, tmp_path / "big.npz", tmp_path / "big.json", settings=spec.resolved({}))
    write_dataset(request, chunks(n), chunks(100), source={"kind": "test"}, files=[], classes=None)
    data_kib = n * size * size * 3 // 1024
    exp = sized_experiments(size, 3)["wgan-conv-s0"]
    exp = dataclasses.replace(exp, generator_iterations=4, snapshot_every=2, batch_size=8)
    run = subprocess.run(
        [sys.executable, "-c", MEMMAP_RUN, str(tmp_path / "big.npz"), exp.to_json(), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        cwd=ROOT / "workflow" / "scripts",
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"memory-mapped training: {measured} of a {data_kib} KiB dataset")
    assert 0 < measured["mapped_kib"] < data_kib // 4, measured
    assert measured["peak_growth_kib"] < data_kib // 2, measured


def test_classifier_frames_and_samples_on_colour_images(tmp_path):
    """The evaluation's rules on 32x32 colour data: the dataset classifier sized for the images, the
    judge's features, the generated samples and their sheet (RGB PNG)."""
    from PIL import Image
    from wganlib.common.images import image_grid, save_png
    from wganlib.judge.evaluation import Judge, generate, inference, score, train_classifier

    rng = np.random.default_rng(0)
    data = {
        "x_train": rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8),
        "y_train": np.arange(40) % 10,
        "x_test": rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8),
        "y_test": np.arange(20) % 10,
    }
    classifier, _ = train_classifier(data, epochs=1, seed=0)
    assert classifier.input.shape[1:] == (32, 32, 3) and classifier.output.shape[-1] == 10
    judge = Judge(classifier)
    features, _ = judge(data["x_test"])
    reference = {"features": features, "labels": data["y_test"]}
    exp = sized_experiments(32, 3)["wgan-conv-s0"]
    images = generate(inference(GAN(exp, data["x_train"]).generator), np.zeros((20, exp.z_dim), np.float32))
    assert images.shape == (20, 32, 32, 3) and images.dtype == np.uint8
    settings = {"kid_subsets": 2, "kid_subset_size": 10, "mode_min_share": 0.05}
    assert np.isfinite(score(judge, images, reference, settings)["fid"])
    save_png(tmp_path / "sheet.png", image_grid(images, ncols=5))
    with Image.open(tmp_path / "sheet.png") as sheet:
        assert sheet.mode == "RGB" and sheet.size == (5 * 34 + 2, 4 * 34 + 2)
