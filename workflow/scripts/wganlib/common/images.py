"""Image grids of generated samples, training-progress GIFs and their contact sheets.

A grid is one uint8 array, (H, W) for greyscale images or (H, W, 3) for colour ones; a GIF shows
one grid per snapshot with the generator iteration written in a band above it; the contact sheet is
a PNG of a few of those frames, because ``snakemake --report`` previews PNGs but not GIFs. Frames,
GIFs and sheets stay greyscale for greyscale grids and are RGB for colour ones.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .io import atomic_path

log = logging.getLogger(__name__)

PathLike = str | os.PathLike
ITERATION_PATTERN = re.compile(r"iter_(\d+)")
PAD_PX = 2
PAD_VALUE = 128  # mid grey: visible against black backgrounds and white strokes alike
BAND_BACKGROUND = 255
BAND_TEXT = 0
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")  # PIL modes read back as (H, W) greyscale


def to_uint8(images: np.ndarray) -> np.ndarray:
    """uint8 images unchanged; floats taken as the generator's tanh range [-1, 1]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"images must be uint8 or float in [-1, 1], got {images.dtype}")
    scaled = (np.nan_to_num(images, nan=-1.0) + 1.0) * 127.5
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """uint8 greyscale (N, H, W) -> float32 (N, H, W, 1), or colour (N, H, W, C) -> (N, H, W, C),
    in [-1, 1], the range of the tanh output."""
    images = np.asarray(images)
    scaled = images.astype(np.float32)[..., None] if images.ndim == 3 else images.astype(np.float32)
    return (scaled / 127.5) - 1.0


def without_grey_axis(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 1) -> (N, H, W), the form greyscale datasets are stored in; colour unchanged."""
    return images[..., 0] if images.ndim == 4 and images.shape[-1] == 1 else images


def image_grid(images: np.ndarray, ncols: int, *, pad: int = PAD_PX, pad_value: int = PAD_VALUE) -> np.ndarray:
    """Tile (N, h, w) images (or (N, h, w, 1)) into one uint8 (H, W) grid, or colour (N, h, w, 3)
    images into an (H, W, 3) one.

    A ``pad``-pixel line separates the tiles and surrounds the grid; cells past N stay black.
    """
    images = without_grey_axis(to_uint8(images))
    colour = images.ndim == 4 and images.shape[-1] == 3
    if not (images.ndim == 3 or colour) or images.shape[0] == 0:
        raise ValueError(f"expected a non-empty (N, h, w) or (N, h, w, 3) batch, got shape {images.shape}")
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    n, h, w = images.shape[:3]
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, *images.shape[3:]), pad_value, np.uint8)
    for index in range(nrows * ncols):
        row, col = divmod(index, ncols)
        top, left = pad + row * (h + pad), pad + col * (w + pad)
        grid[top : top + h, left : left + w] = images[index] if index < n else 0
    return grid


def save_png(path: PathLike, grid: np.ndarray) -> None:
    """Write a uint8 (H, W) grid as a greyscale PNG, or an (H, W, 3) one as an RGB PNG, atomically."""
    grid = to_uint8(grid)
    if grid.ndim != 2 and not (grid.ndim == 3 and grid.shape[-1] == 3):
        raise ValueError(f"expected a greyscale (H, W) or colour (H, W, 3) grid, got shape {grid.shape}")
    with atomic_path(path) as tmp:
        Image.fromarray(grid).save(tmp, format="PNG")


def frame_iteration(path: PathLike) -> int:
    """The generator iteration in a frame's file name (``iter_000500.png`` -> 500)."""
    match = ITERATION_PATTERN.search(Path(path).name)
    if match is None:
        raise ValueError(f"frame file name has no iteration number (iter_<n>): {path}")
    return int(match.group(1))


def frame_paths_in_order(paths: Sequence[PathLike]) -> list:
    """The given paths sorted by their parsed iteration, not by string order or file time."""
    keyed = [(frame_iteration(p), p) for p in paths]
    seen: dict[int, PathLike] = {}
    for iteration, path in keyed:
        if iteration in seen:
            raise ValueError(f"two frames for iteration {iteration}: {seen[iteration]} and {path}")
        seen[iteration] = path
    return [path for _, path in sorted(keyed, key=lambda pair: pair[0])]


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: fixed bitmap font
        return ImageFont.load_default()


def labelled_frame(grid: np.ndarray, label: str) -> np.ndarray:
    """The (H, W) or (H, W, 3) grid with a white band above it holding ``label`` centred in black."""
    grid = to_uint8(grid)
    height, width = grid.shape[:2]
    font_size = int(np.clip(width // 14, 10, 28))
    band = font_size + 8
    mode, channels = ("L", 1) if grid.ndim == 2 else ("RGB", 3)
    canvas = Image.new(mode, (width, height + band), (BAND_BACKGROUND,) * channels)
    canvas.paste(Image.fromarray(grid), (0, band))
    draw = ImageDraw.Draw(canvas)
    font = _font(font_size)
    left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
    draw.text(
        ((width - (right - left)) / 2 - left, (band - (bottom - top)) / 2 - top),
        label,
        fill=(BAND_TEXT,) * channels,
        font=font,
    )
    return np.asarray(canvas)


def read_grid(path: PathLike) -> np.ndarray:
    """A saved grid as written: (H, W) from a greyscale PNG, (H, W, 3) from any other."""
    with Image.open(path) as image:
        return np.asarray(image.convert("L" if image.mode in GREY_MODES else "RGB"))


def _upscale(image: np.ndarray, scale: int) -> np.ndarray:
    return image.repeat(scale, axis=0).repeat(scale, axis=1)


def _labelled_frames(ordered: Sequence[PathLike], label_fmt: str, scale: int) -> list[np.ndarray]:
    return [labelled_frame(_upscale(read_grid(p), scale), label_fmt.format(it=frame_iteration(p))) for p in ordered]


def _same_size(frames: list[np.ndarray], fill: int = 0) -> np.ndarray:
    """Stack frames, padding smaller ones (bottom/right) so one odd snapshot cannot break a GIF;
    greyscale frames among colour ones become grey RGB."""
    if any(f.ndim == 3 for f in frames):
        frames = [f if f.ndim == 3 else np.repeat(f[..., None], 3, axis=-1) for f in frames]
    height = max(f.shape[0] for f in frames)
    width = max(f.shape[1] for f in frames)
    stacked = np.full((len(frames), height, width, *frames[0].shape[2:]), fill, np.uint8)
    for index, frame in enumerate(frames):
        stacked[index, : frame.shape[0], : frame.shape[1]] = frame
    return stacked


def _gif_frame(frame: np.ndarray) -> Image.Image:
    """A frame as GIF stores it: greyscale as it is; colour in 256 colours of its own, chosen by an
    octree, which keeps the label's black and white where Pillow's default median cut tints them."""
    picture = Image.fromarray(frame)
    return picture if frame.ndim == 2 else picture.quantize(256, method=Image.Quantize.FASTOCTREE)


def make_gif(
    frame_paths: Sequence[PathLike],
    out_gif: PathLike,
    *,
    frame_duration_s: float,
    last_frame_hold_s: float,
    label_fmt: str = "iteration {it:,}",
    scale: int = 1,
) -> None:
    """Animate the snapshot grids in iteration order, each labelled; loops forever.

    Every frame shows ``frame_duration_s`` seconds, the last one ``last_frame_hold_s``.
    """
    if not frame_paths:
        raise ValueError(f"no frames to animate into {out_gif}")
    ordered = frame_paths_in_order(frame_paths)
    frames = _same_size(_labelled_frames(ordered, label_fmt, scale))
    # Pillow's GIF writer takes durations in milliseconds, one value per frame.
    durations_ms = [round(frame_duration_s * 1000)] * len(frames)
    durations_ms[-1] = round(last_frame_hold_s * 1000)
    if len(frames) == 1:  # a run that diverged at once; Pillow takes no list for a single frame
        durations_ms = durations_ms[0]
    pictures = [_gif_frame(frame) for frame in frames]
    with atomic_path(out_gif) as tmp:
        pictures[0].save(tmp, format="GIF", save_all=True, append_images=pictures[1:], duration=durations_ms, loop=0)
    log.info(
        "wrote %s: %d frames, iterations %d..%d",
        out_gif,
        len(frames),
        frame_iteration(ordered[0]),
        frame_iteration(ordered[-1]),
    )


def evenly_chosen(items: Sequence, max_items: int) -> list:
    """At most ``max_items`` items spread evenly, always keeping the first and the last."""
    if max_items < 1:
        raise ValueError(f"max_items must be >= 1, got {max_items}")
    if len(items) <= max_items:
        return list(items)
    if max_items == 1:
        return [items[-1]]
    indices = np.unique(np.rint(np.linspace(0, len(items) - 1, max_items)).astype(int))
    return [items[i] for i in indices]


def make_contact_sheet(
    frame_paths: Sequence[PathLike],
    out_png: PathLike,
    max_frames: int = 8,
    *,
    ncols: int = 4,
    label_fmt: str = "iteration {it:,}",
    gap_px: int = 8,
    scale: int = 1,
) -> None:
    """A PNG of up to ``max_frames`` evenly chosen snapshot grids, each captioned by iteration."""
    if not frame_paths:
        raise ValueError(f"no frames for the contact sheet {out_png}")
    chosen = evenly_chosen(frame_paths_in_order(frame_paths), max_frames)
    tiles = _same_size(_labelled_frames(chosen, label_fmt, scale), fill=BAND_BACKGROUND)
    n, height, width = tiles.shape[:3]
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    sheet_shape = (nrows * (height + gap_px) + gap_px, ncols * (width + gap_px) + gap_px, *tiles.shape[3:])
    sheet = np.full(sheet_shape, BAND_BACKGROUND, np.uint8)
    for index, tile in enumerate(tiles):
        row, col = divmod(index, ncols)
        top, left = gap_px + row * (height + gap_px), gap_px + col * (width + gap_px)
        sheet[top : top + height, left : left + width] = tile
    save_png(out_png, sheet)
