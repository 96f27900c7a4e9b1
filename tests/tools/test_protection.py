"""`python -m tools.protection`: a stack checked against a previous preview document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_config, stack_config
from tools import protection


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    """Save a preview document as the previous state."""
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(document))
    return path


def test_unchanged_stack_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A stack compared with its own document deletes nothing and exits 0."""
    previous = run_config(stack_config("dev"), stack="dev").to_document()
    assert protection.main([str(write(tmp_path, previous)), "dev"]) == 0
    assert capsys.readouterr().err == ""


def test_removed_registry_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A previous document with one more protected registry exits 1 with the engine's error."""
    raw = stack_config("dev")
    extra = dict(raw["acr-fleet:subscriptions"][0]["registries"][1], name="acrfleetdevold01")
    raw["acr-fleet:subscriptions"][0]["registries"].append(extra)
    previous = run_config(raw, stack="dev").to_document()
    assert protection.main([str(write(tmp_path, previous)), "dev"]) == 1
    err = capsys.readouterr().err
    assert (
        'Registry::shared-dev-acrfleetdevold01" cannot be deleted\nbecause it is protected' in err
    )
