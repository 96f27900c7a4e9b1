"""References between Harness scopes, over every pair of scopes."""

from __future__ import annotations

import pytest

from components.harness_scope import ACCOUNT, HarnessScope, ScopeReferenceError, scope_reference

ORG_A = HarnessScope(org_id="a")
ORG_B = HarnessScope(org_id="b")
PROJECT_A1 = HarnessScope(org_id="a", project_id="p1")
PROJECT_A2 = HarnessScope(org_id="a", project_id="p2")
PROJECT_B1 = HarnessScope(org_id="b", project_id="p1")

# (entity scope, user scope, expected reference or None when Harness cannot resolve it)
TABLE = [
    (ACCOUNT, ACCOUNT, "x"),
    (ACCOUNT, ORG_A, "account.x"),
    (ACCOUNT, PROJECT_A1, "account.x"),
    (ORG_A, ACCOUNT, None),
    (ORG_A, ORG_A, "x"),
    (ORG_A, ORG_B, None),
    (ORG_A, PROJECT_A1, "org.x"),
    (ORG_A, PROJECT_B1, None),
    (PROJECT_A1, ACCOUNT, None),
    (PROJECT_A1, ORG_A, None),
    (PROJECT_A1, PROJECT_A1, "x"),
    (PROJECT_A1, PROJECT_A2, None),
    (PROJECT_A1, PROJECT_B1, None),
]


@pytest.mark.parametrize(("entity", "user", "expected"), TABLE)
def test_scope_reference(entity: HarnessScope, user: HarnessScope, expected: str | None) -> None:
    """A reference gets the right prefix, or is rejected when Harness cannot resolve it."""
    if expected is None:
        with pytest.raises(ScopeReferenceError, match="cannot be referenced from"):
            scope_reference("x", entity, user)
    else:
        assert scope_reference("x", entity, user) == expected


def test_project_without_org_is_rejected() -> None:
    """A project scope needs its organization."""
    with pytest.raises(ValueError, match="needs its organization"):
        HarnessScope(project_id="p")


def test_table_covers_every_pair_of_levels() -> None:
    """The table has a row for every (entity level, user level) pair, and the
    rejected rows include a sibling at the same level."""
    pairs = {(entity.level, user.level) for entity, user, _ in TABLE}
    levels = {ACCOUNT.level, ORG_A.level, PROJECT_A1.level}
    assert pairs == {(e, u) for e in levels for u in levels}
    assert (ORG_A, ORG_B, None) in TABLE
    assert (PROJECT_A1, PROJECT_A2, None) in TABLE
