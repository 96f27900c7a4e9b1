"""SubscriptionRegistries: everything acr-fleet manages in one subscription."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import resources

from components import federation, naming
from components.access import RegistryAccess, RegistryAccessArgs, RoleGrant
from components.config import (
    HarnessImageMirrorSpec,
    HarnessSettings,
    IdentitySettings,
    RegistrySpec,
    SubscriptionSpec,
)
from components.existing_registry import ExistingRegistry, ExistingRegistryArgs
from components.harness import DockerRegistryTarget, HarnessConnectors, HarnessConnectorsArgs
from components.harness_scope import ACCOUNT, HarnessScope
from components.identity import RegistryIdentity, RegistryIdentityArgs
from components.managed_identity import ManagedRegistryIdentity, ManagedRegistryIdentityArgs
from components.mirror import HarnessImageMirror, HarnessImageMirrorArgs
from components.registry import ContainerRegistry, ContainerRegistryArgs
from components.registry_features import RegistryFeatures
from components.roles import Role, role_for_access


@dataclasses.dataclass(frozen=True)
class _ResourceGroup:
    """A resource group as registries and role assignments refer to it."""

    name: str
    """Its name, as the resourceGroups entry writes it."""
    resource_id: pulumi.Input[str]
    """Its ARM id: the scope of Reader for listable registries."""
    resource: pulumi.Resource | None
    """The group when this program creates it: a registry or identity in it waits
    for it. Their children (replicas, federated credentials) wait only for their
    parent resource, which already waits for the group."""


@dataclasses.dataclass(frozen=True)
class _Identity:
    """What the rest of the subscription needs from its identity."""

    client_id: pulumi.Output[str]
    """Client id Harness signs in as."""
    principal_id: pulumi.Output[str]
    """Principal (object) id role assignments name."""
    client_secret: pulumi.Output[str] | None
    """The newer client secret, a Pulumi secret; None when there is none."""
    federated_credential: pulumi.Resource | None
    """The credential trusting Harness' OIDC tokens; None without OIDC."""


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
    """Display name of the subscription's Entra application, and the Azure name
    of its managed identity."""
    tags: Mapping[str, str]
    """Tags for every Azure resource that takes tags."""
    connector_scope: HarnessScope
    """Scope the subscription's Harness secret and connectors are created at."""
    mirror: HarnessImageMirrorSpec | None = None
    """The stack's harnessImage mirror, when its registry is in this subscription."""
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
        groups = self._create_resource_groups(name, spec, args.tags)
        registries = {
            registry.logical_key: self._create_registry(name, spec, registry, groups, args)
            for registry in spec.registries
        }
        identity = self._create_identity(name, args, groups)
        RegistryAccess(
            f"{name}-access",
            RegistryAccessArgs(
                subscription_id=spec.subscription_id,
                principal_id=identity.principal_id,
                grants=self._grants(spec, registries, groups),
            ),
            opts=self._azure_child(),
        )
        connectors = HarnessConnectors(
            f"{name}-harness",
            HarnessConnectorsArgs(
                subscription_key=spec.key,
                display_name=spec.display_name or spec.key,
                scope=args.connector_scope,
                pipeline_scope=args.pipeline_scope,
                # Only a client secret is stored; without one the manager is unused.
                secret_manager=args.harness.secret_manager.reference(args.connector_scope)
                if identity.client_secret is not None
                else None,
                delegate_selectors=args.identity.delegate_selectors
                or args.harness.delegate_selectors,
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
                azure_auth=args.identity.auth,
                azure_depends_on=[r for r in (identity.federated_credential,) if r is not None],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.mirror is not None:
            self._create_mirror(name, spec, args, registries[args.mirror.registry], identity)

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

    def _create_identity(
        self, name: str, args: SubscriptionRegistriesArgs, groups: Mapping[str, _ResourceGroup]
    ) -> _Identity:
        """The subscription's application or managed identity, with the client
        secrets and federated credential its auth mode needs."""
        settings = args.identity
        trust = None
        if settings.auth == "oidc":
            trust = federation.for_harness(args.harness.oidc_host, args.harness.account_id)
        if settings.managed:
            if settings.resource_group is None:  # excluded by validation
                raise ValueError(f"{name}: a managed identity needs a resource group")
            group = args.subscription.resource_group(settings.resource_group)
            managed = ManagedRegistryIdentity(
                f"{name}-identity",
                ManagedRegistryIdentityArgs(
                    identity_name=args.application_display_name,
                    resource_group_name=groups[group.name.lower()].name,
                    resource_group=groups[group.name.lower()].resource,
                    location=group.location,
                    tags=args.tags,
                    federation=trust,
                ),
                opts=self._azure_child(),
            )
            return _Identity(
                managed.client_id, managed.principal_id, None, managed.federated_credential
            )
        application = RegistryIdentity(
            f"{name}-identity",
            RegistryIdentityArgs(
                display_name=args.application_display_name,
                passwords=settings.password_policy,
                federation=trust,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return _Identity(
            application.client_id,
            application.principal_id,
            application.client_secret,
            application.federated_credential,
        )

    @staticmethod
    def _grants(
        spec: SubscriptionSpec,
        registries: Mapping[str, ContainerRegistry | ExistingRegistry],
        groups: Mapping[str, _ResourceGroup],
    ) -> list[RoleGrant]:
        """One role per registry (the repository roles in ABAC mode), plus Reader
        once per resource group holding a listable registry."""
        grants = [
            RoleGrant(
                key=registry.logical_key,
                scope=registries[registry.logical_key].resource_id,
                role=role_for_access(registry.access, abac=registry.abac),
                previous_key=registry.previous_key,
            )
            for registry in spec.registries
        ]
        # Lower-cased for the key, as written for the scope: Azure ids keep the
        # group's case, and a lower-cased one would show as drift.
        listed: dict[str, str] = {}
        for registry in spec.registries:
            if registry.listable:
                listed.setdefault(registry.group_name.lower(), registry.group_name)
        grants += [
            RoleGrant(
                # Keys have no '.', so 'reader.<group>' never names a registry's grant.
                key=f"reader.{group}",
                # An adopted registry's group need not be listed in resourceGroups.
                scope=groups[group].resource_id
                if group in groups
                else naming.resource_group_id(spec.subscription_id, written),
                role=Role.READER,
            )
            for group, written in sorted(listed.items())
        ]
        return grants

    def _azure_child(self, previous_name: str | None = None) -> pulumi.ResourceOptions:
        """Options for a child component whose Azure resources use this
        subscription's provider, aliased to its name before a rename if any."""
        return pulumi.ResourceOptions(
            parent=self,
            providers={"azure-native": self._azure},
            aliases=[pulumi.Alias(name=previous_name)] if previous_name else None,
        )

    def _create_registry(
        self,
        name: str,
        spec: SubscriptionSpec,
        registry: RegistrySpec,
        groups: Mapping[str, _ResourceGroup],
        args: SubscriptionRegistriesArgs,
    ) -> ContainerRegistry | ExistingRegistry:
        """A managed registry (created or imported), or a lookup of an adopted one."""
        resource_name = naming.resource_name(name, registry.logical_key)
        # Children are named after their parent, so the engine carries this
        # alias down to them (the new name's prefix becomes the old one).
        previous = naming.previous_name(name, registry.logical_key, registry.previous_key)
        if registry.existing:
            return ExistingRegistry(
                resource_name,
                ExistingRegistryArgs(
                    registry_name=registry.name,
                    resource_group_name=registry.group_name,
                    provider=self._azure,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self, aliases=[pulumi.Alias(name=previous)] if previous else None
                ),
            )
        if registry.sku is None:  # excluded by validation
            raise LookupError(f"{registry.name} has no sku")
        return ContainerRegistry(
            resource_name,
            ContainerRegistryArgs(
                registry_name=registry.name,
                resource_group_name=groups[registry.group_name.lower()].name,
                resource_group=groups[registry.group_name.lower()].resource,
                location=registry.location or spec.resource_group(registry.group_name).location,
                sku=registry.sku,
                # The registry's own tags win; managed-by and stack cannot be among them.
                tags=naming.merge_tags(args.tags, registry.tags),
                features=RegistryFeatures.from_spec(registry),
                import_id=registry.arm_id(spec.subscription_id) if registry.import_ else None,
                protect=args.protect_registries if registry.protect is None else registry.protect,
                lock=args.lock_registries if registry.lock is None else registry.lock,
            ),
            opts=self._azure_child(previous),
        )

    def _create_mirror(
        self,
        name: str,
        spec: SubscriptionSpec,
        args: SubscriptionRegistriesArgs,
        registry: ContainerRegistry | ExistingRegistry,
        identity: _Identity,
    ) -> HarnessImageMirror:
        """Cache rules in the mirror registry and the harnessImage connector."""
        mirror = args.mirror
        assert mirror is not None
        if identity.client_secret is None:  # excluded by validation
            raise ValueError(f"{name}: the harnessImage mirror needs a client secret")
        registry_spec = next(r for r in spec.registries if r.logical_key == mirror.registry)
        secret_manager = mirror.secret_manager or args.harness.secret_manager
        return HarnessImageMirror(
            f"{name}-mirror",
            HarnessImageMirrorArgs(
                subscription_key=spec.key,
                registry_name=registry.registry_name,
                resource_group_name=registry_spec.group_name,
                login_server=registry.login_server,
                credential_set=mirror.credential_set,
                client_id=identity.client_id,
                client_secret=identity.client_secret,
                secret_manager=secret_manager.reference(ACCOUNT),
                delegate_selectors=args.harness.delegate_selectors,
                tags=["managed-by:acr-fleet", f"subscription:{spec.key}"],
            ),
            opts=self._azure_child(),
        )

    def _create_resource_groups(
        self, name: str, spec: SubscriptionSpec, tags: Mapping[str, str]
    ) -> dict[str, _ResourceGroup]:
        """Create the groups not marked existing; map every lower-cased group
        name to the name and id registries and role assignments should use."""
        groups: dict[str, _ResourceGroup] = {}
        for group in spec.resource_groups:
            if group.existing:
                groups[group.name.lower()] = _ResourceGroup(
                    name=group.name,
                    resource_id=naming.resource_group_id(spec.subscription_id, group.name),
                    resource=None,
                )
                continue
            created = resources.ResourceGroup(
                naming.resource_name(name, "rg", group.name.lower()),
                resource_group_name=group.name,
                location=group.location,
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self, provider=self._azure),
            )
            groups[group.name.lower()] = _ResourceGroup(
                name=group.name, resource_id=created.id, resource=created
            )
        return groups
