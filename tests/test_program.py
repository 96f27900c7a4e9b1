"""The whole program, per committed stack, on the mock engine: assertions on the graph."""

from __future__ import annotations

import uuid

import pytest

from components import naming, roles
from components.config import parse_fleet
from components.harness_scope import scope_reference
from tests.conftest import STACKS, fleet_config, run_config, stack_config
from tools import offline
from tools.offline import Graph, Registration

SUBSCRIPTION = "acrfleet:fleet:SubscriptionRegistries"
APPLICATION = "azuread:index/application:Application"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
SECRET_TEXT = "harness:platform/secretText:SecretText"
AZURE_CONNECTOR = "harness:platform/azureCloudProviderConnector:AzureCloudProviderConnector"
DOCKER_CONNECTOR = "harness:platform/dockerConnector:DockerConnector"
TEMPLATE = "acrfleet:template:PipelineTemplate"
REQUIRED_TYPES = [
    "pulumi:providers:azure-native",
    "azure-native:resources:ResourceGroup",
    "azure-native:containerregistry:Registry",
    "azure-native:authorization:RoleAssignment",
    "azuread:index/application:Application",
    "azuread:index/servicePrincipal:ServicePrincipal",
    "azuread:index/applicationPassword:ApplicationPassword",
    "harness:platform/secretText:SecretText",
    "harness:platform/azureCloudProviderConnector:AzureCloudProviderConnector",
    "harness:platform/dockerConnector:DockerConnector",
]


def subscription_of(graph: Graph, registration: Registration) -> Registration:
    """The SubscriptionRegistries component a registration lies under."""
    current = registration
    while current.type != SUBSCRIPTION:
        current = graph.get(current.parent)
    return current


def in_subscription(graph: Graph, component: Registration, type_token: str) -> list[Registration]:
    """Registrations of one type under a subscription component."""
    return [r for r in graph.by_type(type_token) if subscription_of(graph, r).urn == component.urn]


def principal_of(graph: Graph, component: Registration) -> tuple[str, set[str]]:
    """The principal id a subscription's role assignments must name, and the other
    ids of its identity they must not."""
    managed = in_subscription(graph, component, USER_ASSIGNED_IDENTITY)
    if managed:
        (identity,) = managed
        return identity.state["principalId"], {identity.state["clientId"], identity.id}
    (principal,) = in_subscription(graph, component, SERVICE_PRINCIPAL)
    (application,) = in_subscription(graph, component, APPLICATION)
    return principal.state["objectId"], {
        application.state["clientId"],
        application.state["objectId"],
    }


def client_id_of(graph: Graph, component: Registration) -> str:
    """The client id Harness signs in as: the application's or the managed identity's."""
    (identity,) = in_subscription(graph, component, USER_ASSIGNED_IDENTITY) or in_subscription(
        graph, component, APPLICATION
    )
    return identity.state["clientId"]


def adopted_ids(graph: Graph, component: Registration) -> set[str]:
    """ARM ids of the registries a subscription looked up through its own provider."""
    provider = provider_of(graph, component)
    return {
        f"/subscriptions/{provider.inputs['subscriptionId']}/resourceGroups/"
        f"{i.args['resourceGroupName']}/providers/Microsoft.ContainerRegistry/registries/"
        f"{i.args['registryName']}"
        for i in graph.invokes
        if i.token == "azure-native:containerregistry:getRegistry"
        and i.provider == f"{provider.urn}::{provider.id}"
    }


def registry_ids(graph: Graph, component: Registration) -> set[str]:
    """ARM ids of a subscription's registries, managed or adopted, as the stack outputs them."""
    entry = offline.unwrap(graph.outputs)["subscriptions"][component.name]
    return {value["resourceId"] for value in entry["registries"].values()}


def registry_assignments(graph: Graph) -> list[Registration]:
    """Role assignments of the subscriptions' identities on their registries."""
    return [
        r
        for r in graph.by_type("azure-native:authorization:RoleAssignment")
        if graph.get(r.parent).name == f"{subscription_of(graph, r).name}-access"
    ]


def in_connectors(graph: Graph, component: Registration, type_token: str) -> list[Registration]:
    """Registrations of one type in a subscription's HarnessConnectors component."""
    return [
        r
        for r in graph.by_type(type_token)
        if graph.get(r.parent).name == f"{component.name}-harness"
    ]


def provider_of(graph: Graph, component: Registration) -> Registration:
    """The azure-native provider a subscription component owns."""
    (provider,) = [
        r for r in graph.by_type("pulumi:providers:azure-native") if r.parent == component.urn
    ]
    return provider


@pytest.mark.parametrize("stack", STACKS)
def test_graph_has_every_resource_type(graphs: dict[str, Graph], stack: str) -> None:
    """Each stack registers at least one of every resource type the program manages."""
    types = {r.type for r in graphs[stack].resources}
    missing = [t for t in REQUIRED_TYPES if t not in types]
    assert not missing, f"The {stack} stack registers no {missing}."


@pytest.mark.parametrize("stack", STACKS)
def test_azure_resources_use_their_subscription_provider(
    graphs: dict[str, Graph], stack: str
) -> None:
    """Every Azure resource names the provider of its own subscription."""
    graph = graphs[stack]
    azure = [r for r in graph.resources if r.type.startswith("azure-native:")]
    assert azure, "The stack should register Azure resources."
    for registration in azure:
        component = subscription_of(graph, registration)
        provider = provider_of(graph, component)
        sub_id = provider.inputs["subscriptionId"]
        assert registration.provider == f"{provider.urn}::{provider.id}", (
            f"{registration.urn} should use the provider of subscription {sub_id}."
        )


@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_uses_a_default_provider(graphs: dict[str, Graph], stack: str) -> None:
    """Every custom resource names an explicit provider."""
    for registration in graphs[stack].resources:
        if registration.custom and not registration.type.startswith("pulumi:providers:"):
            assert registration.provider, f"{registration.urn} would use a default provider."


@pytest.mark.parametrize("stack", STACKS)
def test_role_assignments(graphs: dict[str, Graph], stack: str) -> None:
    """Each role assignment is scoped to a registry of its subscription (Reader: to a
    registry's resource group), names the identity's principal id with principalType
    ServicePrincipal, and has a deterministic GUID name."""
    graph = graphs[stack]
    assignments = registry_assignments(graph)
    assert assignments, "The stack should register role assignments."
    for assignment in assignments:
        component = subscription_of(graph, assignment)
        sub_id = provider_of(graph, component).inputs["subscriptionId"]
        ids = registry_ids(graph, component)
        principal_id, other_ids = principal_of(graph, component)
        inputs = assignment.plain_inputs()

        if inputs["roleDefinitionId"].endswith(roles.Role.READER.value):
            assert any(r.startswith(inputs["scope"] + "/providers/") for r in ids), (
                f"{assignment.urn} must be scoped to the resource group of one of its registries."
            )
        else:
            assert inputs["scope"] in ids, (
                f"{assignment.urn} must be scoped to one of its registries."
            )
        assert inputs["scope"].startswith(f"/subscriptions/{sub_id}/resourceGroups/")
        assert inputs["roleDefinitionId"].startswith(f"/subscriptions/{sub_id}/providers/")
        assert inputs["principalId"] == principal_id, (
            f"{assignment.urn} must name the identity's principal id."
        )
        assert inputs["principalId"] not in other_ids
        assert inputs["principalType"] == "ServicePrincipal"
        name = inputs["roleAssignmentName"]
        assert uuid.UUID(name).version == 5, f"{name} should be a uuid5."
        assert name == roles.role_assignment_name(
            inputs["scope"], inputs["roleDefinitionId"], inputs["principalId"]
        )


def test_role_assignment_names_are_stable_across_runs(graphs: dict[str, Graph]) -> None:
    """Running the same stack again gives the same role assignment names and inputs."""
    again = offline.run_stack("prod")
    first = {
        r.urn: r.inputs for r in graphs["prod"].by_type("azure-native:authorization:RoleAssignment")
    }
    second = {r.urn: r.inputs for r in again.by_type("azure-native:authorization:RoleAssignment")}
    assert first == second, "A second run must register identical role assignments."


def test_access_maps_to_roles(graphs: dict[str, Graph]) -> None:
    """Pull and push map to AcrPull and AcrPush, to the repository roles on ABAC
    registries, plus Reader on the group of each listable registry, and nothing else."""
    graph = graphs["prod"]
    granted = {
        (
            assignment.plain_inputs()["scope"].rsplit("/", 1)[-1],
            assignment.plain_inputs()["roleDefinitionId"].rsplit("/", 1)[-1],
        )
        for assignment in registry_assignments(graph)
    }
    assert granted == {
        ("acrfleetprdapps01", roles.Role.ACR_PUSH.value),
        ("rg-acr-prod-weu", roles.Role.READER.value),
        ("acrfleetprdapps02", roles.Role.ACR_PULL.value),
        ("acrfleetprdpay01", roles.Role.ACR_PULL.value),
        ("acrfleetprdpaylegacy", roles.Role.ACR_PULL.value),
        ("acrfleetprdacq01", roles.Role.ACR_PULL.value),
        ("acrfleetprdbuild01", roles.Role.REPOSITORY_WRITER.value),
        ("rg-build-prod", roles.Role.READER.value),
    }
    assert len(granted) == len(registry_assignments(graph))


@pytest.mark.parametrize("stack", STACKS)
def test_registries_are_locked_down(graphs: dict[str, Graph], stack: str) -> None:
    """Every registry has the admin user and anonymous pull disabled."""
    for registry in graphs[stack].by_type("azure-native:containerregistry:Registry"):
        assert registry.inputs["adminUserEnabled"] is False
        assert registry.inputs["anonymousPullEnabled"] is False


def test_registry_tags_override_the_stack_tags_of_the_same_name() -> None:
    """A registry's own tag wins over a stack tag of the same name, in any case."""
    raw = stack_config("dev")
    tagged = raw["acr-fleet:subscriptions"][0]["registries"][0]
    tagged["tags"] = {"CostCenter": "cc-1234"}
    # By name: registration order follows the engine's scheduling, not the config.
    (registry,) = [
        r
        for r in run_config(raw).by_type("azure-native:containerregistry:Registry")
        if r.inputs["registryName"] == tagged["name"]
    ]
    tags = registry.inputs["tags"]
    assert {k: v for k, v in tags.items() if k.lower() == "costcenter"} == {
        "CostCenter": "cc-1234"
    }, f"The registry's own costCenter tag should be kept: {tags}."
    assert tags["environment"] == "dev", "The other stack tags should still apply."


def test_existing_resource_groups_are_not_created(graphs: dict[str, Graph]) -> None:
    """A group marked existing is used by name but not registered."""
    names = {
        r.inputs["resourceGroupName"]
        for r in graphs["prod"].by_type("azure-native:resources:ResourceGroup")
    }
    assert names == {"rg-acr-prod-weu", "rg-acr-prod-neu", "rg-acquired-acr", "rg-build-prod"}
    (pay,) = [
        r
        for r in graphs["prod"].by_type("azure-native:containerregistry:Registry")
        if r.inputs["registryName"] == "acrfleetprdpay01"
    ]
    assert pay.inputs["resourceGroupName"] == "rg-payments-images"


def test_password_end_date_comes_from_config(graphs: dict[str, Graph]) -> None:
    """A password without rotation carries the configured end date; a subscription's
    own identity block wins over the stack's."""
    dates = {
        (stack, subscription_of(graphs[stack], r).name): r.inputs["endDate"]
        for stack in ("dev", "prod")
        for r in graphs[stack].by_type("azuread:index/applicationPassword:ApplicationPassword")
        if "rotateWhenChanged" not in r.inputs
    }
    assert dates == {
        ("dev", "shared-dev"): "2027-06-30T00:00:00Z",
        ("prod", "payments-prod"): "2027-06-30T00:00:00Z",
    }


def test_azuread_provider_per_tenant(graphs: dict[str, Graph]) -> None:
    """One azuread provider per tenant; each application uses its subscription's tenant."""
    graph = graphs["prod"]
    providers = {r.inputs["tenantId"]: r for r in graph.by_type("pulumi:providers:azuread")}
    assert set(providers) == {
        "11111111-1111-1111-1111-111111111111",
        "22222222-2222-2222-2222-222222222222",
    }
    for application in graph.by_type("azuread:index/application:Application"):
        tenant = provider_of(graph, subscription_of(graph, application)).inputs["tenantId"]
        expected = providers[tenant]
        assert application.provider == f"{expected.urn}::{expected.id}"


@pytest.mark.parametrize("stack", STACKS)
def test_harness_connectors(graphs: dict[str, Graph], stack: str) -> None:
    """A ManualConfig Azure connector uses the identity and secret; Docker connectors
    are type Other with the registry's login server, the client id and the secret."""
    graph = graphs[stack]
    for component in graph.by_type(SUBSCRIPTION):
        client_id = client_id_of(graph, component)
        secrets = in_connectors(graph, component, SECRET_TEXT)
        for secret in secrets:
            assert offline.is_secret(secret.inputs["value"]), (
                "The secret's value must be a Pulumi secret."
            )
            assert secret.inputs["valueType"] == "Inline"
        (azure,) = in_connectors(graph, component, AZURE_CONNECTOR)
        if azure.inputs["credentials"]["type"] == "ManualConfig":
            (secret,) = secrets
            details = azure.inputs["credentials"]["azureManualDetails"]
            assert details["applicationId"] == client_id
            assert details["auth"] == {
                "type": "Secret",
                "azureClientSecretKey": {"secretRef": secret.inputs["identifier"]},
            }
            assert secret.urn in azure.dependencies, "The connector must wait for its secret."
        outputs = offline.unwrap(graph.outputs)["subscriptions"][component.name]
        logins = {value["loginServer"] for value in outputs["registries"].values()}
        for docker in in_connectors(graph, component, DOCKER_CONNECTOR):
            (secret,) = secrets
            assert docker.inputs["type"] == "Other"
            assert docker.inputs["url"] in {f"https://{host}" for host in logins}
            assert docker.inputs["credentials"] == {
                "username": client_id,
                "passwordRef": secret.inputs["identifier"],
            }
            assert secret.urn in docker.dependencies


def test_docker_connectors_only_where_asked(graphs: dict[str, Graph]) -> None:
    """Docker connectors exist exactly for registries with dockerConnector: true."""
    raw = stack_config("prod")
    wanted = {
        naming.docker_connector_identifier(sub["key"], reg.get("key") or reg["name"].lower())
        for sub in raw["acr-fleet:subscriptions"]
        for reg in sub["registries"]
        if reg.get("dockerConnector")
    }
    made = {
        r.inputs["identifier"]
        for r in graphs["prod"].by_type("harness:platform/dockerConnector:DockerConnector")
        if r.inputs["identifier"] != naming.HARNESS_IMAGE_CONNECTOR
    }
    assert made == wanted


@pytest.mark.parametrize("stack", STACKS)
def test_harness_identifiers_are_valid_and_unique(graphs: dict[str, Graph], stack: str) -> None:
    """Every Harness identifier is valid and unique within the stack."""
    identifiers = [
        r.inputs["identifier"]
        for r in graphs[stack].resources
        if r.type.startswith("harness:platform")
    ]
    assert len(identifiers) == len(set(identifiers))
    for identifier in identifiers:
        assert naming.harness_identifier_problem(identifier) is None, identifier


@pytest.mark.parametrize("stack", STACKS)
def test_harness_names_are_ones_harness_accepts(graphs: dict[str, Graph], stack: str) -> None:
    """Every Harness secret and connector name is one Harness accepts."""
    for registration in graphs[stack].resources:
        if registration.type in (SECRET_TEXT, AZURE_CONNECTOR, DOCKER_CONNECTOR):
            name = registration.inputs["name"]
            assert naming.harness_name_problem(name) is None, (
                f"Harness would reject the name {name!r} of {registration.urn}."
            )


def test_longest_display_name_and_key_give_accepted_harness_names() -> None:
    """The longest display name and subscription key still give names Harness accepts."""
    raw = stack_config("prod")
    subscriptions = raw["acr-fleet:subscriptions"]
    subscriptions[0]["displayName"] = "D" * naming.DISPLAY_NAME_MAX
    subscriptions[0].pop("previousKey", None)
    subscriptions[0]["key"] = "k" * 40
    raw["acr-fleet:harnessImageMirror"]["subscription"] = "k" * 40
    names = [
        r.inputs["name"]
        for r in run_config(raw).resources
        if r.type in (SECRET_TEXT, AZURE_CONNECTOR, DOCKER_CONNECTOR)
    ]
    too_long = [name for name in names if naming.harness_name_problem(name) is not None]
    assert too_long == [], f"Harness would reject these names: {too_long}."


@pytest.mark.parametrize("stack", STACKS)
def test_every_child_has_a_parent_component(graphs: dict[str, Graph], stack: str) -> None:
    """Only the stack-wide providers and subscription components sit at the root."""
    graph = graphs[stack]
    root = f"urn:pulumi:{stack}::acr-fleet::pulumi:pulumi:Stack::acr-fleet-{stack}"
    at_root = {r.type for r in graph.resources if r.parent == root}
    assert at_root <= {
        SUBSCRIPTION,
        TEMPLATE,
        "pulumi:providers:azuread",
        "pulumi:providers:harness",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_components_register_outputs(graphs: dict[str, Graph], stack: str) -> None:
    """Every component registers its outputs, so none is left 'creating'."""
    for registration in graphs[stack].resources:
        if not registration.custom:
            assert registration.outputs, f"{registration.urn} registered no outputs."


@pytest.mark.parametrize("stack", STACKS)
def test_stack_outputs(graphs: dict[str, Graph], stack: str) -> None:
    """Outputs give each registry's name, login server and id, the client id and connector refs."""
    graph = graphs[stack]
    fleet = parse_fleet(fleet_config(stack))
    outputs = offline.unwrap(graph.outputs)["subscriptions"]
    for component in graph.by_type(SUBSCRIPTION):
        entry = outputs[component.name]
        assert entry["clientId"] == client_id_of(graph, component)
        registries = in_subscription(graph, component, "azure-native:containerregistry:Registry")
        assert {v["resourceId"] for v in entry["registries"].values()} == {
            r.id for r in registries
        } | adopted_ids(graph, component)
        for value in entry["registries"].values():
            assert value["loginServer"] == f"{value['name']}.azurecr.io"
        sub = next(s for s in fleet.subscriptions if s.key == component.name)
        assert entry["azureConnectorRef"] == scope_reference(
            naming.azure_connector_identifier(component.name),
            fleet.connector_scope_for(sub),
            fleet.harness.pipeline_scope_or_default,
        )


@pytest.mark.parametrize("stack", STACKS)
def test_no_secret_in_outputs(graphs: dict[str, Graph], stack: str) -> None:
    """No password value appears in the stack outputs, plain or wrapped."""
    passwords = [
        r.state["value"]
        for r in graphs[stack].by_type("azuread:index/applicationPassword:ApplicationPassword")
    ]
    text = repr(graphs[stack].outputs)
    for password in passwords:
        assert password not in text
