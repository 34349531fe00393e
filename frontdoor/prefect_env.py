"""Prefect's environment for frontdoor: set before prefect is first imported.

Embedded (no PREFECT_API_URL): Prefect's ephemeral API server with its SQLite database under
PREFECT_HOME (./.prefect by default), analytics off, and per-run heartbeats off: in-process runs
cannot crash unseen, and the heartbeat thread costs ~1 s a run (DESIGN.md, measured).
With a Prefect server (PREFECT_API_URL set), Prefect's own settings apply untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def embedded() -> bool:
    return not os.environ.get("PREFECT_API_URL")


def configure(home: Path | None = None) -> None:
    if embedded():
        os.environ.setdefault("PREFECT_HOME", str((home or Path.cwd() / ".prefect").resolve()))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_API_BLOCKS_REGISTER_ON_START", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


@contextmanager
def runtime() -> Iterator[None]:
    """Run flows inside this context (heartbeats off when embedded)."""
    configure()
    if not embedded():
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
