"""The worked example of docs/extending.md: SN-GAN, the hinge loss with a spectrally normalised
critic (Miyato et al. 2018), added as one row of the model table and one of the objective table,
and trained through the documented route (a config's `models:`, tiny networks, CPU)."""

import dataclasses
import json
import logging
import math
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")

from wganlib.plan import config as cfg  # noqa: E402
from wganlib.plan import objectives  # noqa: E402
from wganlib.plan.objectives import SNGAN  # noqa: E402
from wganlib.train import losses  # noqa: E402
from wganlib.train.models import SpectralNorm, build_critic, precision  # noqa: E402


def test_every_model_of_the_table_has_an_objective():
    assert list(losses.OBJECTIVES) == list(objectives.MODELS)


# -- the hinge loss, by hand -------------------------------------------------------------------------


def test_hinge_losses_by_hand():
    d_real, d_fake = tf.constant([[2.0], [0.5], [-1.0]]), tf.constant([[-3.0], [0.0], [1.5]])
    # relu(1 - D(x)): 0, 0.5, 2; relu(1 + D(G(z))): 0, 1, 2.5
    assert float(losses.hinge_critic_loss(d_real, d_fake)) == pytest.approx(2.5 / 3 + 3.5 / 3)
    assert float(losses.hinge_generator_loss(d_fake)) == pytest.approx(-(-3.0 + 0.0 + 1.5) / 3)


def test_the_tv_estimate_is_total_variation_at_the_best_critic_and_below_it_elsewhere():
    """Two distributions on five points: D = sign(p - q) gives 1 - L/2 = TV(p, q), any other D less."""
    p, q = np.array([0.4, 0.3, 0.1, 0.1, 0.1]), np.array([0.1, 0.1, 0.2, 0.3, 0.3])
    tv = 0.5 * np.abs(p - q).sum()

    def estimate(d):
        loss = p @ np.maximum(0, 1 - d) + q @ np.maximum(0, 1 + d)  # the hinge loss in expectation
        return losses.tv_estimate(loss)

    assert estimate(np.sign(p - q)) == pytest.approx(tv)
    others = np.random.default_rng(0).normal(0, 2, (200, 5))
    assert all(estimate(d) <= tv + 1e-12 for d in others)


# -- spectral normalisation ------------------------------------------------------------------------


def sn_dense(units=3, inputs=5, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    layer = SpectralNorm(keras.layers.Dense(units))
    layer.build((None, inputs))
    return layer


def test_power_iteration_finds_the_largest_singular_value_and_divides_by_it():
    layer = sn_dense()
    x = tf.random.stateless_normal((4, 5), seed=(1, 2))
    for _ in range(50):  # one power iteration per training call
        y = layer(x, training=True)
    kernel = layer.layer.kernel.numpy()
    sigma = np.linalg.svd(kernel, compute_uv=False)[0]
    np.testing.assert_allclose(y.numpy(), x.numpy() @ (kernel / sigma) + layer.layer.bias.numpy(), rtol=1e-5)
    assert np.linalg.svd(kernel / sigma, compute_uv=False)[0] == pytest.approx(1.0)


def test_the_kernel_is_never_rewritten_and_u_moves_only_in_training():
    layer = sn_dense()
    x = tf.ones((2, 5))
    kernel, u = layer.layer.kernel.numpy().copy(), layer.u.numpy().copy()
    layer(x, training=False)
    assert np.array_equal(layer.u.numpy(), u)
    layer(x, training=True)
    assert not np.array_equal(layer.u.numpy(), u)
    assert np.array_equal(layer.layer.kernel.numpy(), kernel)  # W stays W; W / sigma is computed


def test_the_gradient_flows_through_sigma():
    """W / sigma(W) does not change with W's scale, so its gradient has no component along W
    (Miyato et al., Eq. 12); without the gradient through sigma it would."""
    layer = sn_dense()
    x = tf.random.stateless_normal((4, 5), seed=(3, 4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(layer(x, training=False)))
    grad = tape.gradient(loss, layer.layer.kernel)
    kernel = layer.layer.kernel
    assert abs(float(tf.reduce_sum(grad * kernel))) < 1e-5 * float(tf.norm(grad) * tf.norm(kernel))


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_the_sngan_critic_is_spectrally_normalised_without_batch_norm(policy):
    exp = tiny_experiment()
    with precision(policy):
        critic = build_critic(exp)
    wrapped = [layer for layer in critic.layers if isinstance(layer, SpectralNorm)]
    assert [type(w.layer).__name__ for w in wrapped] == ["Conv2D", "Conv2D", "Dense"]
    assert not [layer for layer in critic.layers if "normalization" in type(layer).__name__.lower()]
    kernels = [w.layer.kernel.numpy().copy() for w in wrapped]
    critic(tf.zeros((2, 28, 28, 1)), training=True)
    # float32 weights, never rounded to bfloat16 by a write-back (Keras' own wrapper does that)
    assert all(np.array_equal(w.layer.kernel.numpy(), k) for w, k in zip(wrapped, kernels, strict=True))
    assert {w.u.dtype for w in wrapped} == {"float32"}


# -- training through the documented route -----------------------------------------------------------


def tiny_experiment(**changes):
    """`models: [sngan]` in a config, as docs/extending.md says, with tiny networks."""
    config = cfg.validate(
        {
            "models": [SNGAN],
            "architectures": ["tiny"],
            "architecture_definitions": {
                "tiny": {"generator": {"type": "conv", "width": 4}, "critic": {"type": "conv", "width": 4}}
            },
            "training": {"generator_iterations": 8, "batch_size": 16, "z_dim": 8, "snapshot_every": 4},
        }
    )
    exp = cfg.experiments(config)[("mnist-5k", f"{SNGAN}-tiny-s0")]
    return dataclasses.replace(exp, **changes)


def test_sngan_settings_are_miyato_et_al_s():
    exp = tiny_experiment()
    assert (exp.optimizer, exp.learning_rate, exp.beta_1, exp.beta_2, exp.n_critic) == ("adam", 2e-4, 0.5, 0.999, 1)
    assert exp.critic["normalization"] == "spectral" and exp.clip_value is None and exp.gradient_penalty is None


def test_sngan_trains_logs_its_estimate_and_resumes_exactly(tmp_path, caplog):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from wganlib.train.training import Outputs, train

    def outputs(base):
        names = ("generator.keras", "metrics.csv", "status.json", "config.yaml", "frames", "snapshots", "tensorboard")
        return Outputs(*(base / name for name in names))

    caplog.set_level(logging.INFO)
    images = np.random.default_rng(0).integers(0, 256, (160, 28, 28), dtype=np.uint8)
    exp = tiny_experiment(checkpoint_every=4)
    train(exp, images, tmp_path / "work", outputs(tmp_path / "a"))
    metrics = (tmp_path / "a" / "metrics.csv").read_text().splitlines()
    header = metrics[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in metrics[1:]]
    assert "tv_estimate" in header and len(rows) == 8
    for row in rows:
        assert math.isfinite(float(row["tv_estimate"])) and row["em_estimate"] == row["js_estimate"] == "nan"
        assert float(row["tv_estimate"]) == pytest.approx(1 - float(row["critic_loss"]) / 2)
    assert json.loads((tmp_path / "a" / "status.json").read_text())["status"] == "completed"
    events = EventAccumulator(str(tmp_path / "a" / "tensorboard"), size_guidance={"tensors": 0}).Reload()
    assert {"critic/estimate", "critic/loss", "generator/loss"} <= set(events.Tags()["tensors"])

    # the work folder keeps the checkpoint at 4: a second run resumes there, the critic's u included,
    # and ends as the uninterrupted one did
    train(exp, images, tmp_path / "work", outputs(tmp_path / "b"))
    assert "resuming sngan-tiny-s0 from ckpt_00000004.npz" in caplog.text
    columns = slice(0, header.index("wall_time_s"))
    again = [line.split(",")[columns] for line in (tmp_path / "b" / "metrics.csv").read_text().splitlines()]
    assert again == [line.split(",")[columns] for line in metrics]
