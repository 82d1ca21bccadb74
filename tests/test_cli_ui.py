"""`career-rag ui` under a service manager: SIGTERM to the command stops the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]
CLI = Path(sys.executable).parent / "career-rag"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def streamlit_pids(port: int) -> list[int]:
    """Processes whose command line runs Streamlit on this port."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if b"streamlit" in b" ".join(argv) and str(port).encode() in argv:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_career_rag_ui_stops_streamlit(tmp_path, sig):
    port = free_port()
    proc = subprocess.Popen([str(CLI), "ui", "--port", str(port), "--index", str(tmp_path / "index")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not answers(port):
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the Streamlit server never answered"
            time.sleep(0.2)
        assert streamlit_pids(port), "a Streamlit process serves the port"
        proc.send_signal(sig)
        deadline = time.monotonic() + 10
        while (answers(port) or streamlit_pids(port)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not answers(port), "the port still answers after the signal"
        assert streamlit_pids(port) == [], "a Streamlit process outlived career-rag ui"
        proc.wait(timeout=10)
        assert "career-rag chat on http://127.0.0.1:" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for pid in streamlit_pids(port):  # only the server this test started, found by its port
            os.kill(pid, signal.SIGKILL)
