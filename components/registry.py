"""ContainerRegistry: one Azure Container Registry with safe defaults."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pulumi
from pulumi_azure_native import authorization, containerregistry

from components.registry_features import RegistryFeatures, registry_properties


@dataclasses.dataclass(frozen=True)
class ContainerRegistryArgs:
    """Inputs of one registry."""

    registry_name: str
    """The ACR's real, globally unique name."""
    resource_group_name: str
    """Resource group the registry lives in."""
    location: str
    """Azure location."""
    sku: str
    """Basic, Standard or Premium."""
    tags: Mapping[str, str]
    """Tags on the registry."""
    features: RegistryFeatures = dataclasses.field(default_factory=RegistryFeatures)
    """SKU-gated settings: replications, zones, retention, network access."""
    import_id: str | None = None
    """ARM id of an existing registry to import instead of creating one."""
    protect: bool = True
    """Pulumi-protect the registry: removing it from config fails the preview."""
    lock: bool = False
    """Also put an Azure CanNotDelete lock on it, against deletion outside Pulumi."""
    resource_group: pulumi.Resource | None = None
    """The group's resource when this stack creates it: the registry waits for it."""


class ContainerRegistry(pulumi.ComponentResource):
    """An ACR with the admin user and anonymous pull disabled, Pulumi-protected
    unless asked otherwise, optionally under an Azure CanNotDelete lock."""

    resource_id: pulumi.Output[str]
    """ARM resource id of the registry: the scope of its role assignments."""
    login_server: pulumi.Output[str]
    """Host name clients log in to, like example.azurecr.io."""
    registry_name: pulumi.Output[str]
    """The registry's name as Azure reports it."""

    def __init__(
        self,
        name: str,
        args: ContainerRegistryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:registry:ContainerRegistry", name, None, opts)
        registry = containerregistry.Registry(
            name,
            registry_name=args.registry_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=containerregistry.SkuArgs(name=args.sku),
            # Credentials go through Entra identities and role assignments only:
            # the admin user is one shared password, anonymous pull is no auth.
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            tags=dict(args.tags),
            **registry_properties(args.features),
            opts=pulumi.ResourceOptions(
                parent=self,
                import_=args.import_id,
                protect=args.protect,
                depends_on=[args.resource_group] if args.resource_group else None,
            ),
        )
        for replica in args.features.replicas:
            containerregistry.Replication(
                f"{name}-replica-{replica.location}",
                # Replication names are 5-50 letters and digits, as locations are.
                replication_name=replica.location,
                registry_name=registry.name,
                resource_group_name=args.resource_group_name,
                location=replica.location,
                zone_redundancy="Enabled" if replica.zone_redundancy else "Disabled",
                region_endpoint_enabled=replica.region_endpoint_enabled,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.lock:
            # Not protected itself: removing the lock is the first step of a
            # deliberate decommission (README, "Decommissioning a registry").
            authorization.ManagementLockByScope(
                f"{name}-lock",
                scope=registry.id,
                level="CanNotDelete",
                lock_name="acr-fleet-can-not-delete",
                notes="Managed by acr-fleet: set lock: false on the registry to remove it.",
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.resource_id = registry.id
        self.login_server = registry.login_server
        self.registry_name = registry.name
        self.register_outputs(
            {
                "resource_id": self.resource_id,
                "login_server": self.login_server,
                "registry_name": self.registry_name,
            }
        )
