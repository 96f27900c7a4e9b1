"""acr-fleet's policies, as pure functions over one resource.

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
from typing import Any, Final, Literal


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
_TENANT_ROLE_DEFINITION = re.compile(
    r"^/providers/Microsoft\.Authorization/roleDefinitions/[0-9a-fA-F-]{36}$", re.IGNORECASE
)
_RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?)"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# A Harness reference: an identifier, prefixed account. or org. when the entity
# lives at a wider scope. Secret identifiers may also contain '-'.
_HARNESS_REFERENCE = re.compile(r"^(?:account\.|org\.)?[A-Za-z_][0-9A-Za-z_$-]{0,127}$")
# A field is a credential when one of its words is one of these (password,
# apiKey, privateKeyWo, azureClientSecretKey, ...) and its last word is not one
# of _PLAIN_WORDS (secretManagerIdentifier, keyName, tokenUrl, passwordWoVersion).
# Everything inside a credential field is a credential too, except ...Ref fields
# and plain ones (usernamePassword: {username, passwordRef}).
_CREDENTIAL_WORDS = frozenset({"password", "passwd", "passphrase", "secret", "token", "key"})
_PLAIN_WORDS = frozenset(
    {
        "algorithm",
        "arn",
        "email",
        "id",
        "identifier",
        "name",
        "path",
        "prefix",
        "region",
        "ring",
        "type",
        "url",
        "user",
        "username",
        "version",
    }
)
# Fields pulumi-harness documents as references to a Harness secret although
# their names do not end in Ref, by connector type and path.
_REFERENCE_FIELDS: Final = {
    "harness:platform/vaultConnector:VaultConnector": frozenset({"authToken", "secretId"}),
    "harness:platform/azureKeyVaultConnector:AzureKeyVaultConnector": frozenset({"secretKey"}),
}


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
    """One policy, mandatory unless said otherwise."""

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
    enforcement: Literal["mandatory", "advisory"] = "mandatory"
    """Whether a violation stops the update or is only reported."""

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


def is_connector(type_token: str) -> bool:
    """True for every Harness connector type: module ``platform`` and a type name
    containing 'connector' in any case.

    The provider names connectors both ways round (``DockerConnector``,
    ``ConnectorJdbc``), and each release adds some; a pattern keeps up with them
    where a list copied from one SDK version would silently miss the next one's.
    tests/policy checks it against every resource type of the installed SDK."""
    package, _, rest = type_token.partition(":")
    module, _, name = rest.partition(":")
    return (
        package == "harness"
        and module.split("/", 1)[0] == "platform"
        and "connector" in name.lower()
    )


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
    if principal_type is not UNKNOWN and principal_type != "ServicePrincipal":
        problems.append(
            f"principalType must be ServicePrincipal (got {principal_type!r}): acr-fleet "
            "assigns roles only to service principals and managed identities, and a "
            "principal created seconds earlier is otherwise reported not found."
        )
    definition, scope = props.get("roleDefinitionId"), props.get("scope")
    scope_missing = scope is None or (isinstance(scope, str) and not scope.strip())
    if scope_missing:
        problems.append("scope must be set to the registry, resource group or vault granted.")
    if definition is UNKNOWN or scope is UNKNOWN:
        return problems
    if _TENANT_ROLE_DEFINITION.match(str(definition or "")):
        return [
            *problems,
            f"roleDefinitionId {definition!r} is in the tenant form; acr-fleet builds "
            "/subscriptions/<subscription>/providers/Microsoft.Authorization/roleDefinitions/"
            "<guid> in the scope's subscription, or the id differs on every preview.",
        ]
    match = _ROLE_DEFINITION.match(str(definition or ""))
    guid = match["guid"].lower() if match else None
    if guid not in ALLOWED_ROLES:
        allowed = ", ".join(sorted(ALLOWED_ROLES.values()))
        return [
            *problems,
            f"roleDefinitionId {definition!r} is not one of the roles acr-fleet grants "
            f"({allowed}).",
        ]
    if scope_missing:
        return problems
    role = ALLOWED_ROLES[guid]
    kind = scope_kind(str(scope))
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


def parse_rfc3339(text: str) -> datetime.datetime | None:
    """The instant an RFC 3339 date-time names (T or t, Z or z or an offset, any
    fraction of a second), or None when ``text`` is not one."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    offset = "+00:00" if match["offset"] in ("Z", "z") else match["offset"]
    try:
        return datetime.datetime.fromisoformat(f"{match['date']}T{match['time']}{offset}")
    except ValueError:  # a day or an hour out of range
        return None


def _end_date(props: Mapping[str, Any]) -> datetime.datetime | None:
    """A password's parsed endDate; None when it is unknown, missing or malformed
    (application-password-max-lifetime reports those)."""
    end = props.get("endDate")
    return parse_rfc3339(end) if isinstance(end, str) else None


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
    end_date = parse_rfc3339(end)
    if end_date is None:
        return [
            "endDate must be an RFC 3339 date-time with a time zone, such as "
            f"2027-06-30T00:00:00Z or 2027-06-30T02:00:00+02:00 (got {end!r})."
        ]
    latest = context.now + datetime.timedelta(days=maximum)
    if end_date > latest:
        return [
            f"endDate {end} is more than {maximum} days ahead; set it on or before "
            f"{latest:%Y-%m-%d} (policy config maxLifetimeDays)."
        ]
    return []


def _password_not_expired(resource: Resource, context: Context) -> list[str]:
    end_date = _end_date(resource.props)
    if end_date is None or end_date > context.now:
        return []
    return [
        f"endDate {resource.props['endDate']} has passed (the policy ran at "
        f"{context.now.isoformat(timespec='seconds')}): an expired password no longer "
        "signs in, so Harness loses access; set a new end date in config to rotate it."
    ]


def _password_expiry_near(resource: Resource, context: Context) -> list[str]:
    end_date = _end_date(resource.props)
    days = int(context.config["warningDays"])
    soon = context.now + datetime.timedelta(days=days)
    if end_date is None or not context.now < end_date <= soon:
        return []
    return [
        f"endDate {resource.props['endDate']} is less than {days} days away; set a later "
        "end date in config to rotate the password before Harness loses access."
    ]


# --- Harness ---------------------------------------------------------------------------


def _words(key: str) -> list[str]:
    """A field name's words, lower-cased: 'privateKeyRef' -> ['private', 'key', 'ref']."""
    return [
        word.lower()
        for part in key.split("_")
        for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", part)
    ]


def _field_kind(key: str) -> str:
    """'reference' for a ...Ref field, 'credential' for a field that holds (or
    groups) a password, token, key or secret, 'plain' for a name, identifier,
    URL or similar that never does, and '' for anything else."""
    words = _words(key)
    if not words:
        return ""
    if words[-1] == "ref":
        return "reference"
    if words[-1] in _PLAIN_WORDS:
        return "plain"
    if any(word in _CREDENTIAL_WORDS for word in words):
        return "credential"
    return ""


def _reference_problems(path: str, value: Any) -> Iterator[str]:
    if value is UNKNOWN or value is None:
        return
    if not isinstance(value, str) or not _HARNESS_REFERENCE.fullmatch(value):
        yield (
            f"{path} must reference a Harness secret by identifier, optionally "
            f"prefixed account. or org. (got something else)."
        )


def _inline_credentials(
    value: Any, path: str, in_credential: bool, references: frozenset[str]
) -> Iterator[str]:
    """Problems with every credential under ``value``: a literal anywhere inside a
    credential field (however deeply nested in objects and lists), and a
    reference field that does not hold a Harness reference."""
    if value is UNKNOWN or value is None or isinstance(value, bool):
        return
    if isinstance(value, Mapping):
        for key in value:
            item_path = f"{path}.{key}" if path else str(key)
            kind = "reference" if item_path in references else _field_kind(str(key))
            if kind == "reference":
                yield from _reference_problems(item_path, value[key])
            else:
                inside = kind == "credential" or (in_credential and kind != "plain")
                yield from _inline_credentials(value[key], item_path, inside, references)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _inline_credentials(item, f"{path}[{index}]", in_credential, references)
    elif in_credential:
        yield (
            f"{path} holds a credential inline; store it as a Harness secret and "
            f"reference it through a ...Ref field."
        )


def _connector_secrets(resource: Resource, _: Context) -> list[str]:
    references = _REFERENCE_FIELDS.get(resource.type, frozenset())
    return list(_inline_credentials(resource.props, "", False, references))


def _prod_delegates(resource: Resource, context: Context) -> list[str]:
    if resource.stack not in context.config["productionStacks"]:
        return []
    problems = []
    if resource.props.get("executeOnDelegate") is False:
        problems.append(
            f"executeOnDelegate must not be false in the {resource.stack} stack: "
            "production connectors run on delegates, never on the Harness platform."
        )
    selectors = resource.props.get("delegateSelectors")
    if selectors is UNKNOWN:
        return problems
    if not selectors:
        problems.append(
            f"delegateSelectors must name at least one delegate in the {resource.stack} stack "
            "(acr-fleet:harness.delegateSelectors)."
        )
        return problems
    if not isinstance(selectors, list):
        return [
            *problems,
            f"delegateSelectors must be a list of delegate tags (got {selectors!r}).",
        ]
    for index, selector in enumerate(selectors):
        if selector is not UNKNOWN and (not isinstance(selector, str) or not selector.strip()):
            problems.append(
                f"delegateSelectors[{index}] must name a delegate tag (got {selector!r}): "
                "an empty selector matches no delegate."
            )
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
        name="application-password-not-expired",
        description="Application passwords end after the time the policy runs.",
        applies=lambda t: t == PASSWORD_TYPE,
        check=_password_not_expired,
    ),
    Rule(
        name="application-password-expiry-warning",
        description="Application passwords ending within warningDays are reported (advisory).",
        applies=lambda t: t == PASSWORD_TYPE,
        check=_password_expiry_near,
        config_schema={
            "warningDays": {"type": "integer", "minimum": 1, "default": 30},
        },
        enforcement="advisory",
    ),
    Rule(
        name="harness-connectors-reference-secrets",
        description="Harness connectors reference Harness secrets and hold no credential inline.",
        applies=is_connector,
        check=_connector_secrets,
    ),
    Rule(
        name="harness-prod-connectors-use-delegates",
        description="Harness connectors of production stacks run on selected delegates.",
        applies=is_connector,
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
"""Every rule, in the order the pack lists them."""


def violations(
    resource: Resource,
    now: datetime.datetime,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[tuple[str, str]]:
    """(rule name, message) of every mandatory rule ``resource`` breaks; ``config``
    maps rule names to their configuration."""
    found = []
    for rule in RULES:
        if rule.enforcement != "mandatory":
            continue
        for message in rule.violations(resource, (config or {}).get(rule.name, {}), now):
            found.append((rule.name, message))
    return found
