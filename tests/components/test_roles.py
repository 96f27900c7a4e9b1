"""Role definitions and deterministic role assignment names."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import roles

SUB = "00000000-0000-0000-0000-0000000000aa"
SCOPE = (
    f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr01"
)


def test_role_definition_id_is_built_in_the_scope_subscription() -> None:
    """The definition id names the given subscription and the role's GUID."""
    assert roles.role_definition_id(SUB.upper(), roles.Role.ACR_PULL) == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
        "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    )


@pytest.mark.parametrize(
    ("access", "abac", "role"),
    [
        ("pull", False, roles.Role.ACR_PULL),
        ("push", False, roles.Role.ACR_PUSH),
        ("pull", True, roles.Role.REPOSITORY_READER),
        ("push", True, roles.Role.REPOSITORY_WRITER),
    ],
)
def test_role_for_access(access: str, abac: bool, role: roles.Role) -> None:
    """Access maps to AcrPull/AcrPush, or the repository roles in ABAC mode."""
    assert roles.role_for_access(access, abac=abac) is role


def test_role_for_unknown_access_is_rejected() -> None:
    """An access other than pull or push is an error."""
    with pytest.raises(ValueError, match="'pull' or 'push'"):
        roles.role_for_access("admin")


def test_assignment_name_ignores_case_and_is_a_guid() -> None:
    """The name is a GUID and does not change with the case of its inputs."""
    definition = roles.role_definition_id(SUB, roles.Role.ACR_PUSH)
    principal = "5ACB74FF-1C9D-5ACF-B33D-349412BB56B6"
    name = roles.role_assignment_name(SCOPE, definition, principal)
    assert uuid.UUID(name).version == 5
    assert name == roles.role_assignment_name(SCOPE.upper(), definition.upper(), principal.lower())


@given(st.text(min_size=1), st.text(min_size=1), st.sampled_from(list(roles.Role)))
def test_assignment_name_changes_with_principal(first: str, second: str, role: roles.Role) -> None:
    """A different principal always gives a different assignment name."""
    definition = roles.role_definition_id(SUB, role)
    same = first.lower() == second.lower()
    names_equal = roles.role_assignment_name(
        SCOPE, definition, first
    ) == roles.role_assignment_name(SCOPE, definition, second)
    assert names_equal is same
