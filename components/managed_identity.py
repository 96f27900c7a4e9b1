"""ManagedRegistryIdentity: a user-assigned managed identity a subscription's
connectors use instead of an Entra application."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pulumi
from pulumi_azure_native import managedidentity

from components.federation import Federation


@dataclasses.dataclass(frozen=True)
class ManagedRegistryIdentityArgs:
    """Inputs of one subscription's managed identity."""

    identity_name: str
    """Azure name of the user-assigned identity."""
    resource_group_name: str
    """Resource group the identity lives in."""
    location: str
    """Azure location of the identity."""
    tags: Mapping[str, str]
    """Tags on the identity."""
    federation: Federation | None = None
    """Harness OIDC tokens the identity trusts; None for no federation."""
    resource_group: pulumi.Resource | None = None
    """The group's resource when this stack creates it: the identity waits for it."""


class ManagedRegistryIdentity(pulumi.ComponentResource):
    """A user-assigned managed identity, with a federated credential when
    Harness signs in with OIDC. It has no client secret.

    Its Azure children reach the subscription's provider through this
    component's ``providers`` option.
    """

    client_id: pulumi.Output[str]
    """Client id of the identity: what Harness signs in as."""
    principal_id: pulumi.Output[str]
    """Object id of the identity's service principal: what role assignments name."""
    resource_id: pulumi.Output[str]
    """ARM id of the identity."""
    federated_credential: pulumi.Resource | None
    """The federated identity credential; None without federation."""

    def __init__(
        self,
        name: str,
        args: ManagedRegistryIdentityArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:identity:ManagedRegistryIdentity", name, None, opts)
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-msi",
            resource_name_=args.identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[args.resource_group] if args.resource_group else None,
            ),
        )
        self.federated_credential = None
        if args.federation is not None:
            self.federated_credential = managedidentity.FederatedIdentityCredential(
                f"{name}-federation",
                federated_identity_credential_resource_name=args.federation.name,
                resource_name_=identity.name,
                resource_group_name=args.resource_group_name,
                issuer=args.federation.issuer,
                subject=args.federation.subject,
                audiences=[args.federation.audience],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.client_id = identity.client_id
        # The identity's principal (object) id, never its client id (FAULTS 2).
        self.principal_id = identity.principal_id
        self.resource_id = identity.id
        self.register_outputs(
            {
                "client_id": self.client_id,
                "principal_id": self.principal_id,
                "resource_id": self.resource_id,
            }
        )
