"""Stable identities: golden URNs, changes that must keep every URN, renames
through previousKey aliases, and protected registries that removal cannot delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import STACKS, run_config, stack_config
from tools import golden, protection
from tools.offline import Graph

REGISTRY = "azure-native:containerregistry:Registry"
LOCK = "azure-native:authorization:ManagementLockByScope"


def document(raw: dict[str, Any]) -> dict[str, Any]:
    """The preview document of a stack-file-shaped config."""
    return run_config(raw, stack="staging").to_document()


def urns(doc: dict[str, Any]) -> set[str]:
    """Every URN of a preview document."""
    return {r["urn"] for r in doc["resources"]}


def subscriptions(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The subscriptions list of a stack config, to modify in place."""
    return raw["acr-fleet:subscriptions"]


@pytest.fixture(scope="module")
def staging() -> dict[str, Any]:
    """The staging stack's document, as the state a change is compared with."""
    return document(stack_config("staging"))


@pytest.mark.parametrize("stack", STACKS)
def test_urns_match_the_golden_file(graphs: dict[str, Graph], stack: str) -> None:
    """A stack's URNs are exactly those of its golden file."""
    expected = golden.golden_path(stack).read_text().splitlines()
    actual = golden.urn_lines(graphs[stack]).splitlines()
    added = sorted(set(actual) - set(expected))
    removed = sorted(set(expected) - set(actual))
    assert actual == expected, (
        f"The {stack} stack's URNs changed; a changed URN replaces a real resource unless an "
        f"alias keeps it.\nnew: {added}\ngone: {removed}\nIf the change is intended, run "
        "`make golden` and commit tests/golden with it."
    )


def test_every_stack_has_a_golden_file() -> None:
    """Each stack file has a golden URN file and each golden file a stack."""
    files = sorted(p.name.removesuffix(".urns.txt") for p in golden.GOLDEN_DIR.glob("*.urns.txt"))
    assert files == golden.stacks(), "Run `make golden` to write the missing golden files."


def _registry(raw: dict[str, Any]) -> dict[str, Any]:
    return subscriptions(raw)[0]["registries"][0]


ATTRIBUTE_CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "sku": lambda raw: _registry(raw).update(sku="Premium"),
    "registry tags": lambda raw: _registry(raw).update(tags={"owner": "someone-else"}),
    "stack tags": lambda raw: raw["acr-fleet:tags"].update(environment="renamed"),
    "access": lambda raw: _registry(raw).update(access="pull"),
    "display name": lambda raw: subscriptions(raw)[0].update(displayName="Shared renamed"),
    "password end date": lambda raw: raw["acr-fleet:identity"].update(
        passwordEndDate="2027-01-01T00:00:00Z"
    ),
}


@pytest.mark.parametrize("change", sorted(ATTRIBUTE_CHANGES))
def test_attribute_change_keeps_every_urn(staging: dict[str, Any], change: str) -> None:
    """Changing a registry's SKU, tags or access, or a display name, changes no URN."""
    raw = stack_config("staging")
    ATTRIBUTE_CHANGES[change](raw)
    changed = document(raw)
    assert changed["resources"] != staging["resources"], f"The {change} change should show."
    assert urns(changed) == urns(staging), f"Changing the {change} must not change any URN."


def test_reordering_keeps_every_urn(staging: dict[str, Any]) -> None:
    """Reordering subscriptions, resource groups and registries changes no URN."""
    raw = stack_config("staging")
    raw["acr-fleet:subscriptions"] = list(reversed(subscriptions(raw)))
    for sub in subscriptions(raw):
        sub["registries"].reverse()
        sub["resourceGroups"].reverse()
    assert urns(document(raw)) == urns(staging), "Reordering config must not change any URN."


def rename_subscription(raw: dict[str, Any]) -> None:
    """Rename the first subscription's key, keeping its history with previousKey."""
    subscriptions(raw)[0].update(key="platform-staging", previousKey="shared-staging")


def rename_registry(raw: dict[str, Any]) -> None:
    """Give the first registry an explicit key, keeping its history with previousKey."""
    _registry(raw).update(key="apps", previousKey="acrfleetstgapps01")


RENAMES: dict[str, list[Callable[[dict[str, Any]], None]]] = {
    "subscription": [rename_subscription],
    "registry": [rename_registry],
    "subscription and registry": [rename_subscription, rename_registry],
}


@pytest.mark.parametrize("renamed", sorted(RENAMES))
def test_rename_with_previous_key_keeps_every_resource(
    staging: dict[str, Any], renamed: str
) -> None:
    """A key renamed with previousKey aliases every old URN, children included."""
    raw = stack_config("staging")
    for rename in RENAMES[renamed]:
        rename(raw)
    after = document(raw)
    assert urns(after) != urns(staging), "The rename should give new URNs."
    lost = [r["urn"] for r in protection.deleted(staging, after)]
    assert lost == [], f"Every old URN must be an alias of a new resource; these are not: {lost}"


def test_case_only_rename_with_previous_key_is_accepted(staging: dict[str, Any]) -> None:
    """A key whose case alone changes is a new URN too, and previousKey keeps it."""
    raw = stack_config("staging")
    subscriptions(raw)[0].update(key="Shared-staging", previousKey="shared-staging")
    lost = [r["urn"] for r in protection.deleted(staging, document(raw))]
    assert lost == [], f"Every old URN must be an alias of a new resource; these are not: {lost}"


def test_rename_without_previous_key_replaces_and_is_refused(staging: dict[str, Any]) -> None:
    """A key renamed without previousKey is a replacement, refused for protected registries."""
    raw = stack_config("staging")
    subscriptions(raw)[0]["key"] = "platform-staging"
    renamed = document(raw)
    lost = protection.deleted(staging, renamed)
    assert lost, (
        "Renaming a key without previousKey changes URNs, so the old resources must show as "
        "deleted (and new ones created): the rename is a replacement."
    )
    errors = protection.protection_errors(staging, renamed)
    registries = [r["urn"] for r in lost if r["type"] == REGISTRY]
    assert errors == [protection.delete_protected_error(urn) for urn in registries], (
        "The replacement must be refused for every protected registry of the renamed key."
    )


def test_removing_a_protected_registry_fails_with_the_engine_error(
    staging: dict[str, Any],
) -> None:
    """Removing a registry from config reports Pulumi's protection error instead of a delete."""
    raw = stack_config("staging")
    removed = subscriptions(raw)[0]["registries"].pop(1)
    errors = protection.protection_errors(staging, document(raw))
    assert len(errors) == 1, f"Exactly the removed registry should be refused, got {errors}."
    assert f'::{subscriptions(raw)[0]["key"]}-{removed["name"]}" cannot be deleted\n' in errors[0]
    assert "because it is protected" in errors[0]
    assert "`pulumi state unprotect '" in errors[0], "The error should say how to unprotect."


def test_unprotected_registry_is_removed_without_error() -> None:
    """With protect: false on a registry its removal is a plain delete."""
    raw = stack_config("staging")
    subscriptions(raw)[0]["registries"][1]["protect"] = False
    before = document(raw)
    subscriptions(raw)[0]["registries"].pop(1)
    after = document(raw)
    assert protection.deleted(before, after), "The registry's resources should be deleted."
    assert protection.protection_errors(before, after) == []


@pytest.mark.parametrize("stack", STACKS)
def test_registries_are_protected_by_default(graphs: dict[str, Graph], stack: str) -> None:
    """Every registry of a committed stack is protected, and nothing else is."""
    protected = {r.type for r in graphs[stack].resources if r.protect}
    assert protected == {REGISTRY}, f"Only registries should be protected, got {protected}."
    assert all(r.protect for r in graphs[stack].by_type(REGISTRY))


def test_protect_registries_switch_turns_protection_off() -> None:
    """acr-fleet:protectRegistries: false leaves a throwaway stack's registries unprotected."""
    raw = stack_config("dev")
    raw["acr-fleet:protectRegistries"] = False
    graph = run_config(raw)
    assert not any(r.protect for r in graph.by_type(REGISTRY))


def test_prod_registries_carry_a_can_not_delete_lock(graphs: dict[str, Graph]) -> None:
    """Each prod registry has a CanNotDelete lock scoped to it; dev has none."""
    graph = graphs["prod"]
    registries = graph.by_type(REGISTRY)
    locks = graph.by_type(LOCK)
    assert sorted(lock.inputs["scope"] for lock in locks) == sorted(r.id for r in registries)
    for lock in locks:
        assert lock.inputs["level"] == "CanNotDelete"
        assert not lock.protect, "The lock stays removable: removing it starts a decommission."
    assert graphs["dev"].by_type(LOCK) == [], "Only stacks that ask get locks."


def test_registry_lock_false_overrides_the_stack() -> None:
    """A registry's lock: false removes its lock in a stack that locks registries."""
    raw = stack_config("prod")
    subscriptions(raw)[0]["registries"][0]["lock"] = False
    graph = run_config(raw, stack="prod")
    assert len(graph.by_type(LOCK)) == len(graph.by_type(REGISTRY)) - 1
