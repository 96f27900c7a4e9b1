"""PipelineTemplate: a Harness step group template that runs one step per
connector of the stack, through a matrix looping strategy.

Connector identifiers derive from configuration keys alone (components.naming),
so the template's YAML is built from the validated configuration as plain data,
before anything is applied, and parsed back by the tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pulumi
import yaml
from pulumi_harness import platform

from components import naming
from components.config import FleetSpec, PipelineTemplateSpec
from components.harness import connector_reference
from components.harness_scope import HarnessScope

MATRIX_AXIS = "connector"
STEP_IDENTIFIER = "use_connector"


def connector_references(fleet: FleetSpec) -> list[str]:
    """Every connector the stack creates, as the pipelines using the template
    refer to it (the same references as the stack outputs): each subscription's
    Azure connector, then its Docker connectors.

    Harness resolves the template's references in the pipeline that uses it,
    so they are computed from harness.pipelineScope, not the template's scope.
    """
    pipeline_scope = fleet.harness.pipeline_scope_or_default
    references: list[str] = []
    for subscription in fleet.subscriptions:
        scope = fleet.connector_scope_for(subscription)
        identifiers = [naming.azure_connector_identifier(subscription.key)] + [
            naming.docker_connector_identifier(subscription.key, registry.logical_key)
            for registry in subscription.registries
            if registry.docker_connector
        ]
        references += [connector_reference(i, scope, pipeline_scope) for i in identifiers]
    return references


def template_document(
    spec: PipelineTemplateSpec, scope: HarnessScope, references: Sequence[str]
) -> dict[str, Any]:
    """The template as data: a CI step group whose Run step pulls its image
    through ``<+matrix.connector>``, once per reference."""
    template: dict[str, Any] = {
        "name": "acr-fleet registries",
        "identifier": spec.identifier,
        "versionLabel": spec.version_label,
        "type": "StepGroup",
    }
    if scope.org_id is not None:
        template["orgIdentifier"] = scope.org_id
    if scope.project_id is not None:
        template["projectIdentifier"] = scope.project_id
    template["tags"] = {"managed-by": "acr-fleet"}
    template["spec"] = {
        "stageType": "CI",
        "steps": [
            {
                "step": {
                    "type": "Run",
                    "name": "Use connector",
                    "identifier": STEP_IDENTIFIER,
                    "spec": {
                        "connectorRef": f"<+matrix.{MATRIX_AXIS}>",
                        "image": spec.image,
                        "shell": "Sh",
                        "command": spec.command,
                    },
                }
            }
        ],
        "strategy": {
            "matrix": {MATRIX_AXIS: list(references), "maxConcurrency": len(references)},
        },
    }
    return {"template": template}


def template_yaml(document: dict[str, Any]) -> str:
    """YAML text of a template document, keys in the order Harness shows them."""
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


@dataclasses.dataclass(frozen=True)
class PipelineTemplateArgs:
    """Inputs of the template."""

    spec: PipelineTemplateSpec
    """Identifier, version label, image and command from the configuration."""
    scope: HarnessScope
    """Scope the template is created at: the stack's connector scope."""
    connector_references: Sequence[str]
    """References to every connector of the stack, from the pipeline scope."""


class PipelineTemplate(pulumi.ComponentResource):
    """One Harness step group template looping over the stack's connectors."""

    template_yaml: str
    """The YAML sent to Harness (known before apply)."""
    template_ref: pulumi.Output[str]
    """Identifier of the template."""

    def __init__(
        self,
        name: str,
        args: PipelineTemplateArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:template:PipelineTemplate", name, None, opts)
        self.template_yaml = template_yaml(
            template_document(args.spec, args.scope, args.connector_references)
        )
        template = platform.Template(
            f"{name}-step-group",
            identifier=args.spec.identifier,
            name="acr-fleet registries",
            version=args.spec.version_label,
            is_stable=True,
            template_yaml=self.template_yaml,
            tags=["managed-by:acr-fleet"],
            org_id=args.scope.org_id,
            project_id=args.scope.project_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.template_ref = template.identifier
        self.register_outputs({"template_ref": self.template_ref})
