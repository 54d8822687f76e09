"""Networks, losses, the critic schedule, divergence and exact resume (tiny networks, CPU)."""

import dataclasses
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")

from wganlib.plan import config as cfg  # noqa: E402
from wganlib.train import losses  # noqa: E402
from wganlib.train.models import build_critic, build_generator  # noqa: E402
from wganlib.train.training import Outputs, critic_iterations, train  # noqa: E402


def preset_experiments(z_dim=64):
    config = cfg.validate(
        {
            "models": list(cfg.MODELS),
            "architectures": ["conv", "conv-nobn", "mlp", "conv-bn-first"],
            "training": {"z_dim": z_dim},
        }
    )
    return cfg.experiments(config)


def count(model, trainable=True):
    weights = model.trainable_weights if trainable else model.weights
    return sum(int(np.prod(w.shape)) for w in weights)


# -- architectures ------------------------------------------------------------------------------
# Counted by hand from the layers (z_dim 64, width 64 as the schema's presets). The GAN's and WGAN's
# conv layers have no biases (the official models/dcgan.py: bias=False); WGAN-GP's have them.
# conv G: Dense 64->7*7*128 (401,408) + BN 128 (256 trainable) + ConvT 128->64 4x4 (131,072)
#         + BN 64 (128) + ConvT 64->1 4x4 (1,024)
EXPECTED = {
    ("wgan-conv-s0", "generator"): 401_408 + 256 + 131_072 + 128 + 1_024,
    ("wgan-conv-nobn-s0", "generator"): 64 * 3136 + 16 * 64 * 64 + 1_024,
    # the official MLP_G: 4 linear layers with biases, 3 hidden ReLU layers of 512 units
    ("wgan-mlp-s0", "generator"): (64 * 512 + 512) + 2 * (512 * 512 + 512) + (512 * 784 + 784),
    ("wgan-conv-bn-first-s0", "generator"): 401_408 + 256 + 131_072 + 1_024,
    # DCGAN critic: Conv 1->64 4x4 (1,024) + Conv 64->128 4x4 (131,072) + BN 128 (256) + Dense 6272->1
    ("wgan-conv-s0", "critic"): 1_024 + 131_072 + 256 + 6_272,
    ("dcgan-conv-s0", "critic"): 1_024 + 131_072 + 256 + 6_272,
    # WGAN-GP: layer norm in place of batch norm, the same 256 parameters, and biases
    ("wgan-gp-conv-s0", "critic"): 1_088 + 131_200 + 256 + 6_273,
    ("wgan-gp-conv-s0", "generator"): 407_680 + 256 + 131_136 + 128 + 1_025,
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_preset_parameter_counts(key):
    name, role = key
    exp = preset_experiments()[("mnist-5k", name)]
    net = build_generator(exp) if role == "generator" else build_critic(exp)
    assert count(net) == EXPECTED[key]


@pytest.mark.parametrize("arch", ["conv", "conv-nobn", "mlp", "conv-bn-first"])
def test_preset_shapes_and_range(arch):
    exp = preset_experiments()[("mnist-5k", f"dcgan-{arch}-s0")]
    generator, critic = build_generator(exp), build_critic(exp)
    images = generator(tf.random.normal([5, exp.z_dim]), training=False).numpy()
    assert images.shape == (5, 28, 28, 1)
    assert critic(images, training=False).shape == (5, 1)
    last = generator.layers[-2] if arch == "mlp" else generator.layers[-1]  # the mlp reshapes last
    assert last.activation.__name__ == ("linear" if arch == "mlp" else "tanh")  # as MLP_G and DCGAN_G
    if arch != "mlp":
        assert images.min() >= -1 and images.max() <= 1


def _kernels(net, kind):
    return np.concatenate([layer.kernel.numpy().ravel() for layer in net.layers if isinstance(layer, kind)])


def test_official_initialisation():
    """The official code's weights_init: conv kernels N(0, 0.02), batch-norm scales N(1, 0.02);
    its MLPs keep PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in)); 'glorot' is Keras' default."""
    tf.keras.utils.set_random_seed(0)
    grid = preset_experiments()
    conv = grid[("mnist-5k", "wgan-conv-s0")]
    generator, critic = build_generator(conv), build_critic(conv)
    layers = tf.keras.layers
    for kernels in (
        _kernels(generator, layers.Conv2DTranspose),
        _kernels(critic, layers.Conv2D),
        _kernels(critic, layers.Dense),
    ):
        assert abs(kernels.mean()) < 0.002 and kernels.std() == pytest.approx(0.02, rel=0.05)
    gammas = np.concatenate([layer.gamma.numpy() for layer in generator.layers if hasattr(layer, "gamma")])
    assert gammas.std() == pytest.approx(0.02, rel=0.3) and abs(gammas.mean() - 1) < 0.01
    mlp = grid[("mnist-5k", "wgan-mlp-s0")]
    dense = [layer for layer in build_generator(mlp).layers if type(layer).__name__ == "Dense"]
    for layer in dense:
        bound = 1 / math.sqrt(layer.kernel.shape[0])
        for weights in (layer.kernel.numpy(), layer.bias.numpy()):
            assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.9 * bound
    keras_style = build_generator(dataclasses.replace(conv, init="glorot"))
    assert {float(g) for layer in keras_style.layers if hasattr(layer, "gamma") for g in layer.gamma.numpy()} == {1.0}
    first = build_critic(dataclasses.replace(conv, init="glorot")).layers[1].kernel.numpy()  # 4x4x1 -> 64
    assert first.std() == pytest.approx(math.sqrt(6 / (16 + 16 * 64) / 3), rel=0.05)  # Glorot, not N(0, 0.02)


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
@pytest.mark.parametrize(("channels", "filters", "activation"), [(32, 1, "tanh"), (8, 3, None)])
def test_sub_pixel_transposed_conv_is_keras_transposed_conv(policy, channels, filters, activation):
    """The generator's output layer: Keras' Conv2DTranspose (kernel 4, stride 2, same) computed another
    way, with the same initial weights, outputs and gradients."""
    import keras
    from wganlib.train.models import SubPixelConv2DTranspose, precision

    built = {}
    with precision(policy):
        for cls in (keras.layers.Conv2DTranspose, SubPixelConv2DTranspose):
            keras.utils.set_random_seed(1)
            built[cls] = cls(filters, 4, strides=2, padding="same", activation=activation, bias_initializer="normal")
    keras_layer, ours = built.values()
    x = tf.random.stateless_normal([5, 14, 14, channels], seed=[0, 3])
    results = []
    for layer in (keras_layer, ours):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2)
        results.append([y, *tape.gradient(loss, [x, *layer.trainable_weights])])
    for a, b in zip(keras_layer.weights, ours.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())  # the same initialisation, draw for draw
    assert results[1][0].shape == (5, 28, 28, filters) and results[1][0].dtype == results[0][0].dtype
    # To the precision's round-off, at the scale of each array: the two sum in different orders,
    # which oneDNN picks by the CPU's features and threads. Measured on a 2-core AMD EPYC without
    # AVX-512: up to 4.6e-7 (and once over 1e-6, under load) in float32, 0.026 in bfloat16, where a
    # wrong tap or offset errs by the array's own scale.
    for a, b in zip(*results, strict=True):
        a, b = np.asarray(tf.cast(a, tf.float32)), np.asarray(tf.cast(b, tf.float32))
        np.testing.assert_allclose(a, b, rtol=0, atol=(1e-5 if policy == "float32" else 5e-2) * np.abs(a).max())


def test_sub_pixel_transposed_conv_refuses_what_it_does_not_compute():
    from wganlib.train.models import SubPixelConv2DTranspose

    for options in ({"kernel_size": 3, "strides": 2}, {"kernel_size": 4, "strides": 1}):
        with pytest.raises(ValueError, match="kernel 4, stride 2"):
            SubPixelConv2DTranspose(1, padding="same", **options)
    for options in (
        {"padding": "valid"},
        {"output_padding": 1},
        {"data_format": "channels_first"},
    ):
        with pytest.raises(ValueError, match="kernel 4, stride 2"):
            SubPixelConv2DTranspose(1, 4, strides=2, **{"padding": "same", **options})


def test_a_saved_generator_loads_with_its_layers(tmp_path):
    import keras
    from wganlib.train.models import SubPixelConv2DTranspose

    exp = preset_experiments()[("mnist-5k", "wgan-conv-s0")]
    generator = build_generator(exp)
    generator.save(tmp_path / "generator.keras")
    loaded = keras.models.load_model(tmp_path / "generator.keras", compile=False)
    assert isinstance(loaded.layers[-1], SubPixelConv2DTranspose)
    z = np.random.default_rng(0).standard_normal((4, exp.z_dim)).astype(np.float32)
    np.testing.assert_array_equal(generator(z, training=False), loaded(z, training=False))


def test_optimizers_as_pytorch_means_them():
    """epsilon is PyTorch's, added to the root: Keras' RMSProp gets it squared under the root."""
    from wganlib.train.gan import make_optimizer

    grid = preset_experiments()
    rmsprop = make_optimizer(grid[("mnist-5k", "wgan-conv-s0")])
    assert (rmsprop.rho, rmsprop.epsilon) == (pytest.approx(0.99), pytest.approx(1e-16))
    adam = make_optimizer(grid[("mnist-5k", "wgan-gp-conv-s0")])
    assert (adam.beta_1, adam.beta_2, adam.epsilon) == (0.5, 0.9, pytest.approx(1e-8))
    # One step on a tiny gradient: the update is lr * g / (sqrt(v) + eps), about lr * sqrt(1 - rho)^-1
    variable = tf.Variable([0.0])
    rmsprop.apply_gradients([(tf.constant([1e-6]), variable)])
    step = -float(variable.numpy()[0])
    expected = 5e-5 * 1e-6 / (math.sqrt(0.01 * 1e-12) + 1e-8)
    assert step == pytest.approx(expected, rel=0.3)


def test_wgan_gp_critic_has_no_batch_norm():
    exp = preset_experiments()[("mnist-5k", "wgan-gp-conv-s0")]
    kinds = {type(layer).__name__ for layer in build_critic(exp).layers}
    assert "BatchNormalization" not in kinds and "GroupNormalization" in kinds  # layer norm over (H, W, C)


# -- losses against hand-computed values -----------------------------------------------------------


def test_gan_losses_by_hand():
    d_real, d_fake = tf.constant([[2.0], [0.0]]), tf.constant([[-1.0], [0.0]])
    # -(log sigmoid(2) + log sigmoid(0))/2 - (log(1 - sigmoid(-1)) + log(1 - sigmoid(0)))/2
    expected = (math.log1p(math.exp(-2)) + math.log(2)) / 2 + (math.log1p(math.exp(-1)) + math.log(2)) / 2
    assert float(losses.gan_discriminator_loss(d_real, d_fake)) == pytest.approx(expected, rel=1e-6)
    assert float(losses.gan_generator_loss(d_fake)) == pytest.approx((math.log1p(math.e) + math.log(2)) / 2, rel=1e-6)
    # D = 1/2 everywhere: L(D, g) = 2 log(1/2), so the JS estimate is 0
    assert float(
        losses.js_estimate(losses.gan_discriminator_loss(tf.zeros([3, 1]), tf.zeros([3, 1])))
    ) == pytest.approx(0, abs=1e-6)


def test_wasserstein_losses_by_hand():
    f_real, f_fake = tf.constant([[1.0], [3.0]]), tf.constant([[0.0], [-2.0]])
    assert float(losses.wasserstein_critic_loss(f_real, f_fake)) == pytest.approx(-1.0 - 2.0)
    assert float(losses.wasserstein_generator_loss(f_fake)) == pytest.approx(1.0)


def linear_critic(norm):
    w = np.random.default_rng(0).standard_normal((28, 28, 1)).astype(np.float32)
    w *= norm / np.linalg.norm(w)
    return lambda x, training=False: tf.reduce_sum(x * w, axis=[1, 2, 3])


def test_gradient_penalty_zero_for_unit_gradient_positive_otherwise():
    real, fake = tf.random.normal([4, 28, 28, 1]), tf.random.normal([4, 28, 28, 1])
    alpha = tf.random.uniform([4, 1, 1, 1])
    assert float(losses.gradient_penalty(linear_critic(1.0), real, fake, alpha)) == pytest.approx(0, abs=1e-6)
    assert float(losses.gradient_penalty(linear_critic(3.0), real, fake, alpha)) == pytest.approx(4.0, rel=1e-4)
    zero = float(losses.gradient_penalty(linear_critic(0.0), real, fake, alpha))
    assert zero == pytest.approx(1.0, rel=1e-4) and math.isfinite(zero)  # no NaN at a zero gradient


def test_clipping_keeps_every_critic_weight_in_range():
    exp = preset_experiments()[("mnist-5k", "wgan-conv-s0")]
    critic = build_critic(exp)
    for w in critic.trainable_weights:
        w.assign(w * 1000)
    losses.clip_weights(critic, 0.01)
    assert all(float(tf.reduce_max(tf.abs(w))) <= 0.01 for w in critic.trainable_weights)


# -- the objective table: one row per model, read once by the training step ----------------------
D_REAL, D_FAKE = tf.constant([[1.0], [3.0]]), tf.constant([[0.0], [-2.0]])
BY_HAND = {  # (critic loss, generator loss) on D_REAL, D_FAKE, written out from the formulas
    "dcgan": (
        (math.log1p(math.exp(-1)) + math.log1p(math.exp(-3)) + math.log(2) + math.log1p(math.exp(-2))) / 2,
        (math.log(2) + math.log1p(math.exp(2))) / 2,
    ),
    "wgan": (-1.0 - 2.0, 1.0),
    "wgan-gp": (-1.0 - 2.0, 1.0),
    "sngan": ((0.0 + 0.0) / 2 + (1.0 + 0.0) / 2, 1.0),  # relu(1 - D(x)), relu(1 + D(G(z))); -D(G(z))
}


@pytest.mark.parametrize("model", sorted(losses.OBJECTIVES))
def test_objective_losses_on_a_tiny_batch(model):
    objective = losses.OBJECTIVES[model]
    critic_loss, generator_loss = BY_HAND[model]
    assert float(objective.critic_loss(D_REAL, D_FAKE)) == pytest.approx(critic_loss, rel=1e-6)
    assert float(objective.generator_loss(D_FAKE)) == pytest.approx(generator_loss, rel=1e-6)
    estimate = {"dcgan": math.log(2) - 0.5 * critic_loss, "wgan": -critic_loss, "wgan-gp": -critic_loss}.get(
        model, 1.0 - 0.5 * critic_loss
    )
    assert objective.distance(critic_loss) == pytest.approx(estimate)


@pytest.mark.parametrize("model", sorted(losses.OBJECTIVES))
def test_objective_penalty_is_zero_where_the_model_has_none(model):
    objective = losses.OBJECTIVES[model]
    real, fake = tf.random.normal([4, 28, 28, 1]), tf.random.normal([4, 28, 28, 1])
    rng = tf.random.Generator.from_seed(0)
    penalty = float(objective.penalty(linear_critic(3.0), real, fake, rng))
    if model == "wgan-gp":
        assert objective.penalised and penalty == pytest.approx(4.0, rel=1e-4)  # (||grad|| - 1)^2 = 2^2
    else:
        assert not objective.penalised and penalty == 0.0
        assert int(rng.state[0]) == int(tf.random.Generator.from_seed(0).state[0])  # no draw spent


@pytest.mark.parametrize("model", sorted(losses.OBJECTIVES))
def test_objective_constraint_clips_only_wgan(model):
    exp = preset_experiments()[("mnist-5k", f"{model}-conv-s0")]
    critic = build_critic(exp)
    for w in critic.trainable_weights:
        w.assign(tf.ones_like(w))
    losses.OBJECTIVES[model].constraint(critic, 0.01)
    largest = max(float(tf.reduce_max(tf.abs(w))) for w in critic.trainable_weights)
    assert largest == pytest.approx(0.01 if model == "wgan" else 1.0)


def test_the_training_step_has_no_model_branches():
    import ast
    import inspect
    import textwrap

    from wganlib.train.gan import GAN

    for step in (GAN.critic_step, GAN.generator_step, GAN._train_iteration):
        compared = [
            node
            for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(step))))
            if isinstance(node, ast.Compare)
            and any(isinstance(c, ast.Constant) and c.value in losses.OBJECTIVES for c in node.comparators)
        ]
        assert not compared, f"{step.__name__} compares the model name"


def test_schedule_matches_the_paper():
    burst = {"iterations": 100, "first": 25, "every": 500}
    schedule = [critic_iterations(i, 5, burst) for i in range(1001)]
    assert schedule[:25] == [100] * 25
    assert schedule[25:500] == [5] * 475
    assert schedule[500] == 100 and schedule[501] == 5 and schedule[1000] == 100
    assert {critic_iterations(i, 5, None) for i in range(600)} == {5}


# -- training runs -----------------------------------------------------------------------------------


def tiny_experiment(model="wgan", **changes):
    config = cfg.validate(
        {
            "models": [model],
            "architectures": ["tiny"],
            "architecture_definitions": {
                "tiny": {"generator": {"type": "conv", "width": 4}, "critic": {"type": "conv", "width": 4}}
            },
            "training": {
                "generator_iterations": 12,
                "batch_size": 16,
                "z_dim": 8,
                "snapshot_every": 4,
                "checkpoint_every": 4,
            },
        }
    )
    exp = cfg.experiments(config)[("mnist-5k", f"{model}-tiny-s0")]
    return dataclasses.replace(exp, critic_burst=None, **changes)


def outputs(base: Path) -> Outputs:
    return Outputs(
        base / "generator.keras",
        base / "metrics.csv",
        base / "status.json",
        base / "config.yaml",
        base / "frames",
        base / "snapshots",
        base / "tensorboard",
    )


def fake_images(n=200):
    return np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def test_clipping_holds_after_training(tmp_path):
    from wganlib.train.gan import GAN

    exp = tiny_experiment("wgan", learning_rate=0.05, clip_at="after_update")  # critic_start: tests/test_fidelity.py
    gan = GAN(exp, fake_images())
    for _ in range(3):
        gan.train_iteration(np.arange(32, dtype=np.int32).reshape(2, 16))
    assert all(float(tf.reduce_max(tf.abs(w))) <= exp.clip_value + 1e-7 for w in gan.critic.trainable_weights)


def test_nan_run_is_marked_diverged_and_keeps_outputs(tmp_path):
    exp = tiny_experiment("dcgan", optimizer="rmsprop", rho=0.9, learning_rate=1e10, generator_iterations=200)
    result = train(exp, fake_images(), tmp_path / "state", outputs(tmp_path))
    status = json.loads((tmp_path / "status.json").read_text())
    assert result["status"] == status["status"] == "diverged"
    assert status["diverged_at"] == status["generator_iterations"] < 200
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert len(rows) == 1 + status["diverged_at"]
    assert list((tmp_path / "frames").glob("iter_*.png")), "frames up to the divergence are kept"
    # drawn both ways (wganlib.judge.sampling): the GIF shows the one evaluation.sampling names
    batch_frames = sorted(p.name for p in (tmp_path / "frames" / "batch_statistics").glob("iter_*.png"))
    assert batch_frames == sorted(p.name for p in (tmp_path / "frames").glob("iter_*.png"))
    assert (tmp_path / "generator.keras").exists()


# Kill-and-resume (bit-identical to an uninterrupted run) is in tests/test_reliability.py.


def test_same_seed_same_initial_networks_other_seed_others():
    from wganlib.train.gan import GAN

    first, again = (GAN(tiny_experiment("wgan"), fake_images()) for _ in range(2))
    other = GAN(dataclasses.replace(tiny_experiment("wgan"), seed=1), fake_images())
    same = [np.array_equal(a, b) for a, b in zip(first.get_state(), again.get_state(), strict=True)]
    assert all(same)
    assert not np.array_equal(first.generator.weights[0].numpy(), other.generator.weights[0].numpy())
