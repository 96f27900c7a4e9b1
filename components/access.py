"""RegistryAccess: the role assignments that let one identity use registries."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pulumi
from pulumi_azure_native import authorization

from components import roles


@dataclasses.dataclass(frozen=True)
class RoleGrant:
    """One role on one scope, named by a stable key."""

    key: str
    """Stable key naming the assignment's Pulumi resource, from config keys."""
    scope: pulumi.Input[str]
    """ARM id the role is granted on: a registry, never anything wider."""
    role: roles.Role
    """Built-in role to grant."""
    previous_key: str | None = None
    """The key before a rename; the assignment keeps its identity through an alias."""


@dataclasses.dataclass(frozen=True)
class RegistryAccessArgs:
    """Inputs of one identity's role assignments."""

    subscription_id: str
    """Subscription of every scope; role definition ids are built in it."""
    principal_id: pulumi.Input[str]
    """Object id of the service principal or managed identity."""
    grants: Sequence[RoleGrant]
    """The roles to assign."""


class RegistryAccess(pulumi.ComponentResource):
    """Role assignments of one principal, one per (scope, role).

    Its Azure children reach the subscription's provider through this
    component's ``providers`` option.
    """

    role_assignment_ids: pulumi.Output[list[str]]
    """ARM ids of the role assignments, in the order of ``grants``."""

    def __init__(
        self,
        name: str,
        args: RegistryAccessArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:access:RegistryAccess", name, None, opts)
        assignments = [
            self._assign(name, args.subscription_id, args.principal_id, grant)
            for grant in args.grants
        ]
        self.role_assignment_ids = pulumi.Output.all(*[a.id for a in assignments])
        self.register_outputs({"role_assignment_ids": self.role_assignment_ids})

    def _assign(
        self,
        name: str,
        subscription_id: str,
        principal_id: pulumi.Input[str],
        grant: RoleGrant,
    ) -> authorization.RoleAssignment:
        definition_id = roles.role_definition_id(subscription_id, grant.role)
        assignment_name = pulumi.Output.all(grant.scope, principal_id).apply(
            lambda values: roles.role_assignment_name(values[0], definition_id, values[1])
        )
        # The name leaves the role out, so a change of access or authorization
        # mode keeps the URN (Azure still replaces the assignment, whose GUID
        # name includes the role).
        aliases = [pulumi.Alias(name=f"{name}-{grant.previous_key}")] if grant.previous_key else []
        return authorization.RoleAssignment(
            f"{name}-{grant.key}",
            role_assignment_name=assignment_name,
            scope=grant.scope,
            role_definition_id=definition_id,
            principal_id=principal_id,
            # Set explicitly: a principal created seconds earlier is otherwise
            # often reported "not found" while Entra replicates it.
            principal_type="ServicePrincipal",
            opts=pulumi.ResourceOptions(parent=self, aliases=aliases),
        )
