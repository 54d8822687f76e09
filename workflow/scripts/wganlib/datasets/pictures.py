"""Encoded pictures (PNG, JPEG, WebP, ...) -> uint8 arrays of one size and mode, as the official WGAN
code's transforms make them: ``Resize(size)`` (the shorter side to ``size``, bilinear) then
``CenterCrop(size)``, computed with torchvision's own arithmetic on PIL images.

Every mode becomes RGB (or L for greyscale datasets): 16-bit greyscale is scaled to 8 bits,
a palette is expanded, and transparency is composited over white (the colour under a fully
transparent pixel is arbitrary, so dropping alpha as PIL's ``convert("RGB")`` does would show it).

A picture that cannot be decoded raises ``Unreadable`` saying why in words (empty, not a picture,
damaged or cut short, more pixels than Pillow's guard against decompression bombs allows);
``unreadable_message`` lists them for a dataset that refuses them.
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
# What PIL raises for a file it cannot decode (truncated, damaged, not an image).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)
_BOMB = (Image.DecompressionBombWarning, Image.DecompressionBombError)
SHOWN = 20  # unreadable files named in an error or log line; the manifest lists all


class Unreadable(Exception):
    """A picture that cannot be decoded; the message says why in words (no Pillow object reprs)."""


def decode(data: bytes, size: int, channels: int) -> np.ndarray:
    """uint8 (size, size) for ``channels`` 1 or (size, size, 3); ``Unreadable`` if it cannot be."""
    if not data:
        raise Unreadable("empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # refuse, do not warn
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = _eight_bit(image)
            image = _flatten_alpha(image).convert("L" if channels == 1 else "RGB")
    except UnidentifiedImageError:  # its message quotes the in-memory file object: not useful
        raise Unreadable("not a picture in a format Pillow reads (PNG, JPEG, WebP, BMP)") from None
    except _BOMB as exc:
        raise Unreadable(_too_large(exc)) from None
    except _DECODE_ERRORS as exc:
        raise Unreadable(f"damaged or cut short ({exc})") from None
    return np.asarray(center_crop(resize_shorter(image, size), size), dtype=np.uint8)


def _too_large(exc: Exception) -> str:
    """Pillow's guard against decompression bombs, in words: how many pixels, and the limit."""
    found = re.search(r"\((\d+) pixels\) exceeds limit of (\d+)", str(exc))
    if found is None:
        return f"too large to decode safely ({exc}); shrink it"
    pixels, limit = map(int, found.groups())
    return (
        f"{pixels:,} pixels, more than the {limit:,} Pillow decodes from one file (its guard against "
        "decompression bombs); shrink it (the images are brought to image_size anyway)"
    )


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


def unreadable_message(what: str, unreadable: dict[str, str], dataset: str) -> str:
    """Every unreadable one of ``what`` (the first SHOWN, and how many), and what to do."""
    lines = [f"  {name}: {why}" for name, why in sorted(unreadable.items())[:SHOWN]]
    more = len(unreadable) - SHOWN
    return "\n".join(
        [
            f"{len(unreadable)} of the {what} cannot be read as images:",
            *lines,
            *([f"  ... and {more} more"] if more > 0 else []),
            f"Delete or fix them, or set data.settings.{dataset}.unreadable: skip to leave such files out "
            "(the manifest then lists them).",
        ]
    )
