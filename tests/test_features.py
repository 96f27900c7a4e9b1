"""Issue 4 features on the mock engine: Harness scopes, adopted and imported
registries, SKU-gated features and the harnessImage mirror, asserted on the graph."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import naming, roles
from components.config import ConfigError
from tests.conftest import execute_config, run_config, stack_config
from tools import preview
from tools.offline import Graph, Registration

REGISTRY = "azure-native:containerregistry:Registry"
GROUP = "azure-native:resources:ResourceGroup"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
SECRET = "harness:platform/secretText:SecretText"
AZURE_CONNECTOR = "harness:platform/azureCloudProviderConnector:AzureCloudProviderConnector"
DOCKER_CONNECTOR = "harness:platform/dockerConnector:DockerConnector"
CACHE_RULE = "azure-native:containerregistry:CacheRule"
CREDENTIAL_SET = "azure-native:containerregistry:CredentialSet"
GET_REGISTRY = "azure-native:containerregistry:getRegistry"


def named(graph: Graph, type_token: str, name: str) -> Registration:
    """The one registration of a type with this Pulumi name."""
    (registration,) = [r for r in graph.by_type(type_token) if r.name == name]
    return registration


def by_identifier(graph: Graph, type_token: str, identifier: str) -> Registration:
    """The one Harness registration of a type with this identifier."""
    (registration,) = [r for r in graph.by_type(type_token) if r.inputs["identifier"] == identifier]
    return registration


# --- scopes -------------------------------------------------------------------------


def test_prod_secrets_name_the_account_secret_manager() -> None:
    """Project- and org-scoped secrets reference the account's secret manager as
    account.<id>; the account-level mirror secret names it bare."""
    # acquired-prod signs in with OIDC alone in the committed file; with a client
    # secret, its org-scoped secret shows the org-to-account reference too.
    raw = stack_config("prod")
    raw["acr-fleet:subscriptions"][2]["identity"] = {
        "auth": "secret",
        "passwordEndDate": "2027-01-31T00:00:00Z",
    }
    graph = run_config(raw, stack="prod")
    expected = {
        naming.client_secret_identifier("shared-prod"): ("platform", "registries_prod"),
        naming.client_secret_identifier("payments-prod"): ("platform", "registries_prod"),
        naming.client_secret_identifier("acquired-prod"): ("platform", None),
    }
    for identifier, (org, project) in expected.items():
        secret = by_identifier(graph, SECRET, identifier)
        assert (secret.inputs.get("orgId"), secret.inputs.get("projectId")) == (org, project)
        assert secret.inputs["secretManagerIdentifier"] == "account.acrFleetVault", (
            f"{identifier} below the account must prefix the account's secret manager."
        )
    mirror = by_identifier(graph, SECRET, naming.mirror_secret_identifier("shared-prod"))
    assert "orgId" not in mirror.inputs
    assert "projectId" not in mirror.inputs
    assert mirror.inputs["secretManagerIdentifier"] == "acrFleetVault"


def test_prod_connectors_live_at_their_subscriptions_scope(graphs: dict[str, Graph]) -> None:
    """Connectors sit in the project, or in the org for the subscription that says
    so, and reference their same-scope secret without a prefix."""
    graph = graphs["prod"]
    for connector in graph.by_type(AZURE_CONNECTOR):
        scope = (connector.inputs.get("orgId"), connector.inputs.get("projectId"))
        if connector.inputs["identifier"] == naming.azure_connector_identifier("acquired-prod"):
            assert scope == ("platform", None)
        else:
            assert scope == ("platform", "registries_prod")
        if connector.inputs["credentials"]["type"] != "ManualConfig":
            continue  # OIDC and delegate connectors reference no secret
        secret_ref = connector.inputs["credentials"]["azureManualDetails"]["auth"]
        assert not secret_ref["azureClientSecretKey"]["secretRef"].startswith(("org.", "account."))


def test_prod_outputs_reference_connectors_from_the_project(graphs: dict[str, Graph]) -> None:
    """Output references carry org. for the org-scoped connector and no prefix for
    project-scoped ones."""
    outputs = graphs["prod"].outputs["subscriptions"]
    assert outputs["acquired-prod"]["azureConnectorRef"] == "org.azure_acquired_prod"
    assert outputs["shared-prod"]["azureConnectorRef"] == "azure_shared_prod"
    assert outputs["payments-prod"]["dockerConnectorRefs"] == {
        "payments": "acr_payments_prod_payments",
        "payments-legacy": "acr_payments_prod_payments_legacy",
    }


def test_account_scoped_subscription_uses_account_prefix() -> None:
    """A subscription moved to the account is referenced as account.<id> from the project."""
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][0]["harness"] = {}
    graph = run_config(raw)
    connector = by_identifier(graph, AZURE_CONNECTOR, "azure_shared_dev")
    assert "orgId" not in connector.inputs
    outputs = graph.outputs["subscriptions"]["shared-dev"]
    assert outputs["azureConnectorRef"] == "account.azure_shared_dev"
    assert outputs["dockerConnectorRefs"] == {
        "acrfleetdevapps01": "account.acr_shared_dev_acrfleetdevapps01"
    }


# --- adopted and imported registries ----------------------------------------------------


def test_adopted_registry_is_looked_up_not_created(graphs: dict[str, Graph]) -> None:
    """The adopted prod registry has no Registry or ResourceGroup resource, is looked
    up through its subscription's provider, and still gets a role and a connector."""
    graph = graphs["prod"]
    names = {r.inputs["registryName"] for r in graph.by_type(REGISTRY)}
    assert "acrfleetprdpaylegacy" not in names
    groups = {r.inputs["resourceGroupName"] for r in graph.by_type(GROUP)}
    assert "rg-payments-legacy" not in groups
    (lookup,) = [i for i in graph.invokes if i.token == GET_REGISTRY]
    assert lookup.args == {
        "registryName": "acrfleetprdpaylegacy",
        "resourceGroupName": "rg-payments-legacy",
    }
    provider = named(graph, "pulumi:providers:azure-native", "payments-prod-azure")
    assert lookup.provider == f"{provider.urn}::{provider.id}", (
        "The lookup must go through the payments subscription's provider."
    )
    resource_id = (
        "/subscriptions/00000000-0000-0000-0000-00000000f002/resourceGroups/rg-payments-legacy"
        "/providers/Microsoft.ContainerRegistry/registries/acrfleetprdpaylegacy"
    )
    assignment = named(graph, ASSIGNMENT, "payments-prod-access-payments-legacy")
    assert assignment.inputs["scope"] == resource_id
    connector = by_identifier(graph, DOCKER_CONNECTOR, "acr_payments_prod_payments_legacy")
    assert connector.inputs["url"] == "https://acrfleetprdpaylegacy.azurecr.io"


def test_imported_registry_carries_its_import_id(graphs: dict[str, Graph]) -> None:
    """The staging registry marked import is a Registry with the ARM id as import id."""
    graph = graphs["staging"]
    registry = named(graph, REGISTRY, "payments-staging-acrfleetstgpayhist")
    assert registry.import_id == (
        "/subscriptions/00000000-0000-0000-0000-00000000e002/resourceGroups/rg-payments-images"
        "/providers/Microsoft.ContainerRegistry/registries/acrfleetstgpayhist"
    )
    others = [r for r in graph.by_type(REGISTRY) if r is not registry]
    assert others, "Staging should have registries that are not imported."
    assert all(not r.import_id for r in others), "Only the import entry is imported."
    assert named(graph, ASSIGNMENT, "payments-staging-access-acrfleetstgpayhist")


# --- SKU-gated features ----------------------------------------------------------------


def test_prod_premium_features_are_in_the_graph(graphs: dict[str, Graph]) -> None:
    """Replication, retention, IP rules and closed public access reach the registries."""
    graph = graphs["prod"]
    apps01 = named(graph, REGISTRY, "shared-prod-acrfleetprdapps01")
    assert apps01.inputs["policies"] == {"retentionPolicy": {"days": 14, "status": "enabled"}}
    rules = apps01.inputs["networkRuleSet"]
    assert rules["defaultAction"] == "Deny"
    assert [r["iPAddressOrRange"] for r in rules["ipRules"]] == [
        "203.0.113.0/26",
        "198.51.100.17",
        "198.51.100.18",
    ]
    assert apps01.inputs["publicNetworkAccess"] == "Enabled"
    replica = named(
        graph,
        "azure-native:containerregistry:Replication",
        "shared-prod-acrfleetprdapps01-replica-northeurope",
    )
    assert replica.inputs["location"] == "northeurope"
    assert replica.inputs["zoneRedundancy"] == "Enabled"
    assert replica.parent == apps01.parent, "A replica belongs to its registry's component."
    assert apps01.urn in replica.dependencies
    apps02 = named(graph, REGISTRY, "shared-prod-acrfleetprdapps02")
    assert apps02.inputs["publicNetworkAccess"] == "Disabled"


def test_zone_redundancy_reaches_a_new_premium_registry() -> None:
    """zoneRedundancy: true on a Premium registry sets zoneRedundancy Enabled."""
    raw = stack_config("dev")
    registry = raw["acr-fleet:subscriptions"][0]["registries"][1]
    registry.update(sku="Premium", zoneRedundancy=True)
    graph = run_config(raw)
    assert named(graph, REGISTRY, "shared-dev-acrfleetdevbase01").inputs["zoneRedundancy"] == (
        "Enabled"
    )


def test_registries_without_features_keep_azure_defaults(graphs: dict[str, Graph]) -> None:
    """A registry that asks for nothing has no policies or network rules."""
    for registry in graphs["dev"].by_type(REGISTRY):
        assert "policies" not in registry.inputs
        assert "networkRuleSet" not in registry.inputs
        assert registry.inputs["zoneRedundancy"] == "Disabled"
        assert registry.inputs["publicNetworkAccess"] == "Enabled"


# --- the harnessImage mirror ---------------------------------------------------------------


def test_mirror_cache_rules_and_credentials(graphs: dict[str, Graph]) -> None:
    """With the mirror on, harness/* and plugins/* are cached from Docker Hub through
    a credential set whose identity may read the Key Vault secrets."""
    graph = graphs["prod"]
    rules = {r.inputs["sourceRepository"]: r for r in graph.by_type(CACHE_RULE)}
    assert set(rules) == {"docker.io/harness/*", "docker.io/plugins/*"}
    (credentials,) = graph.by_type(CREDENTIAL_SET)
    assert credentials.inputs["loginServer"] == "docker.io"
    assert credentials.inputs["identity"] == {"type": "SystemAssigned"}
    (auth,) = credentials.inputs["authCredentials"]
    assert auth["passwordSecretIdentifier"].startswith("https://kv-acrfleet-prod.vault.azure.net/")
    for source, rule in rules.items():
        assert rule.inputs["targetRepository"] == source.removeprefix("docker.io/")
        assert rule.inputs["registryName"] == "acrfleetprdapps01"
        assert rule.inputs["credentialSetResourceId"] == credentials.id
    (vault_role,) = [
        r
        for r in graph.by_type(ASSIGNMENT)
        if r.inputs["scope"].endswith("/vaults/kv-acrfleet-prod")
    ]
    assert vault_role.inputs["roleDefinitionId"].endswith(roles.Role.KEY_VAULT_SECRETS_USER.value)
    assert vault_role.inputs["principalId"] == credentials.state["identity"]["principalId"]
    assert vault_role.inputs["principalType"] == "ServicePrincipal"


def test_mirror_imports_harness_image_at_account_scope(graphs: dict[str, Graph]) -> None:
    """harnessImage is imported (never created) at account scope, points at the mirror
    registry, and uses an account-level secret."""
    graph = graphs["prod"]
    connector = by_identifier(graph, DOCKER_CONNECTOR, naming.HARNESS_IMAGE_CONNECTOR)
    assert connector.import_id == "harnessImage"
    assert connector.retain_on_delete, "Destroying the stack must leave harnessImage in Harness."
    assert "orgId" not in connector.inputs
    assert "projectId" not in connector.inputs
    assert connector.inputs["url"] == "https://acrfleetprdapps01.azurecr.io"
    application = named(graph, "azuread:index/application:Application", "shared-prod-identity-app")
    assert connector.inputs["credentials"] == {
        "username": application.state["clientId"],
        "passwordRef": naming.mirror_secret_identifier("shared-prod"),
    }
    secret = by_identifier(graph, SECRET, naming.mirror_secret_identifier("shared-prod"))
    assert secret.urn in connector.dependencies


def without_mirror(enabled: Any) -> Graph:
    """The prod stack with its mirror block disabled (False) or removed (None)."""
    raw = stack_config("prod")
    if enabled is None:
        del raw["acr-fleet:harnessImageMirror"]
    else:
        raw["acr-fleet:harnessImageMirror"]["enabled"] = enabled
    return run_config(raw, stack="prod")


@pytest.mark.parametrize("enabled", [False, None], ids=["enabled-false", "block-removed"])
def test_mirror_off_registers_neither_rules_nor_connector(enabled: Any) -> None:
    """With the mirror disabled, no cache rule, credential set or harnessImage appears."""
    graph = without_mirror(enabled)
    assert not graph.by_type(CACHE_RULE)
    assert not graph.by_type(CREDENTIAL_SET)
    identifiers = {r.inputs["identifier"] for r in graph.by_type(DOCKER_CONNECTOR)}
    assert naming.HARNESS_IMAGE_CONNECTOR not in identifiers
    assert not [r for r in graph.resources if r.import_id == "harnessImage"]


def test_mirror_without_credentials_warns() -> None:
    """A mirror without a credential set is valid but warns about Docker Hub's limits."""
    raw = stack_config("prod")
    del raw["acr-fleet:harnessImageMirror"]["credentialSet"]
    graph = run_config(raw, stack="prod")
    assert not graph.by_type(CREDENTIAL_SET)
    assert {r.inputs.get("credentialSetResourceId") for r in graph.by_type(CACHE_RULE)} == {None}
    assert any("anonymously" in warning for warning in graph.warnings), graph.warnings


def test_preview_json_shows_import_ids(capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON document carries the imported registry's and harnessImage's import ids."""
    documents = {}
    for stack in ("staging", "prod"):
        assert preview.main([stack, "--json"]) == 0
        documents[stack] = json.loads(capsys.readouterr().out)
    imported = {
        r["name"]: r["importId"]
        for d in documents.values()
        for r in d["resources"]
        if r["importId"]
    }
    assert imported["payments-staging-acrfleetstgpayhist"].endswith(
        "/registries/acrfleetstgpayhist"
    )
    assert imported["shared-prod-mirror-harness-image"] == "harnessImage"
    lookups = [i for i in documents["prod"]["invokes"] if i["token"] == GET_REGISTRY]
    assert [i["args"]["registryName"] for i in lookups] == ["acrfleetprdpaylegacy"]


def test_mirror_needs_an_identity_with_a_client_secret() -> None:
    """A mirror on a subscription whose identity issues no secret is a config error."""
    raw = stack_config("prod")
    raw["acr-fleet:harnessImageMirror"]["subscription"] = "acquired-prod"
    raw["acr-fleet:harnessImageMirror"]["registry"] = "acrfleetprdacq01"
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    message = str(outcome.error)
    assert "harnessImageMirror.subscription: needs a client secret" in message
    assert "choose a subscription whose identity issues a client secret" in message, (
        "The mirror's error names the mirror's own fix."
    )
    assert "dockerConnector: false" not in message, (
        "The Docker connector's advice does not apply to harnessImageMirror."
    )
    assert outcome.graph.resources == []


def test_mirror_on_an_adopted_registry_is_refused() -> None:
    """The mirror never modifies an adopted registry: cache rules there are a config error."""
    raw = stack_config("prod")
    raw["acr-fleet:harnessImageMirror"] = {
        "subscription": "payments-prod",
        "registry": "payments-legacy",
    }
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert "harnessImageMirror.registry: 'payments-legacy' is adopted" in str(outcome.error)
    assert outcome.graph.resources == []


def test_mirror_on_an_imported_registry_found_by_name_and_group() -> None:
    """A registry imported by name and group can hold the mirror's cache rules."""
    raw = stack_config("prod")
    raw["acr-fleet:subscriptions"][2]["resourceGroups"].append(
        {"name": "rg-acq-old", "location": "eastus2", "existing": True}
    )
    raw["acr-fleet:subscriptions"][2]["registries"].append(
        {
            "name": "acrfleetprdacqold",
            "import": True,
            "resourceGroup": "rg-acq-old",
            "sku": "Standard",
            "access": "pull",
        }
    )
    raw["acr-fleet:harnessImageMirror"] = {
        "subscription": "acquired-prod",
        "registry": "acrfleetprdacqold",
    }
    # harnessImage logs in with a client secret, which OIDC alone does not issue.
    raw["acr-fleet:subscriptions"][2]["identity"] = {
        "auth": "secret",
        "passwordEndDate": "2027-01-31T00:00:00Z",
    }
    graph = run_config(raw, stack="prod")
    imported = named(graph, REGISTRY, "acquired-prod-acrfleetprdacqold")
    assert imported.import_id, "The mirror registry is imported, so this stack manages it."
    assert "rg-acq-old" not in {r.inputs["resourceGroupName"] for r in graph.by_type(GROUP)}
    for rule in graph.by_type(CACHE_RULE):
        assert rule.inputs["registryName"] == "acrfleetprdacqold"
        assert rule.inputs["resourceGroupName"] == "rg-acq-old"
    connector = by_identifier(graph, DOCKER_CONNECTOR, naming.HARNESS_IMAGE_CONNECTOR)
    assert connector.inputs["url"] == "https://acrfleetprdacqold.azurecr.io"


def test_secret_manager_scope_is_checked_only_where_a_secret_is_created() -> None:
    """A project secret manager is fine when subscriptions outside the project create no secret."""
    raw = stack_config("prod")
    raw["acr-fleet:harness"]["secretManager"] = {
        "identifier": "v",
        "orgId": "platform",
        "projectId": "registries_prod",
    }
    # harnessImage's secret lives at the account, so it keeps an account-wide manager.
    raw["acr-fleet:harnessImageMirror"]["secretManager"] = "harnessSecretManager"
    graph = run_config(raw, stack="prod")
    secret = by_identifier(graph, SECRET, naming.client_secret_identifier("shared-prod"))
    assert secret.inputs["secretManagerIdentifier"] == "v"
    raw["acr-fleet:subscriptions"][2]["identity"] = {
        "auth": "secret",
        "passwordEndDate": "2027-01-31T00:00:00Z",
    }
    outcome = execute_config(raw, stack="prod")
    assert isinstance(outcome.error, ConfigError), "An org-scoped secret cannot use it."
    assert "(for subscriptions[2])" in str(outcome.error)


def test_reader_scope_keeps_the_group_name_as_written() -> None:
    """Reader on a listable adopted registry's group keeps the group's case from the config."""
    raw = stack_config("prod")
    legacy = raw["acr-fleet:subscriptions"][1]["registries"][1]
    legacy["resourceId"] = legacy["resourceId"].replace("rg-payments-legacy", "RG-Payments-Legacy")
    legacy["listable"] = True
    graph = run_config(raw, stack="prod")
    scopes = [r.inputs["scope"] for r in graph.by_type(ASSIGNMENT)]
    expected = (
        "/subscriptions/00000000-0000-0000-0000-00000000f002/resourceGroups/RG-Payments-Legacy"
    )
    assert expected in scopes, f"Reader should be scoped to {expected}; scopes were {scopes}."
