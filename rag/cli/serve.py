"""`career-rag ui`: the Streamlit study app.

On POSIX the command replaces itself with the Streamlit server (exec), so the process a
service manager or `kill PID` signals *is* the server: SIGTERM and Ctrl+C stop it, and
nothing is left listening on the port.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from rag.cli.common import IndexOpt, PresetOpt, out, settings_or_exit

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


def streamlit_command(app: Path, index_dir: Path, host: str, port: int, preset: str | None = None) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
        "--", "--index", str(index_dir), *(["--preset", preset] if preset else []),
    ]


def ui_cmd(
    index: Optional[Path] = IndexOpt,
    port: int = typer.Option(8501, "--port"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    preset: Optional[str] = PresetOpt,
):
    """Open the Streamlit study chat."""
    settings = settings_or_exit(preset, index={"dir": index})  # (an unknown preset stops here, before Streamlit)
    cmd = streamlit_command(APP, settings.index.dir, host, port, preset)
    out.print(f"career-rag chat on http://{host}:{port}  (Ctrl+C to stop)")
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, cmd)  # does not return
    import subprocess  # elsewhere: run it as a child and pass its exit status on

    raise typer.Exit(subprocess.call(cmd, env=os.environ.copy()))
