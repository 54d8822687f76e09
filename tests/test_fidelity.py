"""The official code's details as settings: normalisation epsilon, conv biases, when the critic is
clipped and on which parameters, critic runs cut at the end of a pass over the data."""

import dataclasses
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")

from wganlib.plan import config as cfg  # noqa: E402
from wganlib.train.gan import GAN, BatchOrder  # noqa: E402
from wganlib.train.models import build_critic, build_generator  # noqa: E402

PRESETS = ["conv", "conv-nobn", "mlp", "conv-bn-first"]
NORMS = ("BatchNormalization", "GroupNormalization", "LayerNormalization")


def grid(**model_settings):
    config = cfg.validate(
        {
            "architectures": PRESETS + ["mlp-critic"],
            "architecture_definitions": {
                # an MLP critic with batch norm asked for (the official MLP_D has none, the default):
                # WGAN-GP's is layer norm over units
                "mlp-critic": {
                    "generator": {"type": "mlp", "width": 16},
                    "critic": {"type": "mlp", "width": 16, "batch_norm": True},
                }
            },
            "model_settings": {model: dict(model_settings) for model in cfg.MODELS},
            "training": {"z_dim": 8},
        }
    )
    return cfg.experiments(config)


def networks(exp):
    return build_generator(exp), build_critic(exp)


def test_official_defaults():
    """1e-5 (PyTorch's BatchNorm2d, Gulrajani et al.'s batchnorm and layernorm); no conv biases for
    the GAN and WGAN (models/dcgan.py), biases for WGAN-GP (tflib); WGAN clipped at the start of
    every critic iteration, its critic runs cut at the end of an epoch (main.py); z of 100."""
    experiments = cfg.experiments(cfg.validate({}))
    for exp in experiments.values():
        assert exp.norm_epsilon == 1e-5 and exp.z_dim == 100
        assert exp.conv_bias == (exp.model == "wgan-gp")
        assert exp.clip_at == ("critic_start" if exp.model == "wgan" else None)
        assert exp.epoch_ends_critic_run == (exp.model == "wgan")


@pytest.mark.parametrize("epsilon", [1e-5, 1e-3])
def test_the_epsilon_reaches_every_normalisation_layer(epsilon):
    seen = set()
    for exp in grid(norm_epsilon=epsilon).values():
        for net in networks(exp):
            for layer in net.layers:
                if type(layer).__name__ in NORMS:
                    seen.add(type(layer).__name__)
                    assert layer.epsilon == pytest.approx(epsilon), (exp.name, layer.name)
    assert seen == set(NORMS)  # batch norm, layer norm over (H, W, C) and over units: all reached


@pytest.mark.parametrize("conv_bias", [False, True])
def test_biases_only_where_asked_and_in_mlp_layers(conv_bias):
    for exp in grid(conv_bias=conv_bias).values():
        for net in networks(exp):
            for layer in net.layers:
                if not hasattr(layer, "use_bias"):
                    continue
                mlp = exp.generator["type"] == "mlp" if net.name == "generator" else exp.critic["type"] == "mlp"
                assert layer.use_bias == (True if mlp else conv_bias), (exp.name, net.name, layer.name)
                assert (getattr(layer, "bias", None) is not None) == layer.use_bias


def tiny_wgan(**changes):
    exp = grid()[("mnist-5k", "wgan-conv-s0")]
    small = {"width": 4, "constant_width": False, "depth": 0}
    return dataclasses.replace(
        exp,
        generator={**exp.generator, **small},
        critic={**exp.critic, **small},
        **{"batch_size": 16, "critic_burst": None, "learning_rate": 1e-3, **changes},
    )


def images(n=64):
    return np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def inflated(gan):
    """Every trainable critic parameter set to 1 (far outside the box); the moving statistics to 5."""
    for w in gan.critic.trainable_weights:
        w.assign(tf.ones_like(w))
    for w in gan.critic.non_trainable_weights:
        w.assign(5 * tf.ones_like(w))


def largest(weights):
    return max(float(tf.reduce_max(tf.abs(w))) for w in weights)


def test_clip_after_update_leaves_the_critic_in_the_box():
    exp = tiny_wgan(clip_at="after_update")
    gan = GAN(exp, images())
    inflated(gan)
    gan.critic_step(gan.real(np.arange(16)))
    assert largest(gan.critic.trainable_weights) <= exp.clip_value + 1e-7
    assert largest(gan.critic.non_trainable_weights) > 1  # batch norm's moving statistics are no parameters


def test_clip_at_critic_start_clamps_before_the_update():
    """The official main.py clamps netD.parameters() before each critic iteration: after the
    update the critic is at most one RMSProp step (lr / sqrt(1 - rho)) outside the box."""
    exp = tiny_wgan(clip_at="critic_start")
    gan = GAN(exp, images())
    inflated(gan)
    gan.critic_step(gan.real(np.arange(16)))
    after = largest(gan.critic.trainable_weights)
    step = exp.learning_rate / np.sqrt(1 - exp.rho)
    assert exp.clip_value < after <= exp.clip_value + step * 1.01
    gan.critic_step(gan.real(np.arange(16, 32)))  # the next iteration clamps it back first
    assert largest(gan.critic.trainable_weights) <= exp.clip_value + step * 1.01
    # the generator step sees the critic as the last update left it: no clamp in between
    before_generator = [w.numpy().copy() for w in gan.critic.trainable_weights]
    gan.generator_step()
    assert all(
        np.array_equal(a, w.numpy()) for a, w in zip(before_generator, gan.critic.trainable_weights, strict=True)
    )


def test_a_critic_run_stops_at_the_end_of_an_epoch():
    """main.py: `while j < Diters and i < len(dataloader)`; the next run starts a new epoch."""
    order = BatchOrder(n_images=160, batch_size=16, seed=0)  # 10 batches per pass
    assert len(order.next(25, stop_at_epoch_end=True)) == 10
    assert order.epoch == 0
    assert len(order.next(4, stop_at_epoch_end=True)) == 4 and order.epoch == 1
    assert len(order.next(25, stop_at_epoch_end=True)) == 6
    plain = BatchOrder(n_images=160, batch_size=16, seed=0)
    assert len(plain.next(25)) == 25 and plain.epoch == 2  # without it, runs cross epochs
    cut = BatchOrder(n_images=160, batch_size=16, seed=0).next(25, stop_at_epoch_end=True)
    np.testing.assert_array_equal(cut, BatchOrder(n_images=160, batch_size=16, seed=0).next(10))  # the same data


def test_training_logs_the_critic_updates_it_made(tmp_path):
    from wganlib.train.training import Outputs, train

    def outputs(base):
        names = ("generator.keras", "metrics.csv", "status.json", "config.yaml", "frames", "snapshots", "tensorboard")
        return Outputs(*(base / name for name in names))

    burst = {"iterations": 100, "first": 2, "every": 500}
    exp = tiny_wgan(critic_burst=burst, generator_iterations=4, snapshot_every=2, checkpoint_every=2)
    data = images(160)  # 10 batches of 16 per pass
    train(exp, data, tmp_path / "work", outputs(tmp_path))
    counts = [int(line.split(",")[1]) for line in (tmp_path / "metrics.csv").read_text().splitlines()[1:]]
    assert counts == [10, 10, 5, 5]
    train(dataclasses.replace(exp, epoch_ends_critic_run=False), data, tmp_path / "work2", outputs(tmp_path / "b"))
    counts = [int(line.split(",")[1]) for line in (tmp_path / "b" / "metrics.csv").read_text().splitlines()[1:]]
    assert counts == [100, 100, 5, 5]
