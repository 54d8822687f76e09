import contextlib
import http.server
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
BIN = Path(sys.executable).parent


def summary_row(model: str, architecture: str, seed: int = 0, **values) -> dict:
    """A row as ``runs.summary_rows`` makes it, of a completed mnist-5k run unless ``values`` say
    otherwise; only the keys a test reads."""
    cell = {"experiment": f"{model}-{architecture}-s{seed}", "dataset": "mnist-5k", "model": model}
    return {**cell, "architecture": architecture, "seed": seed, "status": "completed", **values}


# A grid small enough to run end to end in CI: every rule and model; the GAN is made to diverge
# (a huge learning rate), so that every run also shows a diverged experiment going through.
TINY = {
    "datasets": ["mnist-5k"],
    "models": ["dcgan", "wgan", "wgan-gp"],
    "architectures": ["conv"],
    "seeds": [0],
    "training": {
        "generator_iterations": 20,
        "batch_size": 32,
        "z_dim": 8,
        "snapshot_every": 5,
        "checkpoint_every": 10,
        "log_every": 10,
    },
    "model_settings": {"wgan": {"critic_burst": {"iterations": 10, "first": 2, "every": 500}}},
    "architecture_definitions": {
        "conv": {"generator": {"type": "conv", "width": 4}, "critic": {"type": "conv", "width": 4}},
    },
    "overrides": {"dcgan-conv-s0": {"optimizer": "rmsprop", "rho": 0.9, "learning_rate": 1.0e10}},
    "evaluation": {
        "final_samples": 200,
        "snapshot_samples": 100,
        "kid_subsets": 5,
        "kid_subset_size": 50,
        "classifier_epochs": 1,
    },
}


def snakemake(*args, cwd=ROOT, check=True):
    run = subprocess.run([str(BIN / "snakemake"), *args], cwd=cwd, capture_output=True, text=True)
    if check:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def copy_workflow(target: Path, config: dict | None = None) -> Path:
    """The workflow (with its default profile) in a scratch folder, optionally with its own config."""
    for name in ("workflow", "envs", "profiles", "config"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target / name)
    if config is not None:
        (target / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return target


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The tiny grid, run once through Snakemake for every test that needs finished results."""
    root = copy_workflow(tmp_path_factory.mktemp("tiny"), TINY)
    snakemake("--cores", "2", cwd=root)
    return root


class Mirror(http.server.BaseHTTPRequestHandler):
    """A mirror on loopback: serves ``routes`` (path -> bytes), with byte ranges (``Range:
    bytes=N-``: 206 and its Content-Range, 416 past the end) as web servers send them. Paths under
    /norange/ ignore ranges (200, the whole file); under /short/ they send half of what
    Content-Length promises; under /stall/ they send nothing until ``release`` is set. ``cut[path]
    = n`` breaks the next response on ``path`` off after n bytes (the connection closes);
    ``served[path]`` counts the bytes of files sent."""

    routes: dict[str, bytes] = {}
    cut: dict[str, int] = {}
    served: dict[str, int] = {}
    release: threading.Event

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith("/stall/"):
            self.release.wait(10)  # holds the connection open, sends nothing
            return
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404, "File not found")
            return
        asked = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        start = int(asked.group(1)) if asked and not self.path.startswith("/norange/") else 0
        if start >= len(body) > 0:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        part = body[start:]
        if self.path in self.cut:
            part = part[: self.cut.pop(self.path)]
        elif self.path.startswith("/short/"):
            part = part[: len(part) // 2]
        self.wfile.write(part)
        self.served[self.path] = self.served.get(self.path, 0) + len(part)

    def log_message(self, *args: object) -> None:  # keep pytest output quiet
        pass


@contextlib.contextmanager
def mirror(routes: dict[str, bytes]) -> Iterator[tuple[str, type[Mirror]]]:
    """A loopback Mirror of ``routes`` for the block: its base URL and its handler class (for
    ``cut`` and ``served``)."""
    handler = type(
        "LoopbackMirror", (Mirror,), {"routes": routes, "cut": {}, "served": {}, "release": threading.Event()}
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        handler.release.set()
        httpd.shutdown()
        httpd.server_close()
