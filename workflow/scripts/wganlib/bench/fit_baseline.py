"""The same work the way the Keras WGAN-GP example writes it: a keras.Model whose `train_step` is
driven by `fit()`, the baseline our loop is timed against."""

from __future__ import annotations

import time

import keras
import tensorflow as tf

from wganlib.plan.config import Experiment
from wganlib.train import losses
from wganlib.train.gan import make_optimizer
from wganlib.train.models import build_critic, build_generator


def keras_example_model(exp: Experiment) -> keras.Model:
    """A keras.Model whose train_step is the Keras `wgan_gp` example's: `n_critic` critic updates on
    the batch, then one generator update; same networks, objective and optimizers as `GAN`."""
    objective = losses.OBJECTIVES[exp.model]
    penalty_weight = exp.gradient_penalty or 0.0

    class KerasExampleGAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.generator = build_generator(exp)
            self.critic = build_critic(exp)
            self.rng = tf.random.Generator.from_seed(exp.seed)  # z and the penalty's interpolates
            self.built = True  # both networks are built functional models

        def compile(self, critic_optimizer, generator_optimizer):
            super().compile()
            self.critic_optimizer, self.generator_optimizer = critic_optimizer, generator_optimizer

        def train_step(self, real):
            batch = tf.shape(real)[0]
            for _ in range(exp.n_critic):
                z = self.rng.normal((batch, exp.z_dim))
                with tf.GradientTape() as tape:
                    fake = self.generator(z, training=True)
                    d_real, d_fake = self.critic(real, training=True), self.critic(fake, training=True)
                    critic_loss = objective.critic_loss(d_real, d_fake)
                    critic_loss += penalty_weight * objective.penalty(self.critic, real, fake, self.rng)
                grads = tape.gradient(critic_loss, self.critic.trainable_variables)
                self.critic_optimizer.apply(grads, self.critic.trainable_variables)
                objective.constraint(self.critic, exp.clip_value)
            z = self.rng.normal((batch, exp.z_dim))
            with tf.GradientTape() as tape:
                generator_loss = objective.generator_loss(self.critic(self.generator(z, training=True), training=True))
            grads = tape.gradient(generator_loss, self.generator.trainable_variables)
            self.generator_optimizer.apply(grads, self.generator.trainable_variables)
            return {"critic_loss": critic_loss, "generator_loss": generator_loss}

    model = KerasExampleGAN()
    model.compile(make_optimizer(exp), make_optimizer(exp))
    return model


class EpochTimer(keras.callbacks.Callback):
    """The wall time of each epoch, synced on its last logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        [float(v) for v in (logs or {}).values()]  # wait for the last step
        self.seconds = time.perf_counter() - self.start
