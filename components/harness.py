"""HarnessConnectors: a subscription's Harness secret and connectors."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from typing import Literal

import pulumi
from pulumi_harness import platform

from components import federation, naming
from components.harness_scope import HarnessScope, scope_reference

AzureAuth = Literal["secret", "oidc", "delegate"]


def connector_reference(
    identifier: str, connector_scope: HarnessScope, pipeline_scope: HarnessScope
) -> str:
    """How a pipeline at ``pipeline_scope`` names a connector at ``connector_scope``.

    The one source of the references in the stack outputs and in the pipeline
    template's matrix: Harness resolves a template's references in the pipeline
    that uses it, so both are computed from the pipeline scope.
    """
    return scope_reference(identifier, connector_scope, pipeline_scope)


@dataclasses.dataclass(frozen=True)
class DockerRegistryTarget:
    """A registry that gets a Docker connector."""

    key: str
    """Registry's logical key."""
    registry_name: str
    """ACR name, for the connector's display name."""
    login_server: pulumi.Input[str]
    """Host name the connector logs in to."""
    previous_key: str | None = None
    """The registry's key before a rename; the connector keeps its Pulumi identity."""


@dataclasses.dataclass(frozen=True)
class HarnessConnectorsArgs:
    """Inputs of one subscription's Harness entities."""

    subscription_key: str
    """Logical key of the subscription; every identifier derives from it."""
    display_name: str
    """Human-readable subscription name for the connectors' names."""
    scope: HarnessScope
    """Scope the secret and connectors are created at."""
    pipeline_scope: HarnessScope
    """Scope pipelines run at; output references are computed from there."""
    secret_manager: str | None
    """Reference to the secret manager that stores the client secret; None when
    there is no client secret (its scope is then never checked or used)."""
    delegate_selectors: Sequence[str]
    """Delegates that run the connectors' checks and tasks."""
    tenant_id: str
    """Entra tenant of the identity."""
    client_id: pulumi.Input[str]
    """Application (client) id of the identity, or the managed identity's client id."""
    client_secret: pulumi.Input[str] | None
    """The identity's password, a Pulumi secret; None when it has none (no Harness
    secret is created then, and no Docker connector can be)."""
    docker_registries: Sequence[DockerRegistryTarget]
    """Registries that get a Docker connector."""
    tags: Sequence[str]
    """Harness tags, as 'key:value' strings."""
    azure_auth: AzureAuth = "secret"
    """How the Azure connector signs in: the client secret (ManualConfig), an OIDC
    token (OidcAuthentication), or the delegate's user-assigned managed identity
    (InheritFromDelegate)."""
    azure_depends_on: Sequence[pulumi.Resource] = ()
    """Resources the Azure connector waits for, like the federated credential."""


class HarnessConnectors(pulumi.ComponentResource):
    """A text secret with the client secret (when the identity has one), one
    Azure connector, and one Docker connector (type Other) per requested registry."""

    azure_connector_ref: pulumi.Output[str]
    """Reference to the Azure connector from the pipeline scope."""
    docker_connector_refs: pulumi.Output[dict[str, str]]
    """References to the Docker connectors from the pipeline scope, by registry key."""

    def __init__(
        self,
        name: str,
        args: HarnessConnectorsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:harness:HarnessConnectors", name, None, opts)
        self._args = args
        secret_ref = scope_reference(
            naming.client_secret_identifier(args.subscription_key), args.scope, args.scope
        )
        secret = self._create_secret(name) if args.client_secret is not None else None
        if secret is None and (args.azure_auth == "secret" or args.docker_registries):
            # Configuration validation rejects this first; this guards other callers.
            raise ValueError(
                f"{name}: the Azure connector with auth 'secret' and Docker connectors "
                "need a client secret"
            )
        azure = self._create_azure_connector(name, secret, secret_ref)
        dockers = {
            target.key: self._create_docker_connector(name, target, secret, secret_ref)
            for target in args.docker_registries
            if secret is not None
        }
        self.azure_connector_ref = azure.identifier.apply(self._reference)
        # Output.all() of no arguments is a list, not a dict; start from {}.
        pending: dict[str, pulumi.Input[str]] = {
            key: connector.identifier for key, connector in dockers.items()
        }
        # from_input resolves the nested Outputs into plain strings.
        identifiers = typing.cast(pulumi.Output[dict[str, str]], pulumi.Output.from_input(pending))
        self.docker_connector_refs = identifiers.apply(self._references)
        self.register_outputs(
            {
                "azure_connector_ref": self.azure_connector_ref,
                "docker_connector_refs": self.docker_connector_refs,
            }
        )

    def _references(self, identifiers: dict[str, str]) -> dict[str, str]:
        return {key: self._reference(value) for key, value in identifiers.items()}

    def _reference(self, identifier: str) -> str:
        return connector_reference(identifier, self._args.scope, self._args.pipeline_scope)

    def _create_secret(self, name: str) -> platform.SecretText:
        args = self._args
        if args.secret_manager is None:  # the caller passes one with every client secret
            raise ValueError(f"{name}: a client secret needs a secret manager")
        description = (
            "Entra application password, managed by acr-fleet."
            if args.azure_auth == "secret"
            else "Entra application password for Docker connectors only, managed by acr-fleet."
        )
        return platform.SecretText(
            f"{name}-client-secret",
            identifier=naming.client_secret_identifier(args.subscription_key),
            name=naming.client_secret_name(args.display_name),
            description=description,
            secret_manager_identifier=args.secret_manager,
            value_type="Inline",
            value=pulumi.Output.secret(args.client_secret),
            tags=list(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
            org_id=args.scope.org_id,
            project_id=args.scope.project_id,
        )

    def _create_azure_connector(
        self, name: str, secret: platform.SecretText | None, secret_ref: str
    ) -> platform.AzureCloudProviderConnector:
        args = self._args
        depends_on = list(args.azure_depends_on)
        if args.azure_auth == "secret" and secret is not None:
            # The secret must exist before a connector that references it.
            depends_on.append(secret)
        return platform.AzureCloudProviderConnector(
            f"{name}-azure",
            identifier=naming.azure_connector_identifier(args.subscription_key),
            name=naming.azure_connector_name(args.display_name),
            description="Azure access for the subscription's registries, managed by acr-fleet.",
            azure_environment_type="AZURE",
            credentials=self._azure_credentials(secret_ref),
            delegate_selectors=list(args.delegate_selectors),
            # Inheriting from the delegate only works on the delegate.
            execute_on_delegate=args.azure_auth == "delegate" or bool(args.delegate_selectors),
            tags=list(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            org_id=args.scope.org_id,
            project_id=args.scope.project_id,
        )

    def _azure_credentials(
        self, secret_ref: str
    ) -> platform.AzureCloudProviderConnectorCredentialsArgs:
        args = self._args
        if args.azure_auth == "oidc":
            return platform.AzureCloudProviderConnectorCredentialsArgs(
                type="OidcAuthentication",
                azure_oidc_spec=platform.AzureCloudProviderConnectorCredentialsAzureOidcSpecArgs(
                    application_id=args.client_id,
                    tenant_id=args.tenant_id,
                    audience=federation.AUDIENCE,
                ),
            )
        if args.azure_auth == "delegate":
            return platform.AzureCloudProviderConnectorCredentialsArgs(
                type="InheritFromDelegate",
                azure_inherit_from_delegate_details=platform.AzureCloudProviderConnectorCredentialsAzureInheritFromDelegateDetailsArgs(
                    auth=platform.AzureCloudProviderConnectorCredentialsAzureInheritFromDelegateDetailsAuthArgs(
                        type="UserAssignedManagedIdentity",
                        azure_msi_auth_ua=platform.AzureCloudProviderConnectorCredentialsAzureInheritFromDelegateDetailsAuthAzureMsiAuthUaArgs(
                            client_id=args.client_id,
                        ),
                    ),
                ),
            )
        return platform.AzureCloudProviderConnectorCredentialsArgs(
            type="ManualConfig",
            azure_manual_details=platform.AzureCloudProviderConnectorCredentialsAzureManualDetailsArgs(
                application_id=args.client_id,
                tenant_id=args.tenant_id,
                auth=platform.AzureCloudProviderConnectorCredentialsAzureManualDetailsAuthArgs(
                    type="Secret",
                    azure_client_secret_key=platform.AzureCloudProviderConnectorCredentialsAzureManualDetailsAuthAzureClientSecretKeyArgs(
                        secret_ref=secret_ref,
                    ),
                ),
            ),
        )

    def _create_docker_connector(
        self,
        name: str,
        target: DockerRegistryTarget,
        secret: platform.SecretText,
        secret_ref: str,
    ) -> platform.DockerConnector:
        args = self._args
        aliases = (
            [pulumi.Alias(name=f"{name}-docker-{target.previous_key}")]
            if target.previous_key
            else None
        )
        return platform.DockerConnector(
            f"{name}-docker-{target.key}",
            identifier=naming.docker_connector_identifier(args.subscription_key, target.key),
            name=naming.docker_connector_name(target.registry_name),
            description="Docker registry access to an ACR, managed by acr-fleet.",
            type="Other",
            url=pulumi.Output.from_input(target.login_server).apply(lambda host: f"https://{host}"),
            credentials=platform.DockerConnectorCredentialsArgs(
                username=args.client_id,
                password_ref=secret_ref,
            ),
            delegate_selectors=list(args.delegate_selectors),
            execute_on_delegate=bool(args.delegate_selectors),
            tags=list(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secret], aliases=aliases),
            org_id=args.scope.org_id,
            project_id=args.scope.project_id,
        )
