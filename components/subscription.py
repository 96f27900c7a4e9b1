"""SubscriptionRegistries: everything acr-fleet manages in one subscription."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import resources

from components import naming
from components.access import RegistryAccess, RegistryAccessArgs, RoleGrant
from components.config import HarnessSettings, IdentitySettings, SubscriptionSpec
from components.harness import DockerRegistryTarget, HarnessConnectors, HarnessConnectorsArgs
from components.harness_scope import HarnessScope
from components.identity import RegistryIdentity, RegistryIdentityArgs
from components.registry import ContainerRegistry, ContainerRegistryArgs
from components.roles import role_for_access


@dataclasses.dataclass(frozen=True)
class SubscriptionRegistriesArgs:
    """Inputs of one subscription's slice of the fleet."""

    subscription: SubscriptionSpec
    """The validated subscription block from the stack's configuration."""
    identity: IdentitySettings
    """Identity settings in force for this subscription."""
    harness: HarnessSettings
    """Harness account, scope and secret manager."""
    pipeline_scope: HarnessScope
    """Scope pipelines run at; connector references are computed from there."""
    application_display_name: str
    """Display name of the subscription's Entra application."""
    tags: Mapping[str, str]
    """Tags for every Azure resource that takes tags."""
    protect_registries: bool = True
    """Pulumi-protect registries that do not say otherwise."""
    lock_registries: bool = False
    """Put a CanNotDelete lock on registries that do not say otherwise."""


class SubscriptionRegistries(pulumi.ComponentResource):
    """One subscription: its provider, resource groups, registries, identity,
    role assignments and Harness connectors.

    The caller passes the azuread provider of the subscription's tenant and the
    stack's Harness provider through ``opts.providers``; this component owns the
    subscription's azure-native provider and hands it to every Azure child.
    """

    registries: pulumi.Output[dict[str, dict[str, str]]]
    """Per registry key: name, login server and resource id."""
    client_id: pulumi.Output[str]
    """Application (client) id of the subscription's identity."""
    azure_connector_ref: pulumi.Output[str]
    """Reference to the Azure connector from the pipeline scope."""
    docker_connector_refs: pulumi.Output[dict[str, str]]
    """References to the Docker connectors, by registry key."""

    def __init__(
        self,
        name: str,
        args: SubscriptionRegistriesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:fleet:SubscriptionRegistries", name, None, opts)
        spec = args.subscription
        self._azure = azure_native.Provider(
            f"{name}-azure",
            subscription_id=spec.subscription_id,
            tenant_id=spec.tenant_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        group_names = self._create_resource_groups(name, spec, args.tags)
        registries = {
            registry.logical_key: ContainerRegistry(
                naming.resource_name(name, registry.logical_key),
                ContainerRegistryArgs(
                    registry_name=registry.name,
                    resource_group_name=group_names[registry.resource_group.lower()],
                    location=registry.location
                    or spec.resource_group(registry.resource_group).location,
                    sku=registry.sku,
                    tags={**args.tags, **registry.tags},
                    protect=args.protect_registries
                    if registry.protect is None
                    else registry.protect,
                    lock=args.lock_registries if registry.lock is None else registry.lock,
                ),
                # Children are named after their parent, so the engine carries this
                # alias down to them (the new name's prefix becomes the old one).
                opts=self._azure_child(
                    naming.previous_name(name, registry.logical_key, registry.previous_key)
                ),
            )
            for registry in spec.registries
        }
        identity = RegistryIdentity(
            f"{name}-identity",
            RegistryIdentityArgs(
                display_name=args.application_display_name,
                password_end_date=args.identity.password_end_date_rfc3339,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        RegistryAccess(
            f"{name}-access",
            RegistryAccessArgs(
                subscription_id=spec.subscription_id,
                principal_id=identity.principal_id,
                grants=[
                    RoleGrant(
                        key=registry.logical_key,
                        scope=registries[registry.logical_key].resource_id,
                        role=role_for_access(registry.access),
                        previous_key=registry.previous_key,
                    )
                    for registry in spec.registries
                ],
            ),
            opts=self._azure_child(),
        )
        connectors = HarnessConnectors(
            f"{name}-harness",
            HarnessConnectorsArgs(
                subscription_key=spec.key,
                display_name=spec.display_name or spec.key,
                scope=args.harness.scope,
                pipeline_scope=args.pipeline_scope,
                secret_manager=args.harness.secret_manager,
                delegate_selectors=args.harness.delegate_selectors,
                tenant_id=spec.tenant_id,
                client_id=identity.client_id,
                client_secret=identity.client_secret,
                docker_registries=[
                    DockerRegistryTarget(
                        key=registry.logical_key,
                        registry_name=registry.name,
                        login_server=registries[registry.logical_key].login_server,
                        previous_key=registry.previous_key,
                    )
                    for registry in spec.registries
                    if registry.docker_connector
                ],
                tags=["managed-by:acr-fleet", f"subscription:{spec.key}"],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.registries = pulumi.Output.all(
            **{
                key: pulumi.Output.all(
                    name=registry.registry_name,
                    loginServer=registry.login_server,
                    resourceId=registry.resource_id,
                )
                for key, registry in registries.items()
            }
        )
        self.client_id = identity.client_id
        self.azure_connector_ref = connectors.azure_connector_ref
        self.docker_connector_refs = connectors.docker_connector_refs
        self.register_outputs(
            {
                "registries": self.registries,
                "client_id": self.client_id,
                "azure_connector_ref": self.azure_connector_ref,
                "docker_connector_refs": self.docker_connector_refs,
            }
        )

    def _azure_child(self, previous_name: str | None = None) -> pulumi.ResourceOptions:
        """Options for a child component whose Azure resources use this
        subscription's provider, aliased to its name before a rename if any."""
        return pulumi.ResourceOptions(
            parent=self,
            providers={"azure-native": self._azure},
            aliases=[pulumi.Alias(name=previous_name)] if previous_name else None,
        )

    def _create_resource_groups(
        self, name: str, spec: SubscriptionSpec, tags: Mapping[str, str]
    ) -> dict[str, pulumi.Input[str]]:
        """Create the groups not marked existing; map every lower-cased group
        name to the name registries should use."""
        names: dict[str, pulumi.Input[str]] = {}
        for group in spec.resource_groups:
            if group.existing:
                names[group.name.lower()] = group.name
                continue
            created = resources.ResourceGroup(
                naming.resource_name(name, "rg", group.name.lower()),
                resource_group_name=group.name,
                location=group.location,
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self, provider=self._azure),
            )
            names[group.name.lower()] = created.name
        return names
