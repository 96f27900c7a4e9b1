"""Identity kinds and sign-in modes, rotation and least-privilege roles, on the mock engine."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from components import roles
from components.config import ConfigError
from tests.conftest import execute_config, run_config, stack_config
from tests.test_program import (
    APPLICATION,
    AZURE_CONNECTOR,
    DOCKER_CONNECTOR,
    SECRET_TEXT,
    SERVICE_PRINCIPAL,
    SUBSCRIPTION,
    USER_ASSIGNED_IDENTITY,
    client_id_of,
    in_subscription,
)
from tools import offline
from tools.offline import Graph, Registration

PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
APP_FEDERATION = (
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
)
MSI_FEDERATION = "azure-native:managedidentity:FederatedIdentityCredential"
CREDENTIAL_TYPES = {
    APPLICATION,
    SERVICE_PRINCIPAL,
    PASSWORD,
    APP_FEDERATION,
    USER_ASSIGNED_IDENTITY,
    MSI_FEDERATION,
    SECRET_TEXT,
}

# (stack, subscription key, credential resource types, passwords, Azure connector auth)
COMBINATIONS = {
    "servicePrincipal+secret": (
        "dev",
        "shared-dev",
        {APPLICATION, SERVICE_PRINCIPAL, PASSWORD, SECRET_TEXT},
        1,
        "ManualConfig",
    ),
    "servicePrincipal+secret, rotating": (
        "prod",
        "shared-prod",
        {APPLICATION, SERVICE_PRINCIPAL, PASSWORD, SECRET_TEXT},
        2,
        "ManualConfig",
    ),
    "servicePrincipal+oidc": (
        "prod",
        "acquired-prod",
        {APPLICATION, SERVICE_PRINCIPAL, APP_FEDERATION},
        0,
        "OidcAuthentication",
    ),
    "managedIdentity+oidc": (
        "dev",
        "tools-dev",
        {USER_ASSIGNED_IDENTITY, MSI_FEDERATION},
        0,
        "OidcAuthentication",
    ),
    "managedIdentity+delegate": (
        "prod",
        "build-prod",
        {USER_ASSIGNED_IDENTITY},
        0,
        "InheritFromDelegate",
    ),
    "servicePrincipal+oidc with a Docker-only secret": (
        "staging",
        "payments-staging",
        {APPLICATION, SERVICE_PRINCIPAL, APP_FEDERATION, PASSWORD, SECRET_TEXT},
        1,
        "OidcAuthentication",
    ),
}


def component(graph: Graph, key: str) -> Registration:
    """The SubscriptionRegistries component of one subscription key."""
    (found,) = [r for r in graph.by_type(SUBSCRIPTION) if r.name == key]
    return found


def only(graph: Graph, sub: Registration, type_token: str) -> Registration:
    """The single registration of a type under a subscription."""
    (found,) = in_subscription(graph, sub, type_token)
    return found


def account_of(stack: str) -> str:
    """The Harness account id of a committed stack."""
    return stack_config(stack)["acr-fleet:harness"]["accountId"]


def with_epoch(epoch: int) -> dict[str, Any]:
    """The staging stack's configuration at another rotation epoch."""
    raw = stack_config("staging")
    raw["acr-fleet:identity"]["rotation"]["epoch"] = epoch
    return raw


def passwords(graph: Graph, key: str) -> dict[str, Registration]:
    """A subscription's application passwords, by resource name."""
    return {r.name: r for r in in_subscription(graph, component(graph, key), PASSWORD)}


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_credential_resources_per_combination(graphs: dict[str, Graph], combination: str) -> None:
    """Each combination registers exactly its credential resources, and passwords only
    where a secret is wanted."""
    stack, key, types, password_count, _ = COMBINATIONS[combination]
    graph = graphs[stack]
    sub = component(graph, key)
    present = {t for t in CREDENTIAL_TYPES if in_subscription(graph, sub, t)}
    assert present == types, f"{key} in {stack} should register {sorted(types)}."
    assert len(in_subscription(graph, sub, PASSWORD)) == password_count


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_azure_connector_auth_per_combination(graphs: dict[str, Graph], combination: str) -> None:
    """Each combination's Azure connector signs in the way its identity block says."""
    stack, key, _, _, auth = COMBINATIONS[combination]
    graph = graphs[stack]
    sub = component(graph, key)
    credentials = only(graph, sub, AZURE_CONNECTOR).inputs["credentials"]
    assert credentials["type"] == auth


@pytest.mark.parametrize(("stack", "key"), [("prod", "acquired-prod"), ("dev", "tools-dev")])
def test_oidc_connector_names_client_tenant_and_audience(
    graphs: dict[str, Graph], stack: str, key: str
) -> None:
    """An OIDC connector names the identity's client id, its tenant and Entra's audience."""
    graph = graphs[stack]
    sub = component(graph, key)
    connector = only(graph, sub, AZURE_CONNECTOR)
    tenant = next(
        s["tenantId"] for s in stack_config(stack)["acr-fleet:subscriptions"] if s["key"] == key
    )
    assert connector.inputs["credentials"]["azureOidcSpec"] == {
        "applicationId": client_id_of(graph, sub),
        "tenantId": tenant,
        "audience": "api://AzureADTokenExchange",
    }


def test_oidc_connector_waits_for_its_federated_credential(graphs: dict[str, Graph]) -> None:
    """The Azure connector is created after the credential that lets it sign in."""
    for stack, key, federation_type in (
        ("prod", "acquired-prod", APP_FEDERATION),
        ("dev", "tools-dev", MSI_FEDERATION),
    ):
        graph = graphs[stack]
        sub = component(graph, key)
        federated = only(graph, sub, federation_type)
        assert federated.urn in only(graph, sub, AZURE_CONNECTOR).dependencies


def test_delegate_connector_inherits_the_managed_identity(graphs: dict[str, Graph]) -> None:
    """A delegate connector names the managed identity's client id and runs on its delegates."""
    graph = graphs["prod"]
    sub = component(graph, "build-prod")
    identity = only(graph, sub, USER_ASSIGNED_IDENTITY)
    connector = only(graph, sub, AZURE_CONNECTOR)
    assert connector.inputs["credentials"]["azureInheritFromDelegateDetails"] == {
        "auth": {
            "type": "UserAssignedManagedIdentity",
            "azureMsiAuthUa": {"clientId": identity.state["clientId"]},
        }
    }
    assert connector.inputs["delegateSelectors"] == ["acr-prod-build-delegate"]
    assert connector.inputs["executeOnDelegate"] is True


def test_managed_identity_lives_in_its_configured_group(graphs: dict[str, Graph]) -> None:
    """The user-assigned identity is created in the configured group, at the group's location."""
    graph = graphs["dev"]
    identity = only(graph, component(graph, "tools-dev"), USER_ASSIGNED_IDENTITY)
    assert identity.inputs["resourceGroupName"] == "rg-tools-dev"
    assert identity.inputs["location"] == "westeurope"
    assert identity.inputs["resourceName"] == "acr-fleet-dev-tools-dev"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_federated_credentials_carry_the_exact_strings(
    graphs: dict[str, Graph], stack: str
) -> None:
    """Every federated credential trusts exactly Harness' issuer, subject and audience."""
    account = account_of(stack)
    federated = graphs[stack].by_type(APP_FEDERATION) + graphs[stack].by_type(MSI_FEDERATION)
    assert federated, f"The {stack} stack should have a federated credential."
    for credential in federated:
        assert credential.inputs["issuer"] == (
            f"https://app.harness.io/ng/api/oidc/account/{account}"
        )
        assert credential.inputs["subject"] == f"Provider:Harness:Account:{account}"
        assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]


def test_configured_host_reaches_the_issuer() -> None:
    """harness.oidcHost replaces app.harness.io in every issuer."""
    raw = stack_config("dev")
    raw["acr-fleet:harness"]["oidcHost"] = "app3.harness.io"
    graph = run_config(raw)
    (credential,) = graph.by_type(MSI_FEDERATION)
    assert credential.inputs["issuer"] == (
        "https://app3.harness.io/ng/api/oidc/account/FakeAccountDev000000001"
    )


@pytest.mark.parametrize(
    ("host", "reason"),
    [("https://app.harness.io", "a scheme 'https://'"), ("app.harness.io/", "a trailing '/'")],
)
def test_host_with_scheme_or_trailing_slash_is_rejected(host: str, reason: str) -> None:
    """A Harness host with a scheme or trailing slash fails validation and registers nothing."""
    raw = stack_config("dev")
    raw["acr-fleet:harness"]["oidcHost"] = host
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert "harness.oidcHost: must be a bare lower-case host name" in str(outcome.error)
    assert reason in str(outcome.error)
    assert outcome.graph.resources == []


def test_docker_connector_with_oidc_only_is_a_config_error() -> None:
    """A Docker connector on an OIDC-only identity fails, naming the key path and the fix,
    and registers nothing."""
    raw = stack_config("staging")
    del raw["acr-fleet:subscriptions"][1]["identity"]["dockerSecret"]
    del raw["acr-fleet:subscriptions"][1]["identity"]["passwordEndDate"]
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    message = str(outcome.error)
    assert (
        "  - subscriptions[1].registries[0].dockerConnector: needs a client secret as the "
        "Docker password, but subscriptions[1].identity.auth is 'oidc', which issues none; "
        "set subscriptions[1].identity.dockerSecret: true"
    ) in message
    assert message.count("\n  - ") == 1, f"Exactly one problem is expected:\n{message}"
    assert outcome.graph.resources == [], "Bad configuration must register nothing."


def test_docker_connector_on_a_managed_identity_is_a_config_error() -> None:
    """A Docker connector on a managed identity fails, naming the key path and the fix."""
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][1]["registries"][0]["dockerConnector"] = True
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert (
        "subscriptions[1].registries[0].dockerConnector: needs a client secret as the Docker "
        "password, but subscriptions[1].identity.kind is 'managedIdentity', which has none; "
        "set dockerConnector: false"
    ) in str(outcome.error)
    assert outcome.graph.resources == []


def test_stack_name_that_breaks_the_managed_identity_name_is_a_config_error() -> None:
    """A stack name Azure cannot take in a managed identity's name fails, registering nothing."""
    outcome = execute_config(stack_config("dev"), stack="dev.westeurope")
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert (
        "  - subscriptions[1].key: names the managed identity 'acr-fleet-dev.westeurope-tools-dev'"
        in str(outcome.error)
    )
    assert outcome.graph.resources == [], "Bad configuration must register nothing."


def test_docker_only_secret_is_not_used_by_the_azure_connector(graphs: dict[str, Graph]) -> None:
    """With OIDC plus a Docker-only secret, Docker connectors use the secret and the Azure
    connector neither references nor waits for it."""
    graph = graphs["staging"]
    sub = component(graph, "payments-staging")
    secret = only(graph, sub, SECRET_TEXT)
    azure = only(graph, sub, AZURE_CONNECTOR)
    assert secret.urn not in azure.dependencies
    assert secret.inputs["identifier"] not in repr(azure.inputs)
    for docker in in_subscription(graph, sub, DOCKER_CONNECTOR):
        assert docker.inputs["credentials"]["passwordRef"] == secret.inputs["identifier"]


def test_rotation_epoch_step_reissues_one_slot_and_moves_the_harness_secret() -> None:
    """From epoch N to N+1 exactly one password slot's inputs change, the Harness secret's
    value comes from that slot, and the other slot is unchanged."""
    before, after = run_config(with_epoch(1)), run_config(with_epoch(2))
    old, new = passwords(before, "shared-staging"), passwords(after, "shared-staging")
    slot_a, slot_b = "shared-staging-identity-password", "shared-staging-identity-password-b"
    assert set(old) == set(new) == {slot_a, slot_b}
    changed = [name for name in old if old[name].inputs != new[name].inputs]
    assert changed == [slot_a], f"Only slot a (issued at even epochs) should change: {changed}."
    assert new[slot_a].inputs["rotateWhenChanged"] == {"slot": "a", "generation": "2"}
    assert new[slot_b].inputs["rotateWhenChanged"] == {"slot": "b", "generation": "1"}

    secret = only(after, component(after, "shared-staging"), SECRET_TEXT)
    assert offline.is_secret(secret.inputs["value"]), "The Harness secret must stay a secret."
    assert secret.plain_inputs()["value"] == new[slot_a].state["value"]
    assert secret.property_dependencies["value"] == [new[slot_a].urn]
    old_secret = only(before, component(before, "shared-staging"), SECRET_TEXT)
    assert old_secret.plain_inputs()["value"] == old[slot_b].state["value"], (
        "At epoch 1 the Harness secret should hold slot b."
    )


def test_same_epoch_gives_identical_inputs() -> None:
    """Running the same rotation epoch twice registers identical inputs everywhere."""
    first, second = run_config(with_epoch(2)), run_config(with_epoch(2))
    assert {r.urn: r.inputs for r in first.resources} == {r.urn: r.inputs for r in second.resources}


def test_end_date_close_to_the_epoch_warns_on_the_identity() -> None:
    """A password end date within 30 days of the rotation epoch's start logs a warning."""
    raw = stack_config("staging")
    rotation = raw["acr-fleet:identity"]["rotation"]
    start = datetime.datetime.fromisoformat(rotation["startDate"])
    epoch_start = start + datetime.timedelta(days=rotation["periodDays"] * rotation["epoch"])
    end = epoch_start + datetime.timedelta(days=20)
    raw["acr-fleet:identity"]["passwordEndDate"] = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    graph = run_config(raw)
    assert any(
        "passwordEndDate 2026-12-20T00:00:00Z is 20 days after the start of rotation epoch 1"
        in warning
        for warning in graph.warnings
    ), f"Expected an expiry warning, got {graph.warnings}."


def test_committed_stacks_do_not_warn(graphs: dict[str, Graph]) -> None:
    """No committed stack has an end date close to its rotation epoch."""
    for stack, graph in graphs.items():
        assert graph.warnings == [], f"The {stack} stack should not warn: {graph.warnings}."


def test_abac_and_listable_roles_in_dev(graphs: dict[str, Graph]) -> None:
    """The ABAC, listable registry gets Repository Reader plus Reader on its group; the
    other registries keep AcrPull or AcrPush only."""
    granted = {
        (
            r.name,
            r.plain_inputs()["scope"].rsplit("/", 1)[-1],
            r.plain_inputs()["roleDefinitionId"].rsplit("/", 1)[-1],
        )
        for r in graphs["dev"].by_type("azure-native:authorization:RoleAssignment")
    }
    assert granted == {
        (
            "shared-dev-access-acrfleetdevapps01",
            "acrfleetdevapps01",
            roles.Role.ACR_PUSH.value,
        ),
        (
            "shared-dev-access-acrfleetdevbase01",
            "acrfleetdevbase01",
            roles.Role.ACR_PULL.value,
        ),
        (
            "tools-dev-access-acrfleetdevtools01",
            "acrfleetdevtools01",
            roles.Role.REPOSITORY_READER.value,
        ),
        ("tools-dev-access-reader.rg-tools-dev", "rg-tools-dev", roles.Role.READER.value),
    }


def test_one_reader_per_group_of_listable_registries() -> None:
    """Two listable registries in one group share a single Reader assignment on it."""
    raw = stack_config("dev")
    for registry in raw["acr-fleet:subscriptions"][0]["registries"]:
        registry["listable"] = True
    graph = run_config(raw)
    readers = [
        r
        for r in graph.by_type("azure-native:authorization:RoleAssignment")
        if r.inputs["roleDefinitionId"].endswith(roles.Role.READER.value)
    ]
    scopes = sorted(r.inputs["scope"] for r in readers)
    assert scopes == [
        "/subscriptions/00000000-0000-0000-0000-00000000d001/resourceGroups/rg-acr-dev",
        "/subscriptions/00000000-0000-0000-0000-00000000d002/resourceGroups/rg-tools-dev",
    ]
