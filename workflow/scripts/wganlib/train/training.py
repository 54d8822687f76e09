"""Training one experiment: the loop of WGAN's Algorithm 1 (and its GAN and WGAN-GP variants),
with snapshots, metrics, checkpoints and exact resume kept out of the training step.

Resume is exact: the checkpoint holds both networks, both optimizers, the random generator's
state and the data position; data order comes from (seed, epoch), and op determinism is on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import math
import platform
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml

from wganlib.common.images import frame_iteration, image_grid, save_png
from wganlib.common.io import atomic_path, write_json, write_text
from wganlib.judge.evaluation import sampler
from wganlib.judge.sampling import BATCH_STATISTICS, MOVING_AVERAGES, frames_folder, settings
from wganlib.plan import objectives
from wganlib.plan.config import Experiment, critic_iterations

from . import losses, progress
from .gan import GAN, BatchOrder
from .monitor import BUDGET, DIVERGED, MAXIMUM, PLATEAUED, Monitor
from .runtime import training_precision

log = logging.getLogger(__name__)

METRIC_COLUMNS = (
    "generator_iteration",
    "critic_iterations",
    "critic_loss",
    "generator_loss",
    "em_estimate",
    "js_estimate",
    "gradient_penalty",
    "d_real",
    "d_fake",
    "wall_time_s",
    "iterations_per_s",
)
# TensorBoard's scalars, under tags every model shares so that the models overlay in one chart:
# the columns that describe the two networks, and the model's own estimate as critic/estimate.
SCALAR_TAGS = {
    "critic_loss": "critic/loss",
    "generator_loss": "generator/loss",
    "gradient_penalty": "critic/gradient_penalty",
    "d_real": "critic/d_real",
    "d_fake": "critic/d_fake",
}
FRAME_SAMPLES = 64
FRAME_NOISE_SEED = 20170126  # the WGAN paper's arXiv date: the same frame noise for every run


# ------------------------------------------------------------------------------------------------
# Bookkeeping: the work folder (checkpoints, frames, snapshots, partial metrics) and publishing


def settings_digest(exp: Experiment) -> str:
    return hashlib.sha256(exp.to_json().encode()).hexdigest()[:12]


@dataclass
class Outputs:
    """The declared outputs of the train rule."""

    generator: Path
    metrics: Path
    status: Path
    config: Path
    frames: Path
    snapshots: Path
    tensorboard: Path


class WorkFolder:
    """Everything of a run in progress, in a folder that is not a Snakemake output (so a failed
    job's outputs can be deleted without losing it), one subfolder per settings digest."""

    def __init__(self, root: Path, exp: Experiment):
        self.root = Path(root) / settings_digest(exp)
        self.checkpoints = self.root / "checkpoints"
        self.frames = self.root / "frames"
        self.snapshots = self.root / "snapshots"
        self.events = self.root / "events"
        self.columns = metric_columns(exp.model)
        for folder in (self.checkpoints, frames_folder(self.frames, BATCH_STATISTICS), self.snapshots):
            folder.mkdir(parents=True, exist_ok=True)
        write_text(self.root / "settings.json", exp.to_json() + "\n")

    def restore(self, gan: GAN) -> tuple[Path, dict, list[dict]] | None:
        """Load the newest readable checkpoint into ``gan``; an unreadable one (a damaged disk)
        is skipped for the one before it. Temporary files of a killed write never match."""
        for path in sorted(self.checkpoints.glob("ckpt_*.npz"), reverse=True):
            try:
                meta, rows = self.load_checkpoint(path, gan)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
                log.warning("checkpoint %s is unreadable (%s): trying an older one", path, err)
                continue
            return path, meta, rows
        return None

    def save_checkpoint(
        self,
        iteration: int,
        gan: GAN,
        order: BatchOrder,
        rows: list[dict],
        wall: float,
        keep: int,
        monitor: list[dict] | None = None,
    ) -> None:
        state = {f"v{i:04d}": a for i, a in enumerate(gan.get_state())}
        meta = {"iteration": iteration, "epoch": order.epoch, "position": order.position, "wall_time_s": wall}
        meta["monitor"] = monitor  # the monitor's curve so far: a resumed run decides as an uninterrupted one
        buffer = io.StringIO()
        _write_rows(buffer, rows, self.columns)
        path = self.checkpoints / f"ckpt_{iteration:08d}.npz"
        with atomic_path(path) as tmp:
            np.savez(tmp, meta=json.dumps(meta), metrics=buffer.getvalue(), **state)
        for old in sorted(self.checkpoints.glob("ckpt_*.npz"))[:-keep]:
            old.unlink()

    def load_checkpoint(self, path: Path, gan: GAN) -> tuple[dict, list[dict]]:
        with np.load(path) as saved:
            meta = json.loads(str(saved["meta"]))
            rows = list(csv.DictReader(io.StringIO(str(saved["metrics"]))))
            gan.set_state([saved[k] for k in sorted(k for k in saved.files if k.startswith("v"))])
        return meta, [{k: float(v) for k, v in row.items()} for row in rows]


def metric_columns(model: str) -> tuple[str, ...]:
    """metrics.csv's columns: the paper's two estimates for every model (NaN where it has neither),
    and after them the model's own when it is another (objectives.ESTIMATES)."""
    own, at = objectives.estimate_of(model).column, METRIC_COLUMNS.index("js_estimate") + 1
    return METRIC_COLUMNS if own in METRIC_COLUMNS else (*METRIC_COLUMNS[:at], own, *METRIC_COLUMNS[at:])


def _write_rows(stream, rows: list[dict], columns: tuple[str, ...]) -> None:
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _fmt(row[k]) for k in columns})


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def frame_noise(z_dim: int, n: int = FRAME_SAMPLES) -> np.ndarray:
    return np.random.default_rng(FRAME_NOISE_SEED).standard_normal((n, z_dim)).astype(np.float32)


def frame_samplers(gan: GAN) -> dict:
    """The frames' two ways of drawing (``wganlib.judge.sampling``), both kept: the GIF shows the one
    ``evaluation.sampling`` names, so changing it redraws no frame and retrains nothing. Neither
    changes a variable: training goes on as if no frame were drawn."""
    batches = settings(BATCH_STATISTICS, gan.exp.batch_size)
    return {MOVING_AVERAGES: gan.sample, BATCH_STATISTICS: sampler(gan.generator, batches)}


def software_versions() -> dict:
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


# ------------------------------------------------------------------------------------------------
# The loop


def train(
    exp: Experiment,
    images: np.ndarray,
    work_root: Path,
    out: Outputs,
    *,
    device: str = "CPU",
    threads: int = 1,
    monitor: Monitor | None = None,
) -> dict:
    """Train ``exp`` on ``images`` (uint8, (N, H, W) or (N, H, W, C); a np.memmap is read a batch at a
    time), resuming from ``work_root`` when possible;
    with a ``monitor`` (wganlib.train.monitor), until it has converged, at most generator_iterations."""
    work = WorkFolder(work_root, exp)
    policy = training_precision(exp.precision, device)
    gan = GAN(exp, images, policy)
    order = BatchOrder(len(images), exp.batch_size, exp.seed)
    iteration, rows, wall_before = 0, [], 0.0
    restored = work.restore(gan)
    if restored is not None:
        checkpoint, meta, rows = restored
        iteration, wall_before = meta["iteration"], meta["wall_time_s"]
        order = BatchOrder(len(images), exp.batch_size, exp.seed, meta["epoch"], meta["position"])
        log.info("resuming %s from %s (generator iteration %d)", exp.name, checkpoint.name, iteration)
    else:
        if any(work.checkpoints.glob("ckpt_*.npz")):  # every checkpoint was unreadable
            gan = GAN(exp, images, policy)  # a failed load may have changed some weights: start clean
        others = [p.name for p in Path(work_root).iterdir() if p.is_dir() and p != work.root]
        if others:
            log.info(
                "no checkpoint for these settings (kept for other settings: %s): starting fresh", ", ".join(others)
            )
        log.info("training %s from scratch: %d generator iterations on %s", exp.name, exp.generator_iterations, device)
    z_frames, draw = frame_noise(exp.z_dim), frame_samplers(gan)
    writer = tf.summary.create_file_writer(str(work.events))
    if restored is not None and monitor is not None:
        monitor.set_state(meta.get("monitor") or [])
    pace, reporter = (
        progress.Pace(exp.snapshot_every, exp.n_critic),
        progress.Reporter(exp, work_root),
    )  # the pace times the start's snapshot too
    if iteration == 0:  # the untrained generator: where "not started" is measured from
        _snapshot(gan, draw, work, 0, z_frames, writer, monitor)
    status, diverged_at = "completed", None
    stop_reason = BUDGET if monitor is None else MAXIMUM
    started, last = time.perf_counter(), time.perf_counter()
    while iteration < exp.generator_iterations:
        batches = order.next(critic_iterations(iteration, exp.n_critic, exp.critic_burst), exp.epoch_ends_critic_run)
        step_started = time.perf_counter()
        stats = {k: float(v) for k, v in gan.train_iteration(batches).items()}
        iteration += 1
        now = time.perf_counter()
        pace.step(iteration, len(batches), step_started, now)
        row = _metrics_row(
            exp, gan.objective, iteration, len(batches), stats, wall_before + now - started, 1.0 / max(now - last, 1e-9)
        )
        last = now
        rows.append(row)
        _write_summaries(writer, row, objectives.estimate_of(exp.model).column)
        if not all(math.isfinite(stats[k]) for k in ("critic_loss", "generator_loss")):
            status, diverged_at, stop_reason = "diverged", iteration, DIVERGED
            log.warning(
                "%s diverged at generator iteration %d: losses are not finite; stopping here", exp.name, iteration
            )
            _snapshot(gan, draw, work, iteration, z_frames, writer)
            break
        if iteration % exp.snapshot_every == 0 or iteration == exp.generator_iterations:
            if _snapshot(gan, draw, work, iteration, z_frames, writer, monitor):
                stop_reason = PLATEAUED
                log.info("%s has converged at generator iteration %d: stopping here", exp.name, iteration)
                _log_progress(exp, row, rows, pace, reporter, monitor)
                break
        if iteration % exp.checkpoint_every == 0 and iteration < exp.generator_iterations:
            curve = monitor.get_state() if monitor is not None else None
            work.save_checkpoint(iteration, gan, order, rows, row["wall_time_s"], exp.keep_checkpoints, curve)
        if iteration % exp.log_every == 0 or iteration == exp.generator_iterations:
            _log_progress(exp, row, rows, pace, reporter, monitor)
    writer.close()
    result = {
        "status": status,
        "generator_iterations": iteration,
        "diverged_at": diverged_at,
        "wall_time_s": rows[-1]["wall_time_s"] if rows else 0.0,
        "stop_reason": stop_reason,
        "max_iterations": exp.generator_iterations,
        "monitor_fid": monitor.get_state() if monitor is not None else None,
    }
    _publish(exp, gan, work, out, rows, result, device, threads, policy)
    state = "diverged" if diverged_at is not None else PLATEAUED if stop_reason == PLATEAUED else "completed"
    reporter.report(iteration, _measure(exp, rows[-1], monitor) if rows else "", 0.0, state)
    return result


def _metrics_row(
    exp: Experiment, objective: losses.Objective, iteration: int, n_critic: int, stats: dict, wall: float, speed: float
) -> dict:
    """One row of metrics.csv: columns a model does not have (the other estimate, a penalty) are NaN."""
    row = dict.fromkeys(metric_columns(exp.model), float("nan"))
    row.update(
        generator_iteration=iteration,
        critic_iterations=n_critic,
        critic_loss=stats["critic_loss"],
        generator_loss=stats["generator_loss"],
        d_real=stats["d_real"],
        d_fake=stats["d_fake"],
        wall_time_s=wall,
        iterations_per_s=speed,
    )
    row[objectives.estimate_of(exp.model).column] = float(objective.distance(stats["critic_loss"]))
    if objective.penalised:
        row["gradient_penalty"] = stats["gradient_penalty"]
    return row


def _write_summaries(writer, row: dict, estimate: str) -> None:
    with writer.as_default(step=int(row["generator_iteration"])):
        for key, tag in {**SCALAR_TAGS, estimate: "critic/estimate"}.items():
            if math.isfinite(row[key]):
                tf.summary.scalar(tag, row[key])


def _snapshot(
    gan: GAN, draw: dict, work: WorkFolder, iteration: int, z: np.ndarray, writer, monitor: Monitor | None = None
) -> bool:
    """Frames from the fixed noise, drawn both ways (``frame_samplers``), and the generator weights,
    for GIFs and quality over training; with a monitor, its measure too. True when the monitor's
    rule says the run has converged. TensorBoard shows the frame of moving averages."""
    grids = {mode: image_grid(np.nan_to_num(sample(z)), ncols=8) for mode, sample in draw.items()}
    for mode, grid in grids.items():
        save_png(frames_folder(work.frames, mode) / f"iter_{iteration:06d}.png", grid)
    with atomic_path(work.snapshots / f"iter_{iteration:06d}.weights.h5") as tmp:
        gan.generator.save_weights(tmp)
    with writer.as_default(step=iteration):
        grid = grids[MOVING_AVERAGES]
        tf.summary.image(f"samples/{gan.exp.name}", grid.reshape(1, *grid.shape[:2], -1), step=iteration)
    if monitor is None:
        return False
    converged = monitor.observe(iteration, gan.generator)
    log.info("%s iteration %d: FID %.2f (%s)", gan.exp.name, iteration, monitor.curve[-1]["fid"], monitor.state())
    return converged


def _log_progress(
    exp: Experiment, row: dict, rows: list[dict], pace: progress.Pace, reporter: progress.Reporter, monitor
) -> None:
    recent = rows[-min(len(rows), exp.log_every) :]
    speed = (
        len(recent) / max(recent[-1]["wall_time_s"] - recent[0]["wall_time_s"], 1e-9)
        if len(recent) > 1
        else row["iterations_per_s"]
    )
    iteration = int(row["generator_iteration"])
    left = pace.seconds_left(exp, iteration)
    log.info(
        "%s iter %d/%d  critic %.4f  generator %.4f  %s  %.2f it/s  ETA %s%s",
        exp.name,
        iteration,
        exp.generator_iterations,
        row["critic_loss"],
        row["generator_loss"],
        _measure(exp, row, None),
        speed,
        "at most " if exp.stop_at_convergence else "",
        progress.duration(left),
    )
    reporter.report(iteration, _measure(exp, row, monitor), left)


def _measure(exp: Experiment, row: dict, monitor: Monitor | None) -> str:
    """What a person reads of how the run goes: the monitor's latest FID, else the critic's estimate."""
    if monitor is not None and monitor.curve:
        return f"FID {monitor.curve[-1]['fid']:.1f}"
    own = objectives.estimate_of(exp.model)
    return f"{own.short} {row[own.column]:.4f}"


def _publish(
    exp: Experiment, gan: GAN, work: WorkFolder, out: Outputs, rows, result, device: str, threads: int, policy: str
) -> None:
    """Copy the finished run from the work folder to the declared outputs, each file atomically."""
    last = result["generator_iterations"]
    batch_frames = frames_folder(work.frames, BATCH_STATISTICS), frames_folder(out.frames, BATCH_STATISTICS)
    for source_dir, target_dir in ((work.frames, out.frames), batch_frames, (work.snapshots, out.snapshots)):
        target_dir.mkdir(parents=True, exist_ok=True)
        for source in sorted(p for p in source_dir.iterdir() if p.is_file()):
            if frame_iteration(source) <= last:  # later files are a killed run's
                with atomic_path(target_dir / source.name) as tmp:
                    shutil.copyfile(source, tmp)
    # TensorBoard's event files, where `tensorboard --logdir results` finds them by experiment
    out.tensorboard.mkdir(parents=True, exist_ok=True)
    for source in sorted(work.events.glob("events.out.tfevents.*")):
        with atomic_path(out.tensorboard / source.name) as tmp:
            shutil.copyfile(source, tmp)
    with atomic_path(out.metrics) as tmp:
        with open(tmp, "w", newline="") as stream:
            _write_rows(stream, rows, work.columns)
    with atomic_path(out.generator) as tmp:
        gan.generator.save(tmp)
    resolved = {
        "experiment": exp.to_dict(),
        "device": device,
        "threads": threads,
        "precision": policy,
        "software": software_versions(),
    }
    write_text(out.config, yaml.safe_dump(resolved, sort_keys=False))
    write_json(out.status, result)
