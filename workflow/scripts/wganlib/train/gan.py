"""One model's networks, optimizers and training step: the loop body of WGAN's Algorithm 1 (and its
GAN and WGAN-GP variants), with the formulas in wganlib.train.losses and no bookkeeping.

The batches each critic update sees come from ``BatchOrder``: a permutation per epoch from
(seed, epoch), so a resumed run sees the same data as an uninterrupted one. They are gathered
from the uint8 images on the host (an in-memory array, or a memory-mapped one larger than
memory: only the batches are read) and reach the device as uint8, a quarter of float32's bytes.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from wganlib.common.images import to_unit_range
from wganlib.plan.config import Experiment

from . import losses
from .models import build_critic, build_generator, precision


def make_optimizer(exp: Experiment):
    """The optimizer as the official code's PyTorch one: RMSProp's epsilon goes under Keras' root
    (sqrt(v + eps^2) ~ sqrt(v) + eps); Adam's is added to the root in both."""
    if exp.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=exp.learning_rate, rho=exp.rho, epsilon=exp.epsilon**2)
    return keras.optimizers.Adam(
        learning_rate=exp.learning_rate, beta_1=exp.beta_1, beta_2=exp.beta_2, epsilon=exp.epsilon
    )


class BatchOrder:
    """Which images each critic step sees: a permutation per epoch from (seed, epoch)."""

    def __init__(self, n_images: int, batch_size: int, seed: int, epoch: int = 0, position: int = 0):
        if batch_size > n_images:
            raise ValueError(f"batch_size {batch_size} is larger than the {n_images} training images")
        self.n_images, self.batch_size, self.seed = n_images, batch_size, seed
        self.epoch, self.position = epoch, position
        self._order = self._permutation()

    def _permutation(self) -> np.ndarray:
        return np.random.default_rng([self.seed, self.epoch]).permutation(self.n_images)

    def next(self, n_batches: int, stop_at_epoch_end: bool = False) -> np.ndarray:
        """Up to ``n_batches`` batches; with ``stop_at_epoch_end`` fewer when the pass over the data
        ends first (the official main.py's critic loop), at least one."""
        batches = []
        for _ in range(n_batches):
            if self.position + self.batch_size > self.n_images:  # drop the remainder, next epoch
                if stop_at_epoch_end and batches:
                    break
                self.epoch, self.position = self.epoch + 1, 0
                self._order = self._permutation()
            batches.append(self._order[self.position : self.position + self.batch_size])
            self.position += self.batch_size
        return np.stack(batches).astype(np.int32)


class GAN:
    """A generator, a critic, their optimizers and the training step of one model."""

    def __init__(self, exp: Experiment, images: np.ndarray, policy: str = "float32"):
        self.exp = exp
        self.objective = losses.OBJECTIVES[exp.model]
        # The constraint before each critic update (the official main.py) or after it (Algorithm 1).
        before = exp.clip_at == "critic_start"
        self.constraint_before = self.objective.constraint if before else losses.no_constraint
        self.constraint_after = losses.no_constraint if before else self.objective.constraint
        keras.utils.set_random_seed(exp.seed)  # the networks' initial weights
        with precision(policy):  # variables and optimizer state stay float32 in either policy
            self.generator = build_generator(exp)
            self.critic = build_critic(exp)
        self.generator_optimizer = make_optimizer(exp)
        self.critic_optimizer = make_optimizer(exp)
        self.generator_optimizer.build(self.generator.trainable_variables)
        self.critic_optimizer.build(self.critic.trainable_variables)
        self.rng = tf.random.Generator.from_seed(exp.seed)
        self.images = images  # uint8 (N, H, W) or (N, H, W, C), possibly a np.memmap: never copied whole
        # uint8 -> [-1, 1] as a table of the 256 values to_unit_range gives: the very same floats.
        self.unit_range = tf.constant(to_unit_range(np.arange(256, dtype=np.uint8)).reshape(256))
        shape = (exp.image_size, exp.image_size, exp.channels)
        self._train_iteration_on = tf.function(
            self._train_iteration,
            input_signature=[tf.TensorSpec([None, exp.batch_size, *shape], tf.uint8)],
        )

    def real(self, indices: np.ndarray) -> tf.Tensor:
        """Images ``indices`` (any shape) of the dataset as float32 in [-1, 1], channels last."""
        return self._to_unit_range(tf.constant(self._gather(indices)))

    def _gather(self, indices: np.ndarray) -> np.ndarray:
        """uint8 images at ``indices`` (any shape), with a channel axis: read from memory or disk."""
        batch = np.asarray(self.images[np.asarray(indices)])
        return batch[..., None] if batch.ndim == np.ndim(indices) + 2 else batch

    def _to_unit_range(self, images: tf.Tensor) -> tf.Tensor:
        return tf.gather(self.unit_range, tf.cast(images, tf.int32))

    def train_iteration(self, batches: np.ndarray) -> dict:
        """One generator iteration on the critic batches of ``batches`` (indices, n_critic x batch)."""
        return self._train_iteration_on(tf.constant(self._gather(batches)))

    def critic_step(self, real: tf.Tensor) -> dict:
        """One critic update (Algorithm 1, lines 3-7): ascend the estimate, with the constraint
        before or after it (``clip_at``)."""
        exp, objective = self.exp, self.objective
        self.constraint_before(self.critic, exp.clip_value)
        z = self.rng.normal([tf.shape(real)[0], exp.z_dim])
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            d_real = self.critic(real, training=True)
            d_fake = self.critic(fake, training=True)
            loss = objective.critic_loss(d_real, d_fake)
            penalty = objective.penalty(self.critic, real, fake, self.rng)
            total = loss + (exp.gradient_penalty or 0.0) * penalty
        grads = tape.gradient(total, self.critic.trainable_variables)
        self.critic_optimizer.apply(grads, self.critic.trainable_variables)
        self.constraint_after(self.critic, exp.clip_value)
        return {
            "critic_loss": loss,
            "gradient_penalty": penalty,
            "d_real": tf.reduce_mean(objective.critic_output(d_real)),
            "d_fake": tf.reduce_mean(objective.critic_output(d_fake)),
        }

    def generator_step(self) -> tf.Tensor:
        """One generator update (Algorithm 1, lines 9-11)."""
        z = self.rng.normal([self.exp.batch_size, self.exp.z_dim])
        with tf.GradientTape() as tape:
            loss = self.objective.generator_loss(self.critic(self.generator(z, training=True), training=True))
        grads = tape.gradient(loss, self.generator.trainable_variables)
        self.generator_optimizer.apply(grads, self.generator.trainable_variables)
        return loss

    def _train_iteration(self, batches: tf.Tensor) -> dict:
        """One generator iteration: len(batches) critic updates (uint8 real batches), then one
        generator update."""
        stats = {k: tf.constant(0.0) for k in ("critic_loss", "gradient_penalty", "d_real", "d_fake")}
        for real in batches:  # a tf.while_loop: the critic steps run without leaving the graph
            stats = self.critic_step(self._to_unit_range(real))
        stats["generator_loss"] = self.generator_step()
        return stats

    # -- state for checkpoints ---------------------------------------------------------------
    def variables(self) -> list[tf.Variable]:
        return (
            list(self.generator.weights)
            + list(self.critic.weights)
            + list(self.generator_optimizer.variables)
            + list(self.critic_optimizer.variables)
        )

    def get_state(self) -> list[np.ndarray]:
        return [np.asarray(v.numpy()) for v in self.variables()] + [self.rng.state.numpy()]

    def set_state(self, arrays: list[np.ndarray]) -> None:
        *weights, rng_state = arrays
        for variable, value in zip(self.variables(), weights, strict=True):
            variable.assign(value)
        self.rng.reset(rng_state)

    def sample(self, z: np.ndarray) -> np.ndarray:
        return self.generator(tf.constant(z, tf.float32), training=False).numpy()
