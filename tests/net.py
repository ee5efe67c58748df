"""Loopback helpers for tests that start real servers."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, params: dict, process: subprocess.Popen, seconds: float) -> bool:
    """Whether a GET of url answers 200 before the process exits or the seconds run out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, params=params, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)
