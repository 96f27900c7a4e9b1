"""Default providers are off in every stack, and no registration relies on one."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import STACKS
from tools import offline
from tools.offline import Graph

PACKAGES = {"azure-native", "azuread", "harness"}


def disabled_packages(stack: str) -> set[str]:
    """The packages a stack file disables default providers for."""
    config = yaml.safe_load(offline.stack_file(stack).read_text())["config"]
    return set(config.get("pulumi:disable-default-providers") or [])


@pytest.mark.parametrize("stack", STACKS)
def test_stack_file_disables_default_providers(stack: str) -> None:
    """Each stack file disables the default azure-native, azuread and harness providers."""
    disabled = disabled_packages(stack)
    assert "*" in disabled or disabled >= PACKAGES, (
        f"stacks/Pulumi.{stack}.yaml must list {sorted(PACKAGES - disabled)} under "
        "pulumi:disable-default-providers."
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_package_in_use_has_its_default_provider_disabled(
    graphs: dict[str, Graph], stack: str
) -> None:
    """Every package the stack registers resources of is one whose default is disabled."""
    used = {r.type.split(":", 1)[0] for r in graphs[stack].resources if r.custom}
    used -= {"pulumi"}
    disabled = disabled_packages(stack)
    assert "*" in disabled or used <= disabled, (
        f"The {stack} stack uses {sorted(used - disabled)} with its default provider enabled."
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_names_an_explicit_provider_of_its_package(
    graphs: dict[str, Graph], stack: str
) -> None:
    """Each custom resource's provider is a provider the program registered, of its package."""
    graph = graphs[stack]
    providers = {r.urn: r for r in graph.resources if r.type.startswith("pulumi:providers:")}
    for registration in graph.resources:
        if not registration.custom or registration.type.startswith("pulumi:providers:"):
            continue
        urn = registration.provider.rsplit("::", 1)[0]
        assert urn in providers, f"{registration.urn} uses a provider the program did not create."
        package = registration.type.split(":", 1)[0]
        assert providers[urn].type == f"pulumi:providers:{package}", (
            f"{registration.urn} uses a {providers[urn].type} provider."
        )
        assert not providers[urn].name.startswith("default"), (
            f"{registration.urn} uses a default provider."
        )
