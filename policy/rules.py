"""acr-fleet's mandatory policies, as pure functions over one resource.

Each rule looks at a resource's type, its plain inputs (camelCase, as the engine
hands them to a policy pack), its URN (which names the stack) and what is known
about its secrets, and returns the violations it finds. The same functions run
in the real policy pack (``policy/pack.py``, through pulumi-policy) and in the
tests, on every registration of the offline graph of every committed stack.

This module imports nothing from the program: it is a second, independent
statement of what a safe acr-fleet deployment looks like.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final


class _Unknown:
    """A value the engine does not know yet (during preview)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
"""Stands in for an input that is computed only during ``pulumi up``. Rules
skip what they cannot see yet; the engine runs them again before the update."""

# Built-in role definition GUIDs (the same in every tenant), restated here on
# purpose rather than imported from components.roles.
ACR_ROLES: Final = {
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "8311e382-0749-4cb8-b61a-304f252e45ec": "AcrPush",
    "b93aa761-3e63-49ed-ac28-beffa264f7ac": "Container Registry Repository Reader",
    "2a1e307c-b015-4ebd-883e-5b7698a07328": "Container Registry Repository Writer",
}
READER: Final = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
# The harnessImage mirror's credential set reads its Docker Hub secrets from
# Key Vault; that identity gets this role on the vault and nowhere else.
KEY_VAULT_SECRETS_USER: Final = "4633458b-17de-408a-b874-0445c86b69e6"
ALLOWED_ROLES: Final = {
    **ACR_ROLES,
    READER: "Reader",
    KEY_VAULT_SECRETS_USER: "Key Vault Secrets User",
}

REGISTRY_TYPE: Final = "azure-native:containerregistry:Registry"
ROLE_ASSIGNMENT_TYPE: Final = "azure-native:authorization:RoleAssignment"
PASSWORD_TYPE: Final = "azuread:index/applicationPassword:ApplicationPassword"
SECRET_TEXT_TYPE: Final = "harness:platform/secretText:SecretText"

_ARM_SCOPE = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)"
    r"(?:/resourceGroups/(?P<group>[^/]+)"
    r"(?:/providers/(?P<namespace>[^/]+)/(?P<kind>[^/]+)/(?P<name>[^/]+))?)?/?$",
    re.IGNORECASE,
)
_ROLE_DEFINITION = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/providers/Microsoft\.Authorization"
    r"/roleDefinitions/(?P<guid>[0-9a-fA-F-]{36})$",
    re.IGNORECASE,
)
# A Harness reference: an identifier, prefixed account. or org. when the entity
# lives at a wider scope. Secret identifiers may also contain '-'.
_HARNESS_REFERENCE = re.compile(r"^(?:account\.|org\.)?[A-Za-z_][0-9A-Za-z_$-]{0,127}$")
_SECRET_WORDS = ("password", "secret", "token", "apikey", "accesskey", "privatekey", "passphrase")


@dataclasses.dataclass(frozen=True)
class Resource:
    """What a rule sees of one resource."""

    type: str
    """Full Pulumi type token."""
    props: Mapping[str, Any]
    """Inputs, plain (secrets unwrapped), camelCase; UNKNOWN where not yet known."""
    urn: str
    """The resource's URN; names the stack."""
    secret_inputs: frozenset[str] | None = None
    """Top-level inputs known to be Pulumi secrets; None where that cannot be
    seen (pulumi-policy hands packs secrets unwrapped, pulumi/pulumi-policy#241)."""
    secret_outputs: frozenset[str] = frozenset()
    """Outputs the resource registers as always secret (additionalSecretOutputs)."""

    @property
    def stack(self) -> str:
        """The stack the resource belongs to, from its URN."""
        return self.urn.split("::", 1)[0].rsplit(":", 1)[-1]


@dataclasses.dataclass(frozen=True)
class Context:
    """What a rule is told besides the resource."""

    config: Mapping[str, Any]
    """The rule's configuration, defaults filled in."""
    now: datetime.datetime
    """The time the policy runs at (timezone-aware)."""


@dataclasses.dataclass(frozen=True)
class Rule:
    """One mandatory policy."""

    name: str
    """Policy name, as `pulumi preview` reports it."""
    description: str
    """What the policy demands, in one sentence."""
    applies: Callable[[str], bool]
    """Whether the policy looks at resources of this type."""
    check: Callable[[Resource, Context], list[str]]
    """The violations in one resource; empty when it complies."""
    config_schema: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """JSON schema of each configuration property, with its default."""

    @property
    def defaults(self) -> dict[str, Any]:
        """Configuration defaults from the schema."""
        return {key: spec["default"] for key, spec in self.config_schema.items()}

    def violations(
        self, resource: Resource, config: Mapping[str, Any], now: datetime.datetime
    ) -> list[str]:
        """The violations in ``resource``, with ``config`` over the defaults."""
        if not self.applies(resource.type):
            return []
        return self.check(resource, Context(config={**self.defaults, **config}, now=now))


def _is_connector(type_token: str) -> bool:
    return type_token.startswith("harness:platform/") and type_token.endswith("Connector")


# --- registries -----------------------------------------------------------------


def _registry_locked_down(resource: Resource, _: Context) -> list[str]:
    problems = []
    for key in ("adminUserEnabled", "anonymousPullEnabled"):
        value = resource.props.get(key)
        if value is not UNKNOWN and value is not False:
            problems.append(
                f"{key} must be set to false (got {value!r}): registries are reached "
                "through Entra identities and role assignments only."
            )
    return problems


# --- role assignments -------------------------------------------------------------


def scope_kind(scope: str) -> str:
    """What an ARM scope names: 'registry', 'key vault', 'resource group',
    'subscription', 'management group', 'tenant root' or 'other resource'."""
    if scope.strip("/") == "":
        return "tenant root"
    if scope.lower().startswith("/providers/microsoft.management/managementgroups/"):
        return "management group"
    match = _ARM_SCOPE.match(scope)
    if match is None:
        return "other resource"
    if match["namespace"] is not None:
        provider = (match["namespace"].lower(), match["kind"].lower())
        if provider == ("microsoft.containerregistry", "registries"):
            return "registry"
        if provider == ("microsoft.keyvault", "vaults"):
            return "key vault"
        return "other resource"
    return "resource group" if match["group"] is not None else "subscription"


def _role_assignment(resource: Resource, _: Context) -> list[str]:
    props = resource.props
    problems = []
    principal_type = props.get("principalType")
    if principal_type is not UNKNOWN and not principal_type:
        problems.append(
            "principalType must be set (ServicePrincipal for applications and managed "
            "identities): a principal created seconds earlier is otherwise reported not found."
        )
    definition, scope = props.get("roleDefinitionId"), props.get("scope")
    if definition is UNKNOWN or scope is UNKNOWN:
        return problems
    match = _ROLE_DEFINITION.match(str(definition or ""))
    guid = match["guid"].lower() if match else None
    if guid not in ALLOWED_ROLES:
        allowed = ", ".join(sorted(ALLOWED_ROLES.values()))
        return [
            *problems,
            f"roleDefinitionId {definition!r} is not one of the roles acr-fleet grants "
            f"({allowed}).",
        ]
    role = ALLOWED_ROLES[guid]
    kind = scope_kind(str(scope or ""))
    wanted = {READER: "resource group", KEY_VAULT_SECRETS_USER: "key vault"}.get(guid, "registry")
    if kind != wanted:
        problems.append(
            f"{role} may only be assigned at {wanted} scope, never at {kind} scope "
            f"(got scope {scope!r})."
        )
    scope_match = _ARM_SCOPE.match(str(scope))
    if (
        match
        and scope_match
        and match["subscription"].lower() != scope_match["subscription"].lower()
    ):
        problems.append(
            "roleDefinitionId must be built in the scope's subscription "
            f"({scope_match['subscription']}), or it differs on every preview."
        )
    return problems


# --- application passwords ------------------------------------------------------------


def _password_lifetime(resource: Resource, context: Context) -> list[str]:
    props = resource.props
    maximum = int(context.config["maxLifetimeDays"])
    if props.get("endDateRelative") not in (None, UNKNOWN):
        return [
            "endDateRelative must not be used: set endDate to a date from config, so "
            "every run computes the same password."
        ]
    end = props.get("endDate")
    if end is UNKNOWN:
        return []
    if not isinstance(end, str) or not end:
        return [f"endDate must be set, no more than {maximum} days ahead."]
    try:
        end_date = datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return [f"endDate must be an RFC 3339 date with a time zone (got {end!r})."]
    if end_date.tzinfo is None:
        return [f"endDate must carry a time zone (got {end!r})."]
    latest = context.now + datetime.timedelta(days=maximum)
    if end_date > latest:
        return [
            f"endDate {end} is more than {maximum} days ahead; set it on or before "
            f"{latest:%Y-%m-%d} (policy config maxLifetimeDays)."
        ]
    return []


# --- Harness ---------------------------------------------------------------------------


def _secret_fields(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every field that refers to or holds a credential."""
    if isinstance(value, Mapping):
        for key in value:
            item = value[key]
            item_path = f"{path}.{key}" if path else str(key)
            if isinstance(item, Mapping | list):
                yield from _secret_fields(item, item_path)
            elif key.endswith("Ref") or any(word in key.lower() for word in _SECRET_WORDS):
                yield item_path, str(key), item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secret_fields(item, f"{path}[{index}]")


def _connector_secrets(resource: Resource, _: Context) -> list[str]:
    problems = []
    for path, key, value in _secret_fields(resource.props):
        if value is UNKNOWN or value is None:
            continue
        if not key.endswith("Ref"):
            problems.append(
                f"{path} holds a credential inline; store it as a Harness secret and "
                f"reference it through a ...Ref field."
            )
        elif not _HARNESS_REFERENCE.fullmatch(str(value)):
            problems.append(
                f"{path} must reference a Harness secret by identifier, optionally "
                f"prefixed account. or org. (got something else)."
            )
    return problems


def _prod_delegates(resource: Resource, context: Context) -> list[str]:
    if resource.stack not in context.config["productionStacks"]:
        return []
    selectors = resource.props.get("delegateSelectors")
    if selectors is UNKNOWN:
        return []
    problems = []
    if not selectors:
        problems.append(
            f"delegateSelectors must name at least one delegate in the {resource.stack} stack "
            "(acr-fleet:harness.delegateSelectors)."
        )
    if resource.props.get("executeOnDelegate") is False:
        problems.append("executeOnDelegate must not be false when delegates are selected.")
    return problems


def _secret_text_is_secret(resource: Resource, _: Context) -> list[str]:
    if resource.props.get("valueType") != "Inline":
        return []
    problems = []
    if "value" not in resource.secret_outputs:
        problems.append("value must be registered as a secret output (additionalSecretOutputs).")
    if resource.secret_inputs is not None and "value" not in resource.secret_inputs:
        problems.append(
            "value must be a Pulumi secret (pulumi.Output.secret), or it is stored in "
            "plain text in the state and printed by previews."
        )
    return problems


RULES: Final[Sequence[Rule]] = (
    Rule(
        name="registry-admin-and-anonymous-pull-off",
        description="Container registries have the admin user and anonymous pull disabled.",
        applies=lambda t: t == REGISTRY_TYPE,
        check=_registry_locked_down,
    ),
    Rule(
        name="role-assignments-least-privilege",
        description=(
            "Role assignments grant only the ACR roles at registry scope, Reader at "
            "resource-group scope or Key Vault Secrets User on a vault, and set "
            "principalType."
        ),
        applies=lambda t: t == ROLE_ASSIGNMENT_TYPE,
        check=_role_assignment,
    ),
    Rule(
        name="application-password-max-lifetime",
        description="Application passwords end no later than the configured maximum.",
        applies=lambda t: t == PASSWORD_TYPE,
        check=_password_lifetime,
        config_schema={
            "maxLifetimeDays": {"type": "integer", "minimum": 1, "default": 365},
        },
    ),
    Rule(
        name="harness-connectors-reference-secrets",
        description="Harness connectors reference Harness secrets and hold no credential inline.",
        applies=_is_connector,
        check=_connector_secrets,
    ),
    Rule(
        name="harness-prod-connectors-use-delegates",
        description="Harness connectors of production stacks run on selected delegates.",
        applies=_is_connector,
        check=_prod_delegates,
        config_schema={
            "productionStacks": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["prod"],
            },
        },
    ),
    Rule(
        name="harness-secret-value-is-secret",
        description="The value of a Harness inline text secret is a Pulumi secret.",
        applies=lambda t: t == SECRET_TEXT_TYPE,
        check=_secret_text_is_secret,
    ),
)
"""Every mandatory rule, in the order the pack lists them."""


def violations(
    resource: Resource,
    now: datetime.datetime,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[tuple[str, str]]:
    """(rule name, message) of every mandatory rule ``resource`` breaks; ``config``
    maps rule names to their configuration."""
    found = []
    for rule in RULES:
        for message in rule.violations(resource, (config or {}).get(rule.name, {}), now):
            found.append((rule.name, message))
    return found
