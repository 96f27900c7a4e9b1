"""The step group template: its YAML parses and loops over exactly the stack's connectors."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from components.config import PipelineTemplateSpec
from components.harness_scope import HarnessScope
from components.pipeline_template import template_document, template_yaml
from tests.conftest import STACKS, run_config, stack_config
from tools.offline import Graph, Registration

TEMPLATE = "harness:platform/template:Template"
CONNECTORS = (
    "harness:platform/azureCloudProviderConnector:AzureCloudProviderConnector",
    "harness:platform/dockerConnector:DockerConnector",
)


def scope_of(registration: Registration) -> HarnessScope:
    """The Harness scope a registration is created at."""
    return HarnessScope(registration.inputs.get("orgId"), registration.inputs.get("projectId"))


def template_of(graph: Graph) -> tuple[Registration, dict[str, Any]]:
    """The stack's one template registration and its parsed YAML."""
    (template,) = graph.by_type(TEMPLATE)
    return template, yaml.safe_load(template.inputs["templateYaml"])


def output_connector_references(graph: Graph) -> list[str]:
    """The connector references the stack exports, as pipelines use them."""
    return sorted(
        ref
        for outputs in graph.outputs["subscriptions"].values()
        for ref in [outputs["azureConnectorRef"], *outputs["dockerConnectorRefs"].values()]
    )


def assert_matrix_covers_connectors(graph: Graph) -> None:
    """The template's matrix names exactly the stack's created connectors, by the
    references the stack exports."""
    _, document = template_of(graph)
    matrix = document["template"]["spec"]["strategy"]["matrix"]["connector"]
    expected = output_connector_references(graph)
    assert sorted(matrix) == expected, (
        f"The matrix {sorted(matrix)} should list exactly the stack's connectors {expected}."
    )
    created = [
        r.inputs["identifier"]
        for type_token in CONNECTORS
        for r in graph.by_type(type_token)
        if not r.import_id
    ]
    assert len(expected) == len(created), (
        f"The outputs {expected} should name every created connector {created}."
    )
    assert len(matrix) == len(set(matrix)), "The matrix should list each connector once."


@pytest.mark.parametrize("stack", STACKS)
def test_template_yaml_parses_and_loops_over_the_connectors(
    graphs: dict[str, Graph], stack: str
) -> None:
    """The template is a step group whose one step uses <+matrix.connector>, over
    exactly this stack's connectors."""
    graph = graphs[stack]
    template, document = template_of(graph)
    body = document["template"]
    assert body["type"] == "StepGroup"
    assert body["identifier"] == template.inputs["identifier"]
    assert body["versionLabel"] == template.inputs["version"]
    (step,) = body["spec"]["steps"]
    assert step["step"]["spec"]["connectorRef"] == "<+matrix.connector>"
    assert_matrix_covers_connectors(graph)


@pytest.mark.parametrize("stack", STACKS)
def test_template_lives_at_the_connectors_scope(graphs: dict[str, Graph], stack: str) -> None:
    """The template is created at the stack's harness scope, and its YAML says so."""
    template, document = template_of(graphs[stack])
    harness = stack_config(stack)["acr-fleet:harness"]
    assert template.inputs.get("orgId") == harness.get("orgId")
    assert template.inputs.get("projectId") == harness.get("projectId")
    assert document["template"].get("orgIdentifier") == harness.get("orgId")
    assert document["template"].get("projectIdentifier") == harness.get("projectId")


def test_prod_matrix_prefixes_the_org_scoped_connector(graphs: dict[str, Graph]) -> None:
    """From the prod project, the org-scoped connector is org.-prefixed; the rest are bare."""
    _, document = template_of(graphs["prod"])
    matrix = document["template"]["spec"]["strategy"]["matrix"]["connector"]
    assert "org.azure_acquired_prod" in matrix
    assert "azure_shared_prod" in matrix
    assert not any(ref.startswith("account.") for ref in matrix)
    assert "harnessImage" not in matrix
    assert "account.harnessImage" not in matrix


def test_connectors_added_to_config_join_the_matrix() -> None:
    """A subscription and a Docker connector added to config appear in the matrix."""
    raw = stack_config("dev")
    subscriptions = raw["acr-fleet:subscriptions"]
    subscriptions[0]["registries"][1]["dockerConnector"] = True
    subscriptions.append(
        {
            "key": "extra-dev",
            "subscriptionId": "00000000-0000-0000-0000-00000000d0ff",
            "tenantId": "11111111-1111-1111-1111-111111111111",
            "harness": {"orgId": "platform"},
            "resourceGroups": [{"name": "rg-extra", "location": "westeurope"}],
            "registries": [
                {
                    "name": "acrfleetdevextra01",
                    "resourceGroup": "rg-extra",
                    "sku": "Basic",
                    "access": "pull",
                    "dockerConnector": True,
                }
            ],
        }
    )
    graph = run_config(raw)
    _, document = template_of(graph)
    matrix = document["template"]["spec"]["strategy"]["matrix"]["connector"]
    assert {
        "acr_shared_dev_acrfleetdevbase01",
        "org.azure_extra_dev",
        "org.acr_extra_dev_acrfleetdevextra01",
    } <= set(matrix)
    assert_matrix_covers_connectors(graph)


def test_matrix_uses_the_pipeline_scope_like_the_outputs() -> None:
    """With a pipelineScope and per-subscription scopes, the matrix equals the exported refs."""
    raw = stack_config("prod")
    harness = raw["acr-fleet:harness"]
    harness.pop("projectId")
    harness["pipelineScope"] = {"orgId": "platform", "projectId": "registries_prod"}
    subscriptions = raw["acr-fleet:subscriptions"]
    subscriptions[1]["harness"] = {}
    subscriptions[2]["harness"] = {"orgId": "platform"}
    graph = run_config(raw, stack="prod")
    template, document = template_of(graph)
    matrix = document["template"]["spec"]["strategy"]["matrix"]["connector"]
    assert scope_of(template) == HarnessScope("platform"), "The template stays at harness scope."
    assert sorted(matrix) == output_connector_references(graph), (
        f"The matrix {sorted(matrix)} should equal the exported references "
        f"{output_connector_references(graph)}."
    )
    assert {
        "org.azure_shared_prod",
        "account.azure_payments_prod",
        "org.azure_acquired_prod",
    } <= set(matrix), f"References are computed from the pipeline project: {matrix}."


def test_the_check_catches_a_connector_missing_from_the_matrix(
    graphs: dict[str, Graph],
) -> None:
    """The coverage check fails when the YAML lacks one of the stack's connectors."""
    graph = graphs["dev"]
    template, document = template_of(graph)
    document["template"]["spec"]["strategy"]["matrix"]["connector"].pop()
    tampered = Registration(**{**vars(template), "inputs": dict(template.inputs)})
    tampered.inputs["templateYaml"] = yaml.safe_dump(document)
    others = [r for r in graph.resources if r is not template]
    broken = Graph(graph.project, graph.stack, [*others, tampered], graph.outputs, [])
    with pytest.raises(AssertionError, match="should list exactly"):
        assert_matrix_covers_connectors(broken)


def test_template_yaml_round_trips() -> None:
    """The YAML text parses back to the document it was built from."""
    document = template_document(
        PipelineTemplateSpec(), HarnessScope("org1", "proj1"), ["a", "org.b", "account.c"]
    )
    assert yaml.safe_load(template_yaml(document)) == document
    assert document["template"]["spec"]["strategy"]["matrix"]["maxConcurrency"] == 3
