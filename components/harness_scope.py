"""Harness scopes, and the one function that computes references between them.

Harness entities live at account, organization or project scope. An entity is
referenced from its own scope by its bare identifier, from a narrower scope
with an ``org.`` or ``account.`` prefix, and cannot be referenced from a wider
scope or from another organization or project at all.
"""

from __future__ import annotations

import dataclasses
import enum


class ScopeLevel(enum.IntEnum):
    """How wide a scope is; a larger value is narrower."""

    ACCOUNT = 0
    ORG = 1
    PROJECT = 2


class ScopeReferenceError(ValueError):
    """A reference that Harness cannot resolve from the user's scope."""


@dataclasses.dataclass(frozen=True)
class HarnessScope:
    """A Harness scope: the account, one organization, or one project."""

    org_id: str | None = None
    project_id: str | None = None

    def __post_init__(self) -> None:
        if self.project_id is not None and self.org_id is None:
            raise ValueError("a project scope needs its organization (org_id)")

    @property
    def level(self) -> ScopeLevel:
        """Whether this is the account, an organization or a project."""
        if self.project_id is not None:
            return ScopeLevel.PROJECT
        if self.org_id is not None:
            return ScopeLevel.ORG
        return ScopeLevel.ACCOUNT

    def describe(self) -> str:
        """Human-readable form used in error messages."""
        if self.level is ScopeLevel.PROJECT:
            return f"project {self.org_id}/{self.project_id}"
        if self.level is ScopeLevel.ORG:
            return f"organization {self.org_id}"
        return "account"

    def contains(self, other: HarnessScope) -> bool:
        """True when ``other`` is this scope or lies inside it."""
        if self.level is ScopeLevel.ACCOUNT:
            return True
        if self.level is ScopeLevel.ORG:
            return other.org_id == self.org_id
        return other == self


ACCOUNT = HarnessScope()


def scope_reference(identifier: str, entity: HarnessScope, user: HarnessScope) -> str:
    """The string an entity at ``user`` scope uses to refer to ``identifier``
    living at ``entity`` scope.

    Raises ScopeReferenceError when Harness cannot resolve it: the entity is in
    a narrower scope than its user, or in another organization or project.
    """
    if not entity.contains(user):
        raise ScopeReferenceError(
            f"{identifier!r} lives at {entity.describe()} and cannot be referenced "
            f"from {user.describe()}; move it to {user.describe()} or a scope "
            f"that contains it"
        )
    if entity.level is user.level:
        return identifier
    if entity.level is ScopeLevel.ACCOUNT:
        return f"account.{identifier}"
    return f"org.{identifier}"
