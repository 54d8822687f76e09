"""What is known of a dataset before it is built, cheaply, when Snakemake plans the run.

- ``Planned.contents``: a digest of the files its ``data.paths`` entry points at, as names, sizes
  and modification times, not their bytes (a folder of a hundred thousand images is listed in about a
  second). It is a param of the rule that builds the dataset, so a file added, removed or
  changed (or only touched) replans the dataset and everything after it. Each spec says which
  files it reads (``DatasetSpec.listing``: a folder's images, the ``data.mdb`` of LSUN's LMDBs);
  by default the path itself, or the files directly in its folder. The build records the digest in
  its manifest (``listing``), and a path that is gone once the dataset is built keeps that
  digest: nothing built from it is thrown away for want of it. A path that is wrong before the
  dataset is built is a warning at planning (a dry run still plans) and the build's error.
- ``Planned.counts``: the images each split will hold, from the manifest while the files and
  settings it was built from are unchanged, else from the spec (``DatasetSpec.counts``: an upper
  bound for files not yet decoded). ``problems`` checks them against ``sizes``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import sizes
from .registry import get_spec
from .specs import DatasetError, DatasetSpec


@dataclass(frozen=True)
class Planned:
    """A dataset as planning sees it."""

    name: str
    contents: str | None  # digest of the listing of its data.paths entry; None without one
    counts: dict[str, Any] | None  # {"train": n, "test": n, "at_most": bool}, or None if unknown
    note: str | None = None  # something to tell the user (a path gone, the built dataset kept)


def plan(name: str, settings: dict | None, local_path: str | os.PathLike | None, manifest: Path) -> Planned:
    """What planning knows of dataset ``name``: its contents digest and its splits' sizes.

    A path that cannot be built from gives a note (the build's own message), not an error: a dry
    run still shows the plan, and the build, if it is to run, fails with that message."""
    spec = get_spec(name)
    resolved = spec.resolved(settings)
    built = _read_manifest(manifest) or {}
    recorded = built.get("listing")
    path = Path(local_path).expanduser() if local_path else None
    files = None
    if path is not None:
        try:
            files = listing(spec, path, resolved)
        except DatasetError as err:
            if recorded is None:
                return Planned(name, None, None, f"{err} (its build will fail until then)")
            kept = built.get("npz", {}).get("path", "the dataset")
            return Planned(name, recorded, _counts_of(built), f"{err}; {kept} was built from it and is kept")
    contents = digest(files, path) if files is not None and path is not None else None
    if built and recorded == contents and built.get("settings", resolved) == resolved:
        return Planned(name, contents, _counts_of(built))
    return Planned(name, contents, spec.counts(path, resolved, files) if spec.counts else None)


def contents(spec: DatasetSpec, local_path: str | os.PathLike | None, settings: dict) -> str | None:
    """The digest ``plan`` gives of the files at ``local_path``; None without a path, or where the
    dataset cannot be read from it (its build says why)."""
    if not local_path:
        return None
    path = Path(local_path).expanduser()
    try:
        return digest(listing(spec, path, settings), path)
    except DatasetError:
        return None


def listing(spec: DatasetSpec, path: Path, settings: dict) -> list[Path]:
    """The files a dataset reads from ``path``; DatasetError, naming it, where the dataset cannot
    be read from it (never by default: for the MNIST family a missing path is one failed source
    of several)."""
    if spec.listing is not None:
        return spec.listing(path, settings)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if not p.name.startswith(".") and p.is_file())
    return [path] if path.is_file() else []


def digest(files: list[Path], root: Path) -> str:
    """SHA-256 of each file's name (relative to ``root``), size and modification time, in order."""
    lines = hashlib.sha256()
    inside = os.path.join(root, "")
    for path in map(str, files):  # strings, not Paths: pathlib's overhead is most of the time here
        name = path[len(inside) :] if path.startswith(inside) else os.path.basename(path)
        lines.update(f"{name}\0{_stat(path)}\n".encode())
    return lines.hexdigest()


def problems(planned: Planned, batch_sizes: Mapping[str, int]) -> list[str]:
    """Why the dataset is too small for the metrics or for the experiments' batches (name ->
    batch_size), as far as planning knows its sizes."""
    if planned.counts is None:
        return []
    spec, at_most = get_spec(planned.name), bool(planned.counts.get("at_most"))
    found = [sizes.split_problem(spec, split, planned.counts[split], at_most) for split in ("test", "train")]
    found.append(sizes.batch_problem(spec, planned.counts["train"], batch_sizes, at_most))
    return [problem for problem in found if problem]


def _stat(path: str) -> str:
    """Size and modification time; a dangling link's own, so that fixing it changes the digest."""
    for stat in (os.stat, os.lstat):
        try:
            st = stat(path)
        except OSError:
            continue
        return f"{st.st_size}\0{st.st_mtime_ns}"
    return "gone"


def _read_manifest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _counts_of(manifest: dict | None) -> dict[str, Any] | None:
    counts = (manifest or {}).get("counts")
    return {"train": counts["train"], "test": counts["test"], "at_most": False} if counts else None
