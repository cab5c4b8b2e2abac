"""The README's first command: the whole cycle on a shipped indicator system."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from xlbridge.schema_io import DEFAULT_SYSTEM, load_system
from xlbridge.summary import describe, unit_assignments


def run_demo(system_name: str | None, workspace: Path, echo: Callable[[str], None] = print) -> None:
    system = load_system(system_name or DEFAULT_SYSTEM)
    echo("\n".join(describe(system)))
    echo("")
    echo("\n".join(unit_assignments(system)))
