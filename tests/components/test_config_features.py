"""Configuration of scopes, adopted registries, SKU-gated features, the mirror and
the template: every invalid combination names its key path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import ConfigError, FleetSpec, HarnessSettings, parse_fleet
from components.harness_scope import ACCOUNT, HarnessScope
from tests.components.test_config import problems_of
from tests.conftest import execute_config, fleet_config, stack_config

Mutation = Callable[[dict[str, Any]], None]

PREMIUM_FEATURES: dict[str, tuple[str, Any]] = {
    # feature key: (what the message calls it, a value that uses it)
    "replications": ("geo-replication", [{"location": "northeurope"}]),
    "zoneRedundancy": ("zone redundancy", True),
    "retentionDays": ("a retention policy", 7),
    "publicNetworkAccess": ("closing public network access", False),
    "ipAllowList": ("IP network rules", ["203.0.113.0/24"]),
}


def dev_registry(raw: dict[str, Any], index: int) -> dict[str, Any]:
    """A registry entry of the dev stack's first subscription (0 is Basic, 1 Standard)."""
    return raw["subscriptions"][0]["registries"][index]


@pytest.mark.parametrize("feature", sorted(PREMIUM_FEATURES))
@pytest.mark.parametrize(("index", "sku"), [(0, "Basic"), (1, "Standard")])
def test_premium_feature_on_a_lower_sku_is_rejected(feature: str, index: int, sku: str) -> None:
    """Each Premium-only feature on a Basic or Standard registry fails at its key path."""
    raw = fleet_config("dev")
    what, value = PREMIUM_FEATURES[feature]
    dev_registry(raw, index)[feature] = value
    problems = problems_of(raw)
    path = f"subscriptions[0].registries[{index}].{feature}"
    assert problems.get(path) == f"{what} needs sku 'Premium' (got {sku!r})", problems


@pytest.mark.parametrize("feature", sorted(PREMIUM_FEATURES))
def test_premium_feature_on_premium_is_accepted(feature: str) -> None:
    """Each feature is valid on a Premium registry."""
    raw = fleet_config("dev")
    registry = dev_registry(raw, 1)
    registry["sku"] = "Premium"
    registry[feature] = PREMIUM_FEATURES[feature][1]
    assert isinstance(parse_fleet(raw), FleetSpec)


def premium(raw: dict[str, Any]) -> dict[str, Any]:
    """The dev stack's Standard registry, made Premium."""
    registry = dev_registry(raw, 1)
    registry["sku"] = "Premium"
    return registry


def adopted(raw: dict[str, Any]) -> dict[str, Any]:
    """The dev stack's Standard registry, marked existing."""
    registry = dev_registry(raw, 1)
    registry["existing"] = True
    return registry


ARM_ID = (
    "/subscriptions/{sub}/resourceGroups/rg-acr-dev/providers/"
    "Microsoft.ContainerRegistry/registries/acrfleetdevbase01"
)
DEV_SUB = "00000000-0000-0000-0000-00000000d001"
OTHER_SUB = "00000000-0000-0000-0000-00000000d999"
R1 = "subscriptions[0].registries[1]"

CASES: list[tuple[str, Mutation, str, str]] = [
    (
        "an IP rule with host bits",
        lambda r: premium(r).update(ipAllowList=["10.1.2.3/8"]),
        f"{R1}.ipAllowList[0]",
        "without host bits",
    ),
    (
        "an IPv6 rule",
        lambda r: premium(r).update(ipAllowList=["2001:db8::/32"]),
        f"{R1}.ipAllowList[0]",
        "IPv4",
    ),
    (
        "IP rules with public access closed",
        lambda r: premium(r).update(publicNetworkAccess=False, ipAllowList=["203.0.113.7"]),
        f"{R1}.ipAllowList",
        "no effect while publicNetworkAccess is false",
    ),
    (
        "too many IP rules",
        lambda r: premium(r).update(ipAllowList=[f"10.0.{i // 250}.{i % 250}" for i in range(201)]),
        f"{R1}.ipAllowList",
        "takes 200",
    ),
    (
        "a replica in the home region",
        lambda r: premium(r).update(replications=[{"location": "westeurope"}]),
        f"{R1}.replications[0].location",
        "the registry's own location",
    ),
    (
        "two replicas in one region",
        lambda r: premium(r).update(
            replications=[{"location": "northeurope"}, {"location": "northeurope"}]
        ),
        f"{R1}.replications[1].location",
        "already used at",
    ),
    (
        "a retention over a year",
        lambda r: premium(r).update(retentionDays=400),
        f"{R1}.retentionDays",
        "must be at most 365 (got 400)",
    ),
    (
        "features on an adopted registry",
        lambda r: adopted(r).update(sku="Premium", retentionDays=7),
        f"{R1}.retentionDays",
        "use import: true",
    ),
    (
        "existing and import together",
        lambda r: adopted(r).update(**{"import": True}),
        f"{R1}.import",
        "cannot be combined with existing",
    ),
    (
        "a resource id on a new registry",
        lambda r: dev_registry(r, 1).update(resourceId=ARM_ID.format(sub=DEV_SUB)),
        f"{R1}.resourceId",
        "only used with existing: true or import: true",
    ),
    (
        "a resource id in another subscription",
        lambda r: adopted(r).update(resourceId=ARM_ID.format(sub=OTHER_SUB)),
        f"{R1}.resourceId",
        f"not the entry's subscriptionId {DEV_SUB!r}",
    ),
    (
        "a malformed resource id",
        lambda r: adopted(r).update(resourceId="/subscriptions/x/registries/y"),
        f"{R1}.resourceId",
        "must be an ACR resource id",
    ),
    (
        "an import into a group the stack creates",
        lambda r: dev_registry(r, 1).update(**{"import": True}),
        f"{R1}.import",
        "mark that group existing: true",
    ),
    (
        "a registry without group or id",
        lambda r: dev_registry(r, 1).pop("resourceGroup"),
        f"{R1}.resourceGroup",
        "is required unless resourceId",
    ),
    (
        "a managed registry without sku",
        lambda r: dev_registry(r, 1).pop("sku"),
        f"{R1}.sku",
        "is required unless the registry is adopted",
    ),
    (
        "a subscription scope narrower than the stack's",
        lambda r: r["subscriptions"][0].update(harness={"orgId": "platform", "projectId": "other"}),
        "subscriptions[0].harness",
        "cannot be referenced from project platform/registries_dev",
    ),
    (
        "a subscription scope in another organization",
        lambda r: r["subscriptions"][0].update(harness={"orgId": "elsewhere"}),
        "subscriptions[0].harness",
        "cannot be referenced",
    ),
    (
        "a subscription project without organization",
        lambda r: r["subscriptions"][0].update(harness={"projectId": "p"}),
        "subscriptions[0].harness.projectId",
        "needs subscriptions[0].harness.orgId",
    ),
    (
        "a secret manager in another project",
        lambda r: r["harness"].update(
            secretManager={"identifier": "vault", "orgId": "platform", "projectId": "other"}
        ),
        "harness.secretManager",
        "cannot use this secret manager",
    ),
    (
        "a secret manager project without organization",
        lambda r: r["harness"].update(secretManager={"identifier": "vault", "projectId": "p"}),
        "harness.secretManager.projectId",
        "needs harness.secretManager.orgId",
    ),
    (
        "a secret manager narrower than an account-level subscription",
        lambda r: (
            r["harness"].update(secretManager={"identifier": "vault", "orgId": "platform"}),
            r["subscriptions"][0].update(harness={}),
        ),
        "harness.secretManager",
        "secrets at account cannot use this secret manager",
    ),
    (
        "a mirror in an unknown subscription",
        lambda r: r.update(harnessImageMirror={"subscription": "nope", "registry": "x1234"}),
        "harnessImageMirror.subscription",
        "'nope' is not a subscription key",
    ),
    (
        "a mirror on an unknown registry",
        lambda r: r.update(harnessImageMirror={"subscription": "shared-dev", "registry": "nope"}),
        "harnessImageMirror.registry",
        "'nope' is not a registry key of subscription 'shared-dev'",
    ),
    (
        "a mirror secret in an organization's secret manager",
        lambda r: r.update(
            harnessImageMirror={
                "subscription": "shared-dev",
                "registry": "acrfleetdevapps01",
                "secretManager": {"identifier": "vault", "orgId": "platform"},
            }
        ),
        "harnessImageMirror.secretManager",
        "harnessImage is an account-level connector",
    ),
    (
        "a mirror secret identifier that is another subscription's",
        lambda r: (
            r["subscriptions"].append(
                dict(
                    r["subscriptions"][0],
                    key="shared-dev-mirror",
                    subscriptionId="00000000-0000-0000-0000-00000000d003",
                    registries=[
                        dict(r["subscriptions"][0]["registries"][0], name="acrfleetdevmirror1")
                    ],
                )
            ),
            r.update(
                harnessImageMirror={"subscription": "shared-dev", "registry": "acrfleetdevapps01"}
            ),
        ),
        "harnessImageMirror.subscription",
        "rename one of the keys",
    ),
    (
        "a mirror credential URI that is not Key Vault's",
        lambda r: r.update(
            harnessImageMirror={
                "subscription": "shared-dev",
                "registry": "acrfleetdevapps01",
                "credentialSet": {
                    "usernameSecretUri": "https://example.com/user",
                    "passwordSecretUri": "https://kv-acr.vault.azure.net/secrets/token",
                },
            }
        ),
        "harnessImageMirror.credentialSet.usernameSecretUri",
        "Key Vault secret URI",
    ),
    (
        "a template identifier Harness reserves",
        lambda r: r["pipelineTemplate"].update(identifier="stepGroup"),
        "pipelineTemplate.identifier",
        "reserves",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_invalid_combination_names_its_key_path(mutate: Mutation, path: str, fragment: str) -> None:
    """Each invalid combination is reported at its key path with what would be accepted."""
    raw = fleet_config("dev")
    mutate(raw)
    reported = problems_of(raw).get(path, "")
    assert fragment in reported, f"{path} should be reported mentioning {fragment!r}: {reported!r}"


def test_problems_of_every_kind_are_reported_together() -> None:
    """A SKU problem, a scope problem and a mirror problem fail in one ConfigError."""
    raw = fleet_config("dev")
    dev_registry(raw, 0)["retentionDays"] = 7
    raw["subscriptions"][0]["harness"] = {"orgId": "elsewhere"}
    raw["harnessImageMirror"] = {"subscription": "nope", "registry": "x1234"}
    problems = problems_of(raw)
    assert {
        "subscriptions[0].registries[0].retentionDays",
        "subscriptions[0].harness",
        "harnessImageMirror.subscription",
    } <= set(problems)


def test_disabled_mirror_is_not_checked() -> None:
    """A mirror block with enabled: false is neither checked nor used."""
    raw = fleet_config("dev")
    raw["harnessImageMirror"] = {"enabled": False, "subscription": "nope", "registry": "x1234"}
    fleet = parse_fleet(raw)
    assert all(fleet.mirror_for(sub) is None for sub in fleet.subscriptions)


def test_adopted_registry_needs_no_sku_or_listed_group() -> None:
    """An adopted registry named by resource id needs neither sku nor a listed group."""
    raw = fleet_config("dev")
    raw["subscriptions"][0]["registries"].append(
        {
            "name": "acrfleetdevlegacy",
            "existing": True,
            "resourceId": (
                f"/subscriptions/{DEV_SUB}/resourceGroups/rg-legacy/providers/"
                "Microsoft.ContainerRegistry/registries/acrfleetdevlegacy"
            ),
            "access": "pull",
        }
    )
    registry = parse_fleet(raw).subscriptions[0].registries[-1]
    assert registry.group_name == "rg-legacy"
    assert registry.arm_id(DEV_SUB).endswith("/registries/acrfleetdevlegacy")


@pytest.mark.parametrize(
    ("value", "secret_scope", "expected"),
    [
        ("harnessSecretManager", HarnessScope("a", "p"), "harnessSecretManager"),
        ("vault", HarnessScope("a", "p"), "vault"),
        ({"identifier": "vault"}, HarnessScope("a", "p"), "account.vault"),
        ({"identifier": "vault"}, ACCOUNT, "vault"),
        ({"identifier": "vault", "orgId": "a"}, HarnessScope("a", "p"), "org.vault"),
        ({"identifier": "harnessSecretManager", "orgId": "a"}, ACCOUNT, "harnessSecretManager"),
    ],
)
def test_secret_manager_reference(value: Any, secret_scope: HarnessScope, expected: str) -> None:
    """The string form is at the secret's own scope; the object form at the one it names."""
    settings = HarnessSettings.model_validate({"accountId": "acct", "secretManager": value})
    assert settings.secret_manager.reference(secret_scope) == expected


def test_sku_problem_registers_nothing() -> None:
    """A Premium feature on a Standard registry stops the program before any resource."""
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][0]["registries"][1]["replications"] = [{"location": "eastus"}]
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert "subscriptions[0].registries[1].replications: geo-replication needs sku 'Premium'" in (
        str(outcome.error)
    )
    assert outcome.graph.resources == [], "Bad configuration must register nothing."
