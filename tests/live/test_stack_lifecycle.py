"""Live: a throwaway stack goes up, previews clean, and is destroyed (opt-in)."""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from tests.conftest import PROJECT_DIR
from tests.live import requirements

pytestmark = pytest.mark.live

PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt", "components")


@pytest.fixture
def run_id() -> str:
    """A short id that names every resource of one run."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def project(tmp_path: Path, run_id: str) -> Path:
    """A copy of the program with one throwaway stack file, so nothing the run
    writes (stack files, salts) lands in the repository."""
    reason = requirements.skip_reason(os.environ, shutil.which)
    if reason:
        pytest.skip(reason)
    target = tmp_path / "project"
    target.mkdir()
    for name in PROJECT_FILES:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    # Pulumi.yaml names .venv: the environment running these tests.
    (target / ".venv").symlink_to(Path(sys.prefix))
    (target / "stacks").mkdir()
    config = requirements.throwaway_config(run_id, os.environ, datetime.date.today())
    (target / "stacks" / f"Pulumi.live-{run_id}.yaml").write_text(
        yaml.safe_dump({"config": config}, sort_keys=False)
    )
    return target


@pytest.fixture
def stack(project: Path, run_id: str, tmp_path: Path) -> Iterator[auto.Stack]:
    """The throwaway stack on a file backend in a temporary folder; destroyed and
    removed afterwards whatever happened."""
    state = tmp_path / "state"
    state.mkdir()
    workspace = auto.LocalWorkspaceOptions(
        env_vars={
            "PULUMI_BACKEND_URL": state.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
        }
    )
    created = auto.create_or_select_stack(
        stack_name=f"live-{run_id}", work_dir=str(project), opts=workspace
    )
    try:
        yield created
    finally:
        created.destroy(on_output=print)
        created.workspace.remove_stack(f"live-{run_id}")


def test_up_then_preview_shows_no_changes(stack: auto.Stack, run_id: str) -> None:
    """`up` creates the fleet, a second preview finds nothing to change, `destroy` empties it."""
    up = stack.up(on_output=print)
    assert up.summary.result == "succeeded", "The throwaway stack should come up."
    outputs = up.outputs["subscriptions"].value[f"live{run_id}"]
    assert outputs["registries"], "The stack should export its registry."

    # FAULTS 5: any diff here is perpetual drift the program would show on every run.
    preview = stack.preview(expect_no_changes=True, on_output=print)
    changes = {op: n for op, n in preview.change_summary.items() if op != auto.OpType.SAME}
    assert not changes, f"A second preview should change nothing (got {changes})."

    destroyed = stack.destroy(on_output=print)
    assert destroyed.summary.result == "succeeded", "The throwaway stack should be destroyed."
