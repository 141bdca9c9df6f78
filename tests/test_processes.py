"""`warroom up` fails to start with a reason, and leaves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

WARROOM = str(Path(sys.executable).parent / "warroom")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_taken_gateway_port_is_an_error_not_a_hang(tmp_path):
    """uvicorn answered a taken port with sys.exit, which escaped the event loop
    and left the worker's tasks running: the process printed the error and hung."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "WARROOM_HTTP_PORT": str(port), "WARROOM_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "WARROOM_TEMPORAL_UI_PORT": str(free_port()), "WARROOM_DATA_DIR": str(tmp_path),
        }
        done = subprocess.run([WARROOM, "up"], env={**os.environ, **env}, capture_output=True, text=True, timeout=90)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"could not listen on 127.0.0.1:{port}" in done.stderr
