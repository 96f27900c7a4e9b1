"""The bad-input matrix: invalid configurations, each reported at its key path
with what would be accepted, and none registering anything."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.config import ConfigError
from tests.conftest import execute_config, stack_config

Raw = dict[str, Any]


def harness(raw: Raw) -> dict[str, Any]:
    """The harness block."""
    return raw["acr-fleet:harness"]


def sub(raw: Raw, index: int = 0) -> dict[str, Any]:
    """One subscription block."""
    return raw["acr-fleet:subscriptions"][index]


def registry(raw: Raw, index: int = 0) -> dict[str, Any]:
    """One registry of the first subscription."""
    return sub(raw)["registries"][index]


def group(raw: Raw) -> dict[str, Any]:
    """The first subscription's first resource group."""
    return sub(raw)["resourceGroups"][0]


def second_subscription(raw: Raw, **changes: Any) -> dict[str, Any]:
    """Insert a valid second subscription (own id and registry names) at index 1,
    with ``changes``."""
    copied = copy.deepcopy(sub(raw))
    copied.update(key="other-dev", subscriptionId="00000000-0000-0000-0000-00000000d0aa")
    for index, entry in enumerate(copied["registries"]):
        entry["name"] = f"acrfleetdevother0{index}"
    copied.update(changes)
    raw["acr-fleet:subscriptions"].insert(1, copied)
    return copied


Mutation = Callable[[Raw], Any]

ROWS: list[tuple[str, Mutation, str, str]] = [
    # (row id, mutation, key path, fragment of the fix)
    # --- wrong types
    (
        "secret-manager-is-a-list",
        lambda r: harness(r).update(secretManager=["harnessSecretManager"]),
        "harness.secretManager",
        "must be a secret manager identifier like harnessSecretManager, or a mapping with "
        "identifier, orgId and projectId (got ['harnessSecretManager'])",
    ),
    (
        "subscriptions-is-a-string",
        lambda r: r.update({"acr-fleet:subscriptions": "shared-dev"}),
        "subscriptions",
        "must be a list",
    ),
    (
        "harness-is-a-list",
        lambda r: r.update({"acr-fleet:harness": ["FakeAccountDev000000001"]}),
        "harness",
        "must be a mapping",
    ),
    (
        "sku-is-a-number",
        lambda r: registry(r).update(sku=3),
        "subscriptions[0].registries[0].sku",
        "'Basic', 'Standard' or 'Premium'",
    ),
    (
        "docker-connector-is-not-a-boolean",
        lambda r: registry(r).update(dockerConnector="sometimes"),
        "subscriptions[0].registries[0].dockerConnector",
        "must be true or false",
    ),
    (
        "existing-is-not-a-boolean",
        lambda r: group(r).update(existing="maybe"),
        "subscriptions[0].resourceGroups[0].existing",
        "must be true or false",
    ),
    (
        "stack-tags-is-a-list",
        lambda r: r.update({"acr-fleet:tags": ["environment"]}),
        "tags",
        "must be a mapping",
    ),
    (
        "tag-value-is-a-number",
        lambda r: registry(r).update(tags={"costCenter": 5}),
        "subscriptions[0].registries[0].tags.costCenter",
        "must be a string",
    ),
    (
        "tag-named-like-an-index-beside-another-bad-tag",
        lambda r: registry(r).update(tags={"1": 5, "team": 6}),
        "subscriptions[0].registries[0].tags.1",
        "must be a string",
    ),
    (
        "delegate-selectors-is-a-string",
        lambda r: harness(r).update(delegateSelectors="acr-dev-delegate"),
        "harness.delegateSelectors",
        "must be a list",
    ),
    (
        "password-end-date-is-not-a-date",
        lambda r: r["acr-fleet:identity"].update(passwordEndDate="next year"),
        "identity.passwordEndDate",
        "RFC 3339",
    ),
    (
        "protect-registries-is-not-a-boolean",
        lambda r: r.update({"acr-fleet:protectRegistries": "no thanks"}),
        "protectRegistries",
        "must be true or false",
    ),
    # --- missing keys
    (
        "account-id-missing",
        lambda r: harness(r).pop("accountId"),
        "harness.accountId",
        "is required: Harness account id",
    ),
    (
        "tenant-id-missing",
        lambda r: sub(r).pop("tenantId"),
        "subscriptions[0].tenantId",
        "is required: Entra tenant",
    ),
    (
        "registry-resource-group-left-empty",
        lambda r: registry(r).update(resourceGroup=None),
        "subscriptions[0].registries[0].resourceGroup",
        "is required unless resourceId names the group",
    ),
    (
        "registry-resource-group-missing",
        lambda r: registry(r).pop("resourceGroup"),
        "subscriptions[0].registries[0].resourceGroup",
        "is required unless resourceId names the group",
    ),
    (
        "harness-block-missing",
        lambda r: r.pop("acr-fleet:harness"),
        "harness",
        "is required: Harness account",
    ),
    (
        "subscriptions-missing",
        lambda r: r.pop("acr-fleet:subscriptions"),
        "subscriptions",
        "is required: The subscriptions this stack manages",
    ),
    (
        "identity-missing-everywhere",
        lambda r: r.pop("acr-fleet:identity"),
        "subscriptions[0].identity",
        "top-level identity block",
    ),
    # --- bad GUIDs
    (
        "subscription-id-not-a-guid",
        lambda r: sub(r).update(subscriptionId="not-a-guid"),
        "subscriptions[0].subscriptionId",
        "must be a GUID like 00000000-0000-0000-0000-000000000000",
    ),
    (
        "tenant-id-too-short",
        lambda r: sub(r).update(tenantId="1111-1111"),
        "subscriptions[0].tenantId",
        "must be a GUID like",
    ),
    (
        "subscription-id-in-braces",
        lambda r: sub(r).update(subscriptionId="{00000000-0000-0000-0000-00000000d001}"),
        "subscriptions[0].subscriptionId",
        "must be a GUID like",
    ),
    # --- invalid and reserved identifiers
    (
        "org-id-reserved",
        lambda r: harness(r).update(orgId="org"),
        "harness.orgId",
        "is a word Harness reserves",
    ),
    (
        "project-id-starts-with-a-digit",
        lambda r: harness(r).update(projectId="9registries"),
        "harness.projectId",
        "must start with a letter or '_'",
    ),
    (
        "secret-manager-with-hyphens",
        lambda r: harness(r).update(secretManager="my-secret-manager"),
        "harness.secretManager",
        "letters, digits, '_' and '$'",
    ),
    (
        "pipeline-org-reserved",
        lambda r: harness(r).update(pipelineScope={"orgId": "null"}),
        "harness.pipelineScope.orgId",
        "is a word Harness reserves",
    ),
    (
        "subscription-key-starts-with-a-digit",
        lambda r: sub(r).update(key="1shared"),
        "subscriptions[0].key",
        "must start with a letter",
    ),
    (
        "subscription-key-with-a-space",
        lambda r: sub(r).update(key="shared dev"),
        "subscriptions[0].key",
        "only letters, digits, '-' and '_'",
    ),
    (
        "registry-key-too-long",
        lambda r: registry(r).update(key="k" * 41),
        "subscriptions[0].registries[0].key",
        "40 characters at most",
    ),
    # --- collisions after sanitising
    (
        "subscription-keys-collide-as-identifiers",
        lambda r: second_subscription(r, key="shared_dev"),
        "subscriptions[1].key",
        "each must be unique in the stack",
    ),
    (
        "registry-keys-collide-as-identifiers",
        lambda r: (
            registry(r).update(key="apps-1", dockerConnector=True),
            registry(r, 1).update(key="apps_1", dockerConnector=True),
        ),
        "subscriptions[0].registries[1].key",
        "Harness identifier 'acr_shared_dev_apps_1' is already used",
    ),
    (
        "joined-resource-names-collide",
        lambda r: (
            sub(r).update(key="a-b"),
            registry(r).update(key="c"),
            second_subscription(r, key="a"),
            registry(r, 0).update(key="c"),
            sub(r, 1)["registries"][0].update(key="b-c"),
        ),
        "subscriptions[1].registries[0].key",
        "resource name 'a-b-c' is already used",
    ),
    # --- duplicates
    (
        "registry-duplicated-across-subscriptions",
        lambda r: second_subscription(r)["registries"][0].update(name="ACRFLEETDEVAPPS01"),
        "subscriptions[1].registries[0].name",
        "already used at subscriptions[0].registries[0].name",
    ),
    (
        "subscription-id-duplicated",
        lambda r: second_subscription(r, subscriptionId="00000000-0000-0000-0000-00000000D001"),
        "subscriptions[1].subscriptionId",
        "already used at subscriptions[0].subscriptionId",
    ),
    (
        "resource-group-duplicated",
        lambda r: sub(r)["resourceGroups"].append(dict(group(r), name="RG-ACR-DEV")),
        "subscriptions[0].resourceGroups[1].name",
        "each must be unique in the stack",
    ),
    (
        "registry-key-duplicated",
        lambda r: (registry(r).update(key="apps"), registry(r, 1).update(key="Apps")),
        "subscriptions[0].registries[1].key",
        "registry key 'Apps' is already used",
    ),
    # --- ACR names
    (
        "acr-name-with-a-hyphen",
        lambda r: registry(r).update(name="team-acr"),
        "subscriptions[0].registries[0].name",
        "must be 5-50 letters and digits (got a hyphen)",
    ),
    (
        "acr-name-too-short",
        lambda r: registry(r).update(name="acr"),
        "subscriptions[0].registries[0].name",
        "must be 5-50 letters and digits (got 3 characters)",
    ),
    (
        "acr-name-too-long",
        lambda r: registry(r).update(name="a" * 51),
        "subscriptions[0].registries[0].name",
        "must be 5-50 letters and digits (got 51 characters)",
    ),
    (
        "acr-name-with-an-umlaut",
        lambda r: registry(r).update(name="acrÄpps01"),
        "subscriptions[0].registries[0].name",
        "must be 5-50 letters and digits (got the characters 'Ä')",
    ),
    # --- unknown keys
    (
        "registry-key-typo",
        lambda r: registry(r).update(dockerConector=True),
        "subscriptions[0].registries[0].dockerConector",
        "did you mean 'dockerConnector'?",
    ),
    (
        "top-level-key-typo",
        lambda r: r.update({"acr-fleet:subscription": []}),
        "subscription",
        "did you mean 'subscriptions'?",
    ),
    (
        "harness-key-typo",
        lambda r: harness(r).update(acountId="x"),
        "harness.acountId",
        "did you mean 'accountId'?",
    ),
    (
        "resource-groups-wrong-case",
        lambda r: sub(r).update(resourcegroups=sub(r).pop("resourceGroups")),
        "subscriptions[0].resourcegroups",
        "did you mean 'resourceGroups'?",
    ),
    (
        "protect-switch-typo",
        lambda r: r.update({"acr-fleet:protectRegistry": False}),
        "protectRegistry",
        "did you mean 'protectRegistries'?",
    ),
    # --- empty lists
    (
        "no-subscriptions",
        lambda r: r.update({"acr-fleet:subscriptions": []}),
        "subscriptions",
        "must not be empty",
    ),
    (
        "no-registries",
        lambda r: sub(r).update(registries=[]),
        "subscriptions[0].registries",
        "must not be empty",
    ),
    (
        "no-resource-groups",
        lambda r: sub(r).update(resourceGroups=[]),
        "subscriptions[0].resourceGroups",
        "must not be empty",
    ),
    # --- scopes that cannot reference each other
    (
        "pipelines-in-another-org",
        lambda r: harness(r).update(pipelineScope={"orgId": "other"}),
        "harness.pipelineScope",
        "use that scope or one inside it",
    ),
    (
        "pipelines-wider-than-connectors",
        lambda r: harness(r).update(pipelineScope={"orgId": "platform"}),
        "harness.pipelineScope",
        "cannot reference connectors at project platform/registries_dev",
    ),
    (
        "project-without-org",
        lambda r: harness(r).pop("orgId"),
        "harness.projectId",
        "needs harness.orgId",
    ),
    (
        "pipeline-project-without-org",
        lambda r: harness(r).update(pipelineScope={"projectId": "x"}),
        "harness.pipelineScope.projectId",
        "needs harness.pipelineScope.orgId",
    ),
    # --- other values
    (
        "location-with-spaces",
        lambda r: group(r).update(location="West Europe"),
        "subscriptions[0].resourceGroups[0].location",
        "like westeurope or eastus2",
    ),
    (
        "endpoint-not-https",
        lambda r: harness(r).update(endpoint="http://app.harness.io/gateway"),
        "harness.endpoint",
        "must be an https:// URL",
    ),
    (
        "resource-group-not-defined",
        lambda r: registry(r).update(resourceGroup="rg-missing"),
        "subscriptions[0].registries[0].resourceGroup",
        "is not one of this subscription's resourceGroups ('rg-acr-dev')",
    ),
    (
        "password-end-date-beyond-the-year-9999-in-utc",
        lambda r: r["acr-fleet:identity"].update(passwordEndDate="9999-12-31T23:00:00-05:00"),
        "identity.passwordEndDate",
        "before the year 10000 in UTC",
    ),
    (
        "rotation-start-before-the-year-1-in-utc",
        lambda r: r["acr-fleet:identity"].update(
            rotation={"startDate": "0001-01-01T00:00:00+01:00", "periodDays": 30, "epoch": 0}
        ),
        "identity.rotation.startDate",
        "before the year 10000 in UTC",
    ),
    (
        "password-end-date-as-epoch-seconds",
        lambda r: r["acr-fleet:identity"].update(passwordEndDate="0"),
        "identity.passwordEndDate",
        "must be an RFC 3339 date-time string like 2027-06-30T00:00:00Z (got '0')",
    ),
    (
        "password-end-date-without-time-zone",
        lambda r: r["acr-fleet:identity"].update(passwordEndDate="2027-06-30T00:00:00"),
        "identity.passwordEndDate",
        "like 2027-06-30T00:00:00Z",
    ),
    (
        "access-unknown",
        lambda r: registry(r).update(access="admin"),
        "subscriptions[0].registries[0].access",
        "'pull' or 'push'",
    ),
    (
        "delegate-selector-with-spaces",
        lambda r: harness(r).update(delegateSelectors=["bad selector!"]),
        "harness.delegateSelectors[0]",
        "a delegate selector (letters, digits, '-', '_', '.')",
    ),
    (
        "stack-tags-over-the-azure-limit",
        lambda r: r["acr-fleet:tags"].update({f"team{i}": "x" for i in range(47)}),
        "tags",
        "Azure takes at most 50",
    ),
    (
        "registry-tags-over-the-azure-limit-with-the-stack-tags",
        lambda r: registry(r).update(tags={f"team{i}": "x" for i in range(47)}),
        "subscriptions[0].registries[0].tags",
        "Azure takes at most 50",
    ),
    (
        "tag-name-with-angle-bracket",
        lambda r: r["acr-fleet:tags"].update({"<owner>": "me"}),
        "tags",
        "without < > % & \\ ? /",
    ),
    # --- renames
    (
        "previous-key-equals-key",
        lambda r: sub(r).update(previousKey="shared-dev"),
        "subscriptions[0].previousKey",
        "set it to the old key",
    ),
    (
        "previous-key-names-a-live-subscription",
        lambda r: second_subscription(r, previousKey="shared-dev"),
        "subscriptions[1].previousKey",
        "must name a subscription key that is no longer in use",
    ),
    (
        "previous-key-nests-with-another-subscriptions-key",
        lambda r: (
            sub(r).update(key="payments-we", previousKey="payments"),
            second_subscription(r, key="payments-eu"),
        ),
        "subscriptions[1].key",
        "'payments-eu' and 'payments' (at subscriptions[0].previousKey) are one key plus '-'",
    ),
    (
        "previous-registry-key-names-a-live-registry",
        lambda r: registry(r, 1).update(previousKey="acrfleetdevapps01"),
        "subscriptions[0].registries[1].previousKey",
        "must name a registry key that is no longer in use",
    ),
    # --- SKU-gated features, one row per feature
    (
        "geo-replication-on-basic",
        lambda r: registry(r).update(replications=[{"location": "northeurope"}]),
        "subscriptions[0].registries[0].replications",
        "geo-replication needs sku 'Premium' (got 'Basic')",
    ),
    (
        "zone-redundancy-on-standard",
        lambda r: registry(r, 1).update(zoneRedundancy=True),
        "subscriptions[0].registries[1].zoneRedundancy",
        "zone redundancy needs sku 'Premium' (got 'Standard')",
    ),
    (
        "retention-on-basic",
        lambda r: registry(r).update(retentionDays=7),
        "subscriptions[0].registries[0].retentionDays",
        "a retention policy needs sku 'Premium'",
    ),
    (
        "closed-network-on-standard",
        lambda r: registry(r, 1).update(publicNetworkAccess=False),
        "subscriptions[0].registries[1].publicNetworkAccess",
        "needs sku 'Premium'",
    ),
    (
        "ip-rules-on-basic",
        lambda r: registry(r).update(ipAllowList=["203.0.113.0/26"]),
        "subscriptions[0].registries[0].ipAllowList",
        "IP network rules needs sku 'Premium'",
    ),
    # --- identity modes
    (
        "docker-connector-without-a-secret",
        lambda r: sub(r).update(
            identity={"auth": "oidc"},
        ),
        "subscriptions[0].registries[0].dockerConnector",
        "dockerSecret: true",
    ),
    (
        "managed-identity-with-secret-auth",
        lambda r: sub(r, 1)["identity"].update(auth="secret"),
        "subscriptions[1].identity.auth",
        "use 'oidc' or 'delegate'",
    ),
    (
        "oidc-host-with-scheme",
        lambda r: harness(r).update(oidcHost="https://app.harness.io/"),
        "harness.oidcHost",
        "must be a bare lower-case host name like app.harness.io",
    ),
    (
        "oidc-host-with-the-default-port",
        lambda r: harness(r).update(oidcHost="app.harness.io:443"),
        "harness.oidcHost",
        "a port ':443', which Harness' issuer never carries",
    ),
    (
        "oidc-host-with-a-port-out-of-range",
        lambda r: harness(r).update(oidcHost="app.harness.io:99999"),
        "harness.oidcHost",
        "a port ':99999'",
    ),
    # --- rotation dates beyond what a date can hold
    (
        "rotation-ends-beyond-the-year-9999",
        lambda r: r["acr-fleet:identity"].update(
            passwordEndDate="9999-12-31T00:00:00Z",
            rotation={"startDate": "9999-12-01T00:00:00Z", "periodDays": 30, "epoch": 0},
        ),
        "identity.rotation",
        "beyond the year 9999",
    ),
    # --- settings on an adopted registry, which is only looked up
    *[
        (
            f"adopted-registry-with-{key}",
            lambda r, key=key, value=value: registry(r).update({"existing": True, key: value}),
            f"subscriptions[0].registries[0].{key}",
            "applies only to registries this stack manages; remove it, or use import: true",
        )
        for key, value in (
            ("sku", "Basic"),
            ("location", "westeurope"),
            ("tags", {"team": "apps"}),
            ("protect", False),
            ("lock", True),
            ("replications", [{"location": "northeurope"}]),
            ("zoneRedundancy", True),
            ("retentionDays", 7),
            ("publicNetworkAccess", False),
            ("ipAllowList", ["203.0.113.0/26"]),
        )
    ],
    (
        "adopted-registry-in-a-group-the-stack-creates",
        lambda r: sub(r)["registries"].append(
            {
                "name": "acrfleetdevold01",
                "existing": True,
                "resourceGroup": "rg-acr-dev",
                "access": "pull",
            }
        ),
        "subscriptions[0].registries[2].existing",
        "mark that group existing: true, or leave it out of resourceGroups",
    ),
    # --- the pipeline template
    (
        "template-image-empty",
        lambda r: r["acr-fleet:pipelineTemplate"].update(image=""),
        "pipelineTemplate.image",
        "must not be empty",
    ),
    (
        "template-command-blank",
        lambda r: r["acr-fleet:pipelineTemplate"].update(command="  "),
        "pipelineTemplate.command",
        "must not be empty",
    ),
    # --- secret managers
    (
        "built-in-secret-manager-with-a-scope",
        lambda r: harness(r).update(
            secretManager={"identifier": "harnessSecretManager", "orgId": "platform"}
        ),
        "harness.secretManager.orgId",
        "exists at every scope and takes no scope",
    ),
    # --- IP rules
    (
        "ip-allow-list-with-a-duplicate",
        lambda r: registry(r).update(
            sku="Premium", ipAllowList=["198.51.100.17", "203.0.113.0/26", "198.51.100.17/32"]
        ),
        "subscriptions[0].registries[0].ipAllowList[2]",
        "already listed at subscriptions[0].registries[0].ipAllowList[0]",
    ),
    (
        "ip-allow-list-admitting-everyone",
        lambda r: registry(r).update(sku="Premium", ipAllowList=["0.0.0.0/0"]),
        "subscriptions[0].registries[0].ipAllowList[0]",
        "leave publicNetworkAccess true",
    ),
    # --- the harnessImage mirror
    (
        "mirror-on-an-adopted-registry",
        lambda r: (
            sub(r)["registries"].append(
                {
                    "name": "acrfleetdevold01",
                    "existing": True,
                    "resourceGroup": "rg-old",
                    "access": "pull",
                }
            ),
            r.update(
                {
                    "acr-fleet:harnessImageMirror": {
                        "subscription": "shared-dev",
                        "registry": "acrfleetdevold01",
                    }
                }
            ),
        ),
        "harnessImageMirror.registry",
        "use import: true on that registry to manage it",
    ),
    (
        "mirror-on-a-managed-identity",
        lambda r: r.update(
            {
                "acr-fleet:harnessImageMirror": {
                    "subscription": "tools-dev",
                    "registry": "acrfleetdevtools01",
                }
            }
        ),
        "harnessImageMirror.subscription",
        "choose a subscription whose identity issues a client secret",
    ),
    (
        "mirror-credentials-in-another-vault",
        lambda r: r.update(
            {
                "acr-fleet:harnessImageMirror": {
                    "subscription": "shared-dev",
                    "registry": "acrfleetdevapps01",
                    "credentialSet": {
                        "usernameSecretUri": "https://other.vault.azure.net/secrets/u",
                        "passwordSecretUri": "https://KV-ACRFLEET-DEV.vault.azure.net/secrets/p".lower(),
                        "keyVaultResourceId": "/subscriptions/00000000-0000-0000-0000-00000000d001"
                        "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/KV-AcrFleet-Dev",
                    },
                }
            }
        ),
        "harnessImageMirror.credentialSet.usernameSecretUri",
        "names vault host 'other.vault.azure.net'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "fix"),
    [pytest.param(mutate, path, fix, id=row) for row, mutate, path, fix in ROWS],
)
def test_bad_input_is_refused_at_its_key_path(mutate: Mutation, path: str, fix: str) -> None:
    """Invalid configuration registers nothing and names its key path and the fix."""
    raw = stack_config("dev")
    mutate(raw)
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert outcome.graph.resources == [], "Invalid configuration must register nothing."
    problems = dict.fromkeys(p for p, _ in outcome.error.problems)
    messages = [m for p, m in outcome.error.problems if p == path]
    assert messages, f"{path} should be reported; the problems were at {list(problems)}."
    assert any(fix in m for m in messages), f"{path} should say {fix!r}; it says {messages}."
    assert f"  - {path}: " in str(outcome.error), "The message must name the key path."


def test_the_matrix_has_at_least_forty_rows() -> None:
    """The bad-input table keeps at least forty distinct invalid configurations."""
    assert len({row for row, *_ in ROWS}) >= 40
