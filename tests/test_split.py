"""Splitting a fleet across stacks, as the README's "Splitting a fleet" shows."""

from __future__ import annotations

from typing import Any

from tests.conftest import run_config, stack_config
from tools import offline

REGISTRY = "azure-native:containerregistry:Registry"


def shard(raw: dict[str, Any], keys: set[str], suffix: str) -> dict[str, Any]:
    """The prod config keeping only the subscriptions in ``keys``: the mirror
    stays with its subscription, and each shard's template gets its own identifier."""
    config = dict(raw)
    config["acr-fleet:subscriptions"] = [
        sub for sub in raw["acr-fleet:subscriptions"] if sub["key"] in keys
    ]
    mirror = raw.get("acr-fleet:harnessImageMirror")
    if mirror is not None and mirror["subscription"] not in keys:
        del config["acr-fleet:harnessImageMirror"]
    template = dict(raw["acr-fleet:pipelineTemplate"])
    template["identifier"] = f"{template['identifier']}_{suffix}"
    config["acr-fleet:pipelineTemplate"] = template
    return config


def tail(urn: str) -> str:
    """A URN without its stack: what stays the same when a subscription moves stacks."""
    return urn.split("::", 2)[2]


def harness_identifiers(graph: offline.Graph) -> set[tuple[str, str, str, str]]:
    """(type, org, project, identifier) of every Harness entity the graph creates."""
    found = set()
    for resource in graph.resources:
        if resource.type.startswith("harness:") and resource.custom:
            inputs = resource.plain_inputs()
            found.add(
                (
                    resource.type,
                    inputs.get("orgId", ""),
                    inputs.get("projectId", ""),
                    inputs["identifier"],
                )
            )
    return found


def test_prod_split_by_tenant_registers_the_same_fleet(graphs: dict[str, offline.Graph]) -> None:
    """Two shards of prod register prod's registries, under the same URNs but the stack's."""
    raw = stack_config("prod")
    tenants: dict[str, set[str]] = {}
    for sub in raw["acr-fleet:subscriptions"]:
        tenants.setdefault(sub["tenantId"], set()).add(sub["key"])
    assert len(tenants) == 2, "prod should span two tenants."
    (first, second) = sorted(tenants.values(), key=sorted)
    shards = [
        run_config(shard(raw, first, "a"), stack="prod-a"),
        run_config(shard(raw, second, "b"), stack="prod-b"),
    ]
    prod = graphs["prod"]

    def registry_urns(graph: offline.Graph) -> set[str]:
        return {tail(r.urn) for r in graph.by_type(REGISTRY)}

    assert registry_urns(shards[0]) | registry_urns(shards[1]) == registry_urns(prod), (
        "Between them the shards should register every prod registry, under the same names."
    )
    assert not registry_urns(shards[0]) & registry_urns(shards[1]), (
        "No registry should be in both shards."
    )
    clashes = harness_identifiers(shards[0]) & harness_identifiers(shards[1])
    assert not clashes, f"Two shards sharing Harness scopes must not share identifiers: {clashes}"
