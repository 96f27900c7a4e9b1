"""`python -m tools.protection`: a stack checked against a previous preview document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_config, stack_config
from tools import diff, protection


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


def test_replaced_registry_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new ACR name under a kept key replaces a protected registry: exit 1 with the
    engine's replace error, naming the input that forces it."""
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][0]["registries"][0].update(
        key="acrfleetdevapps01", name="acrfleetdevapps00"
    )
    previous = run_config(raw, stack="dev").to_document()
    assert protection.main([str(write(tmp_path, previous)), "dev"]) == 1
    err = capsys.readouterr().err
    assert (
        'unable to replace resource "urn:pulumi:dev::acr-fleet::acrfleet:fleet:'
        "SubscriptionRegistries$acrfleet:registry:ContainerRegistry$azure-native:"
        'containerregistry:Registry::shared-dev-acrfleetdevapps01"\n'
        "as it is currently marked for protection" in err
    )
    assert "(replaced because registryName changed)" in err
    assert "cannot be deleted" not in err, "The registry keeps its URN: it is not deleted."


def test_unprotected_replacement_passes() -> None:
    """The engine allows unprotecting and replacing in one update: no error then."""
    old = {"urn": "u", "type": diff.REGISTRY, "name": "n", "protect": True}
    previous = {"resources": [{**old, "inputs": {"registryName": "acr01"}}]}
    current = {"resources": [{**old, "protect": False, "inputs": {"registryName": "acr02"}}]}
    assert protection.protection_errors(previous, current) == []
    current["resources"][0]["protect"] = True
    assert len(protection.protection_errors(previous, current)) == 1


def test_aliased_resources_are_neither_deleted_nor_replaced() -> None:
    """A resource found under one of its aliases is the same resource, updated in place."""
    raw = stack_config("dev")
    previous = run_config(raw, stack="dev").to_document()
    raw["acr-fleet:subscriptions"][0].update(key="platform-dev", previousKey="shared-dev")
    current = run_config(raw, stack="dev").to_document()
    assert protection.deleted(previous, current) == []
    assert protection.replaced(previous, current) == []


@pytest.mark.parametrize(
    "text", ['{"resources": [{"urn": "x"}]}', '{"resources": {}}', "", "{not json"]
)
def test_malformed_previous_document_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """An old or malformed previous document exits 2 with one line, no traceback."""
    path = tmp_path / "previous.json"
    path.write_text(text)
    assert protection.main([str(path), "dev"]) == protection.INVALID_DOCUMENT
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot read {path}: ")
    assert err.count("\n") == 1, f"One message, one line (got {err!r})."
