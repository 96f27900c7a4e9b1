"""Azure built-in roles acr-fleet assigns, and how role assignments are named."""

from __future__ import annotations

import enum
import uuid


class Role(enum.Enum):
    """Built-in roles, by their definition GUIDs (the same in every tenant)."""

    ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    ACR_PUSH = "8311e382-0749-4cb8-b61a-304f252e45ec"
    # In ABAC repository-permissions mode AcrPull/AcrPush are ignored; these
    # take their place.
    REPOSITORY_READER = "b93aa761-3e63-49ed-ac28-beffa264f7ac"
    REPOSITORY_WRITER = "2a1e307c-b015-4ebd-883e-5b7698a07328"
    READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
    # Lets an ACR credential set's identity read its Docker Hub secrets.
    KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"

    @property
    def slug(self) -> str:
        """Short lower-case name used in Pulumi resource names."""
        return self.name.lower().replace("_", "")


# Fixed namespace for role assignment names; changing it would rename (and so
# replace) every role assignment this program has made.
ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("5d0c8f3e-2b7a-4d0e-9a53-acf1ee7a0001")


def role_for_access(access: str, *, abac: bool = False) -> Role:
    """The role that grants ``access`` ('pull' or 'push') on a registry."""
    if access == "pull":
        return Role.REPOSITORY_READER if abac else Role.ACR_PULL
    if access == "push":
        return Role.REPOSITORY_WRITER if abac else Role.ACR_PUSH
    raise ValueError(f"access must be 'pull' or 'push' (got {access!r})")


def role_definition_id(subscription_id: str, role: Role) -> str:
    """Role definition id in ``subscription_id``.

    Built in the subscription of the scope it is assigned on: the same GUID
    under another subscription is a different id to Azure and diffs forever.
    """
    return (
        f"/subscriptions/{subscription_id.lower()}/providers/"
        f"Microsoft.Authorization/roleDefinitions/{role.value}"
    )


def role_assignment_name(scope: str, definition_id: str, principal_id: str) -> str:
    """Deterministic GUID naming one (scope, role, principal) assignment.

    Azure requires a GUID. Seeding it with all three, lower-cased, makes reruns
    idempotent, makes a pre-existing identical assignment the same resource, and
    gives a recreated identity a new assignment rather than a conflict.
    """
    seed = "|".join(part.lower() for part in (scope, definition_id, principal_id))
    return str(uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, seed))
