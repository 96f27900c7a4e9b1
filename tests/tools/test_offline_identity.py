"""The offline engine names resources and resolves aliases as the real engine does."""

from __future__ import annotations

from tests.conftest import run_config, stack_config
from tools.offline import Graph

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def test_urn_carries_every_ancestor_type(graphs: dict[str, Graph]) -> None:
    """A grandchild's URN names its parent's and grandparent's types, not the stack's."""
    (assignment, *_) = graphs["dev"].by_type(ROLE_ASSIGNMENT)
    chain = assignment.urn.split("::")[2]
    assert chain == (
        "acrfleet:fleet:SubscriptionRegistries$acrfleet:access:RegistryAccess$" + ROLE_ASSIGNMENT
    ), f"Unexpected type chain {chain}."


def test_top_level_urns_leave_out_the_stack_type(graphs: dict[str, Graph]) -> None:
    """Resources parented to the stack have URNs without pulumi:pulumi:Stack in them."""
    assert not any("pulumi:pulumi:Stack$" in r.urn for r in graphs["dev"].resources)


def test_child_inherits_its_parents_alias_with_the_old_name_prefix() -> None:
    """A child named after an aliased parent gets the parent's old name as its alias prefix."""
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][0].update(key="platform-dev", previousKey="shared-dev")
    graph = run_config(raw, stack="dev")
    (application,) = graph.by_type("azuread:index/application:Application")
    assert application.urn.endswith("::platform-dev-identity-app")
    expected = application.urn.replace("::platform-dev-identity-app", "::shared-dev-identity-app")
    assert expected in application.aliases, f"{expected} should be among {application.aliases}."


def test_aliased_rename_keeps_mock_principals_and_role_assignment_names() -> None:
    """A resource renamed through an alias keeps its mock ids, so the role assignments
    that name its principal keep their GUID names, as they would in Azure."""
    raw = stack_config("dev")
    before = run_config(raw, stack="dev")
    raw["acr-fleet:subscriptions"][0].update(key="platform-dev", previousKey="shared-dev")
    after = run_config(raw, stack="dev")

    def assignments(graph: Graph) -> list[tuple[str, str]]:
        return sorted(
            (r.plain_inputs()["roleAssignmentName"], r.plain_inputs()["principalId"])
            for r in graph.by_type(ROLE_ASSIGNMENT)
        )

    assert assignments(after) == assignments(before), (
        "Role assignment names and principals should not change under an aliased rename."
    )
    (old_sp,) = before.by_type("azuread:index/servicePrincipal:ServicePrincipal")
    (new_sp,) = after.by_type("azuread:index/servicePrincipal:ServicePrincipal")
    assert new_sp.name != old_sp.name
    assert new_sp.id == old_sp.id, "The renamed service principal keeps its mock object id."
