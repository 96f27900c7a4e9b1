"""Shared fixtures: committed stacks run once per session on the mock engine.

Every run goes through tools.offline.run_program, which gives each run a fresh
event loop, a reset runtime and its own recording monitor, so nothing one run
registers can leak into another.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import offline

STACKS = ("dev", "staging", "prod")
PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def graphs() -> dict[str, offline.Graph]:
    """The graph of every committed stack, computed once."""
    return {stack: offline.run_stack(stack) for stack in STACKS}


def stack_config(stack: str) -> dict[str, Any]:
    """A deep copy of a committed stack file's ``config:`` mapping, to modify."""
    document = yaml.safe_load(offline.stack_file(stack).read_text())
    return copy.deepcopy(document["config"])


def run_config(raw: dict[str, Any], stack: str = "test") -> offline.Graph:
    """Run the program with a stack-file-shaped ``config:`` mapping."""
    config, secret_keys = offline.config_from_mapping(raw)
    return offline.run_program(stack, config, secret_keys)


def execute_config(raw: dict[str, Any], stack: str = "test") -> offline.Outcome:
    """Run the program with a ``config:`` mapping; return graph and error."""
    config, secret_keys = offline.config_from_mapping(raw)
    return offline.execute(stack, config, secret_keys)


def fleet_config(stack: str) -> dict[str, Any]:
    """A committed stack's plain acr-fleet keys without the namespace, as parse_fleet
    takes them (the secret API key is left out)."""
    return {
        key.split(":", 1)[1]: value
        for key, value in stack_config(stack).items()
        if key.startswith("acr-fleet:") and key != "acr-fleet:harnessApiKey"
    }
