"""Dropping azure-native's API-version aliases, and only those."""

from __future__ import annotations

import pulumi
import pytest

from components import provider_aliases
from tests.conftest import STACKS
from tools import offline

VERSIONED = "azure-native:containerregistry/v20230701:Registry"


def api_version_aliases(graph: offline.Graph) -> list[tuple[str, str]]:
    """(resource URN, alias URN) for every alias whose type is an API-version token."""
    return [
        (resource.urn, alias)
        for resource in graph.resources
        for alias in resource.aliases
        if provider_aliases.API_VERSION_TOKEN.match(alias.split("::")[2].split("$")[-1])
    ]


@pytest.mark.parametrize(
    "alias",
    [
        pulumi.Alias(type_=VERSIONED),
        pulumi.Alias(type_="azure-native:authorization/v20220401:RoleAssignment"),
        pulumi.Alias(type_="azure-native:containerregistry/v20191201preview:Registry"),
    ],
)
def test_type_only_alias_to_a_versioned_token_is_dropped(alias: pulumi.Alias) -> None:
    """An alias that only names a versioned azure-native type is an API-version alias."""
    assert provider_aliases.is_api_version_alias(alias)


@pytest.mark.parametrize(
    "alias",
    [
        pulumi.Alias(name="old-name"),
        pulumi.Alias(type_=VERSIONED, name="old-name"),
        pulumi.Alias(type_=VERSIONED, parent="urn:pulumi:dev::acr-fleet::x:y:Z::old"),
        pulumi.Alias(type_=VERSIONED, stack="other"),
        pulumi.Alias(type_=VERSIONED, project="other"),
        pulumi.Alias(type_="azure-native:containerregistry:Registry"),
        pulumi.Alias(type_="azure-native:containerregistry/v1:Registry"),
        pulumi.Alias(type_="harness:platform/v20230701:DockerConnector"),
        f"urn:pulumi:dev::acr-fleet::{VERSIONED}::acr",
    ],
    ids=[
        "rename",
        "versioned-type-and-rename",
        "versioned-type-and-parent",
        "versioned-type-and-stack",
        "versioned-type-and-project",
        "unversioned-type",
        "not-a-dated-version",
        "other-package",
        "urn-string",
    ],
)
def test_every_other_alias_is_kept(alias: object) -> None:
    """Renames, moves, unversioned types and literal URNs are not API-version aliases."""
    assert not provider_aliases.is_api_version_alias(alias)


def test_transformation_keeps_other_aliases_and_leaves_the_caller_options_alone() -> None:
    """The transformation returns a copy of the options holding only the kept aliases."""
    rename = pulumi.Alias(name="old-name")
    opts = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=VERSIONED), rename])
    args = pulumi.ResourceTransformationArgs(
        resource=None,  # type: ignore[arg-type]
        type_="azure-native:containerregistry:Registry",
        name="acr",
        props={"registryName": "acr"},
        opts=opts,
    )
    result = provider_aliases.without_api_version_aliases(args)
    assert result is not None, "An API-version alias should be removed."
    assert result.opts.aliases == [rename], "Only the rename alias should remain."
    assert result.props == {"registryName": "acr"}, "Properties should pass through unchanged."
    assert len(opts.aliases or []) == 2, "The caller's options should not be changed."


def test_transformation_without_api_version_aliases_changes_nothing() -> None:
    """Options with no API-version alias come back as no change at all."""
    opts = pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old-name")])
    args = pulumi.ResourceTransformationArgs(
        resource=None,  # type: ignore[arg-type]
        type_="azure-native:containerregistry:Registry",
        name="acr",
        props={},
        opts=opts,
    )
    assert provider_aliases.without_api_version_aliases(args) is None


@pytest.mark.parametrize("stack", STACKS)
def test_no_registration_carries_an_api_version_alias(
    graphs: dict[str, offline.Graph], stack: str
) -> None:
    """No resource of a committed stack reaches the engine with an API-version alias."""
    azure = [r for r in graphs[stack].resources if r.type.startswith("azure-native:")]
    assert any(r.type.endswith(":Registry") for r in azure), f"{stack} should have registries."
    versioned = api_version_aliases(graphs[stack])
    assert versioned == [], f"These aliases should have been dropped: {versioned[:3]}"
