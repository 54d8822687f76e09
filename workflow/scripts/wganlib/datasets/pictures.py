"""Encoded pictures (PNG, JPEG, WebP, ...) -> uint8 arrays of one size and mode, as the official WGAN
code's transforms make them: ``Resize(size)`` (the shorter side to ``size``, bilinear) then
``CenterCrop(size)``, computed with torchvision's own arithmetic on PIL images.

Every mode becomes RGB (or L for greyscale datasets): 16-bit greyscale is scaled to 8 bits,
a palette is expanded, and transparency is composited over white (the colour under a fully
transparent pixel is arbitrary, so dropping alpha as PIL's ``convert("RGB")`` does would show it).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
# What PIL raises for a file it cannot decode (truncated, not an image, a decompression bomb).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError)


def decode(data: bytes, size: int, channels: int) -> np.ndarray:
    """uint8 (size, size) for ``channels`` 1 or (size, size, 3); an error of DECODE_ERRORS if unreadable."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # refuse, do not warn
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = _eight_bit(image)
    image = _flatten_alpha(image).convert("L" if channels == 1 else "RGB")
    return np.asarray(center_crop(resize_shorter(image, size), size), dtype=np.uint8)


def _eight_bit(image: Image.Image) -> Image.Image:
    """16- and 32-bit greyscale (modes I;16*, I, F) scaled to 8-bit L; other modes unchanged."""
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode != "F" and values.max(initial=0) > 255 else 255.0
        return Image.fromarray(np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8), "L")
    return image


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Transparent images (RGBA, LA, a palette with transparency) over a white background, as RGB."""
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
    return image


def resize_shorter(image: Image.Image, size: int) -> Image.Image:
    """torchvision's Resize(size) on a PIL image: the shorter side to ``size``, the other in proportion."""
    width, height = image.size
    if min(width, height) == size:
        return image
    if width < height:
        new = (size, int(size * height / width))
    else:
        new = (int(size * width / height), size)
    return image.resize(new, Image.BILINEAR)


def center_crop(image: Image.Image, size: int) -> Image.Image:
    """torchvision's CenterCrop(size): the middle ``size`` x ``size`` (offsets rounded as it does)."""
    width, height = image.size
    top, left = int(round((height - size) / 2.0)), int(round((width - size) / 2.0))
    return image.crop((left, top, left + size, top + size))
