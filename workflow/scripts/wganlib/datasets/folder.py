"""``folder``: the user's own images (``data.paths.folder``), any folder of PNG, JPEG or WebP files,
nested as deep as it likes, of any size and mode: each is brought to ``image_size`` as the official
code's transforms do (``pictures``), in ``channels`` 3 (RGB) or 1 (greyscale).

``labels: true`` takes the classes from the first-level subfolder names (torchvision's ImageFolder:
classes sorted by name, an image's class the folder it is under). A file that cannot be read or
decoded (damaged, cut short, empty, a link to nothing, unreadable to this user, too many pixels)
is reported by name and why: ``unreadable: refuse`` reads every file, then fails with the list
(the first ``SHOWN`` and how many), ``skip`` leaves them out and lists them in the manifest. The
manifest's ``content_sha256`` digests every file's path and bytes.

The evaluation split is ``test_images`` images (default: a tenth, at most 1,000) drawn with a fixed
seed; the rest, capped at ``max_images``, is the training split. A split too small for the metrics
(``sizes``) is refused before any file is decoded. Images are decoded a chunk at a time, so a
folder larger than memory is materialised into a file that is memory-mapped.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .pictures import SHOWN, SUFFIXES, Unreadable, decode, unreadable_message
from .sizes import check_split
from .specs import DatasetError, DatasetSpec
from .store import Chunk, Request, chunked, write_dataset

log = logging.getLogger(__name__)

SPLIT_SEED = 0  # numpy default_rng seed of the train/test split
CHUNK = 1_000
ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".7z", ".rar")


def build_folder(request: Request) -> dict[str, Any]:
    """Materialise the user's image folder."""
    settings = request.settings
    root = request.local_path.expanduser() if request.local_path else None
    paths = folder_images(root, settings)
    classes, labels = _labels(root, paths) if settings["labels"] else (None, np.zeros(len(paths), np.int64))
    order = np.random.default_rng(SPLIT_SEED).permutation(len(paths))
    n_train, n_test = split_sizes(len(paths), settings)
    check_split(request.spec, "test", n_test)
    check_split(request.spec, "train", n_train)
    reader = _Reader(root, paths, labels, settings)
    return write_dataset(
        request,
        reader.read(order[n_test:]),
        reader.read(order[:n_test]),
        source={"kind": "local-folder", "location": str(root)},
        files=[{"name": root.name, "path": str(root), "images": len(paths), "verified_by": "content-sha256"}],
        classes=classes,
        extra=reader.finish,
    )


def folder_images(root: Path | None, settings: dict[str, Any]) -> list[Path]:
    """The image files of data.paths.folder (the spec's ``listing``); DatasetError saying what to
    do when it is not a folder of images."""
    if root is None:
        raise DatasetError("the folder dataset needs its path: set data.paths.folder in config/config.yaml")
    root = root.expanduser()
    if root.is_file() and root.name.lower().endswith(ARCHIVES):
        raise DatasetError(
            f"data.paths.folder: {root} is an archive; unpack it (e.g. unzip {root.name}) and set "
            "data.paths.folder to the folder it makes"
        )
    if not root.is_dir():
        what = "a file" if root.exists() else "missing"
        raise DatasetError(f"data.paths.folder: {root} is {what}, not a folder; set it to your folder of images")
    paths = image_files(root)
    if not paths:
        raise DatasetError(
            f"{root} holds no images ({', '.join(SUFFIXES)}), in it or in its subfolders; "
            "set data.paths.folder to the folder of your images"
        )
    return paths


def split_sizes(n: int, settings: dict[str, Any]) -> tuple[int, int]:
    """(training, evaluation) images of a folder of ``n`` images that all decode."""
    n_test = min(n, settings["test_images"] or max(1, min(1_000, n // 10)))
    n_train = n - n_test if settings["max_images"] is None else min(n - n_test, settings["max_images"])
    return n_train, n_test


def _counts(root: Path | None, settings: dict[str, Any], files: list[Path] | None) -> dict[str, Any] | None:
    """The splits' sizes before the build: at most, as some files may not decode."""
    if files is None:
        return None
    n_train, n_test = split_sizes(len(files), settings)
    return {"train": n_train, "test": n_test, "at_most": True}


def image_files(root: Path) -> list[Path]:
    """Every image file under ``root`` by suffix, sorted by relative path; hidden ones left out."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        found += [os.path.join(folder, n) for n in names if not n.startswith(".") and n.lower().endswith(SUFFIXES)]
    start = len(os.path.join(root, ""))  # sorted as strings: a Path.relative_to per file was slower
    return [Path(p) for p in sorted(found, key=lambda p: p[start:].replace(os.sep, "/"))]


def _labels(root: Path, paths: list[Path]) -> tuple[list[str], np.ndarray]:
    """Classes from the first-level subfolder names, sorted; each image's index among them."""
    tops = [p.relative_to(root).parts for p in paths]
    loose = [p for p, parts in zip(paths, tops, strict=True) if len(parts) == 1]
    if loose:
        raise DatasetError(
            f"labels from subfolder names: {len(loose)} images are in no subfolder of {root} "
            f"(e.g. {loose[0].name}); move them into their class's folder, or set labels: false"
        )
    classes = sorted({parts[0] for parts in tops})
    index = {name: i for i, name in enumerate(classes)}
    return classes, np.array([index[parts[0]] for parts in tops], np.int64)


class _Reader:
    """Decodes images in a given order, a chunk at a time, digesting and counting as it goes."""

    def __init__(self, root: Path, paths: list[Path], labels: np.ndarray, settings: dict[str, Any]):
        self.root, self.paths, self.labels, self.settings = root, paths, labels, settings
        self.hashes: dict[int, str] = {}
        self.unreadable: dict[str, str] = {}  # relative path -> why

    def read(self, indices: np.ndarray) -> Iterator[Chunk]:
        for chunk in chunked(list(indices), CHUNK):
            images, kept = [], []
            for i in chunk:
                try:
                    images.append(self._decode(i))
                except Unreadable as why:
                    self._unreadable(self.paths[i], str(why))
                    continue
                kept.append(i)
            if kept:
                yield np.stack(images), self.labels[kept]

    def _decode(self, i: int) -> np.ndarray:
        path = self.paths[i]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise Unreadable(_read_error(path, exc)) from None
        self.hashes[i] = hashlib.sha256(data).hexdigest()
        return decode(data, self.settings["image_size"], self.settings["channels"])

    def _unreadable(self, path: Path, why: str) -> None:
        name = path.relative_to(self.root).as_posix()
        self.unreadable[name] = why
        if self.settings["unreadable"] == "skip" and len(self.unreadable) <= SHOWN:
            log.warning("folder: skipped %s: %s", name, why)

    def finish(self) -> dict[str, Any]:
        """The manifest's entries once every file is read; DatasetError listing the unreadable
        files when they are refused."""
        if self.unreadable and self.settings["unreadable"] == "refuse":
            raise DatasetError(unreadable_message(f"files under {self.root}", self.unreadable, "folder"))
        return {"content_sha256": self.digest(), "unreadable": sorted(self.unreadable)}

    def digest(self) -> str:
        """SHA-256 over each read file's relative path and SHA-256, in path order."""
        digest = hashlib.sha256()
        for i in sorted(self.hashes):
            digest.update(f"{self.paths[i].relative_to(self.root).as_posix()}\0{self.hashes[i]}\n".encode())
        return digest.hexdigest()


def _read_error(path: Path, exc: OSError) -> str:
    """Why a file cannot be read, in words."""
    if path.is_symlink() and not path.exists():
        return f"a link to {os.readlink(path)}, which does not exist"
    if isinstance(exc, PermissionError):
        return "not readable by this user (permission denied)"
    return f"cannot be read ({exc.strerror or exc})"


FOLDER = DatasetSpec(
    name="folder",
    image_size=64,
    channels=3,
    settings={
        "image_size": 64,
        "channels": 3,
        "labels": False,
        "unreadable": "refuse",
        "test_images": None,
        "max_images": None,
    },
    own_images=True,
    needs_path="your folder of images (PNG, JPEG or WebP, in it or in its subfolders)",
    build=build_folder,
    listing=folder_images,
    counts=_counts,
)
