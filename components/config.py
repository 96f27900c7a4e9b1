"""The stack configuration: one typed loader, one frozen model.

``load_fleet`` reads every ``acr-fleet:*`` key of the stack, validates all of
it at once, and returns a ``FleetSpec``. Nothing is registered before it
returns; when configuration is wrong it raises one ``ConfigError`` that lists
every problem with its key path, what was given and what would be accepted.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import ipaddress
import json
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Literal

import pulumi
import pydantic
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from components import naming
from components.harness_scope import ACCOUNT, HarnessScope, ScopeReferenceError, scope_reference

NAMESPACE = "acr-fleet"

# Top-level keys of the stack's config namespace. harnessApiKey is a Pulumi
# secret and never enters the model: __main__ reads it with get_secret so it
# stays an Output secret all the way to the Harness provider.
SECRET_KEYS = frozenset({"harnessApiKey"})

GUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
LOCATION_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,39}$")
HARNESS_ACCOUNT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DELEGATE_SELECTOR_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
TAG_NAME_FORBIDDEN = set("<>%&\\?/")


class ConfigError(pulumi.RunError):
    """Invalid stack configuration: every problem, each with its key path."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = sorted(set(problems), key=_problem_order)
        count = len(self.problems)
        lines = [
            f"{NAMESPACE}: the stack configuration has {count} "
            f"problem{'s' if count != 1 else ''}; nothing was registered:"
        ]
        lines += [f"  - {path}: {message}" for path, message in self.problems]
        super().__init__("\n".join(lines))


def _problem_order(problem: tuple[str, str]) -> tuple[Any, ...]:
    path = problem[0]
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", path) if p)


# --- field types ------------------------------------------------------------


def _check(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    def validate(value: str) -> str:
        reason = problem(value)
        if reason is not None:
            raise ValueError(reason)
        return value

    return validate


def _pattern(pattern: re.Pattern[str], wanted: str) -> Callable[[str], str | None]:
    return lambda value: None if pattern.fullmatch(value) else f"must be {wanted}"


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _guid_problem(value: str) -> str | None:
    if GUID_PATTERN.fullmatch(value):
        return None
    return "must be a GUID like 00000000-0000-0000-0000-000000000000"


Guid = Annotated[str, BeforeValidator(_lower), AfterValidator(_check(_guid_problem))]
Key = Annotated[str, AfterValidator(_check(naming.key_problem))]
AcrName = Annotated[str, AfterValidator(_check(naming.acr_name_problem))]
ResourceGroupName = Annotated[str, AfterValidator(_check(naming.resource_group_problem))]
HarnessIdentifier = Annotated[str, AfterValidator(_check(naming.harness_identifier_problem))]
Location = Annotated[
    str,
    AfterValidator(
        _check(
            _pattern(
                LOCATION_PATTERN,
                "an Azure location name in lower case without spaces, like westeurope or eastus2",
            )
        )
    ),
]
HarnessAccountId = Annotated[
    str,
    AfterValidator(
        _check(
            _pattern(HARNESS_ACCOUNT_PATTERN, "a Harness account id (letters, digits, '-', '_')")
        )
    ),
]
DelegateSelector = Annotated[
    str,
    AfterValidator(
        _check(
            _pattern(
                DELEGATE_SELECTOR_PATTERN,
                "a delegate selector (letters, digits, '-', '_', '.')",
            )
        )
    ),
]


def _tags_problem(tags: dict[str, str]) -> dict[str, str]:
    for name, value in tags.items():
        if not 1 <= len(name) <= 512 or TAG_NAME_FORBIDDEN & set(name):
            raise ValueError(f"tag name {name!r} must be 1-512 characters without < > % & \\ ? /")
        if len(value) > 256:
            raise ValueError(f"tag {name!r} has a value over 256 characters")
    return tags


Tags = Annotated[dict[str, str], AfterValidator(_tags_problem)]
Sku = Literal["Basic", "Standard", "Premium"]
Access = Literal["pull", "push"]


# --- the model ----------------------------------------------------------------


class _Model(pydantic.BaseModel):
    """Frozen, camelCase in YAML, and no unknown keys: a typo is an error."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        strict=False,
    )


class ScopeSpec(_Model):
    """A Harness scope: omit both for the account, orgId for an organization,
    both for a project."""

    org_id: HarnessIdentifier | None = None
    """Organization identifier."""
    project_id: HarnessIdentifier | None = None
    """Project identifier; needs orgId."""

    @property
    def scope(self) -> HarnessScope:
        """This block as a HarnessScope."""
        return HarnessScope(org_id=self.org_id, project_id=self.project_id)


# --- Harness scopes, adopted registries, SKU-gated features, mirror, template ---

BUILTIN_SECRET_MANAGER = "harnessSecretManager"
ACR_RESOURCE_ID_PATTERN = re.compile(
    r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<group>[-\w.()]{1,90})"
    r"/providers/Microsoft\.ContainerRegistry/registries/(?P<name>[A-Za-z0-9]{5,50})$",
    re.ASCII | re.IGNORECASE,
)
KEY_VAULT_ID_PATTERN = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}"
    r"/providers/Microsoft\.KeyVault/vaults/[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$",
    re.ASCII | re.IGNORECASE,
)
KEY_VAULT_SECRET_URI_PATTERN = re.compile(
    r"^https://[a-z0-9-]{3,24}\.vault\.azure\.net/secrets/[A-Za-z0-9-]{1,127}(/[0-9a-f]{32})?$"
)
VERSION_LABEL_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")
# An ACR accepts at most 200 IP rules.
IP_RULES_MAX = 200


def _ipv4_range_problem(value: str) -> str | None:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "must be an IPv4 address or CIDR range without host bits, like 203.0.113.0/24"
    return None


AcrResourceId = Annotated[
    str,
    AfterValidator(
        _check(
            _pattern(
                ACR_RESOURCE_ID_PATTERN,
                "an ACR resource id like /subscriptions/<guid>/resourceGroups/<group>"
                "/providers/Microsoft.ContainerRegistry/registries/<name>",
            )
        )
    ),
]
KeyVaultId = Annotated[
    str,
    AfterValidator(
        _check(
            _pattern(
                KEY_VAULT_ID_PATTERN,
                "a Key Vault resource id like /subscriptions/<guid>/resourceGroups/<group>"
                "/providers/Microsoft.KeyVault/vaults/<name>",
            )
        )
    ),
]
KeyVaultSecretUri = Annotated[
    str,
    AfterValidator(
        _check(
            _pattern(
                KEY_VAULT_SECRET_URI_PATTERN,
                "a Key Vault secret URI like https://<vault>.vault.azure.net/secrets/<name>",
            )
        )
    ),
]
IPv4Range = Annotated[str, AfterValidator(_check(_ipv4_range_problem))]
VersionLabel = Annotated[
    str,
    AfterValidator(
        _check(_pattern(VERSION_LABEL_PATTERN, "a version label (letters, digits, '.', '_', '-')"))
    ),
]


def _secret_manager_shorthand(value: Any) -> Any:
    """A bare identifier names a secret manager at the secret's own scope."""
    if isinstance(value, str):
        # Checked here so the problem is reported at secretManager itself.
        problem = naming.harness_identifier_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return {"identifier": value, "inheritScope": True}
    return value


class SecretManagerSpec(_Model):
    """The secret manager that stores the stack's Harness secrets."""

    identifier: HarnessIdentifier
    """Identifier of the secret manager."""
    org_id: HarnessIdentifier | None = None
    """Organization it lives in; omit both for the account."""
    project_id: HarnessIdentifier | None = None
    """Project it lives in; needs orgId."""
    inherit_scope: bool = False
    """True when it exists at every secret's own scope, as Harness' built-in one
    does; what the bare-string form means."""

    @property
    def scope(self) -> HarnessScope | None:
        """Where the secret manager lives; None when it is at every scope."""
        if self.inherit_scope or self.identifier == BUILTIN_SECRET_MANAGER:
            return None
        return HarnessScope(org_id=self.org_id, project_id=self.project_id)

    def reference(self, secret_scope: HarnessScope) -> str:
        """The identifier a secret at ``secret_scope`` names this secret manager by."""
        scope = self.scope
        if scope is None:
            return self.identifier
        return scope_reference(self.identifier, scope, secret_scope)


class ReplicationSpec(_Model):
    """One geo-replication of a Premium registry."""

    location: Location
    """Azure location of the replica; not the registry's own."""
    zone_redundancy: bool = False
    """Zone redundancy of the replica."""
    region_endpoint_enabled: bool = True
    """False stops routing pulls to this replica while it keeps syncing."""


class CredentialSetSpec(_Model):
    """Docker Hub credentials for the cache rules, kept in Key Vault."""

    username_secret_uri: KeyVaultSecretUri
    """Key Vault secret URI holding the Docker Hub user name."""
    password_secret_uri: KeyVaultSecretUri
    """Key Vault secret URI holding the Docker Hub access token."""
    key_vault_resource_id: KeyVaultId | None = None
    """When set, the credential set's identity gets Key Vault Secrets User on it."""


class HarnessImageMirrorSpec(_Model):
    """Harness' CI images mirrored into one registry, and harnessImage pointed at it."""

    enabled: bool = True
    """False removes the cache rules and releases nothing else (see the README)."""
    subscription: Key
    """Key of the subscription holding the mirror registry."""
    registry: Key
    """Logical key of the mirror registry in that subscription."""
    credential_set: CredentialSetSpec | None = None
    """Docker Hub credentials for the upstream pulls; anonymous pulls without it."""
    secret_manager: (
        Annotated[SecretManagerSpec, BeforeValidator(_secret_manager_shorthand)] | None
    ) = None
    """Secret manager of the account-level mirror secret; harness.secretManager by default."""


class PipelineTemplateSpec(_Model):
    """A Harness step group template that runs once per connector of the stack."""

    identifier: HarnessIdentifier = "acr_fleet_registries"
    """Template identifier."""
    version_label: VersionLabel = "v1"
    """Template version label."""
    image: str = "<+input>"
    """Image the step runs, pulled through each connector; a runtime input by default."""
    command: str = "echo pulled through <+matrix.connector>"
    """Shell command the step runs."""


class HarnessSettings(_Model):
    """Where the stack's Harness secrets and connectors live."""

    account_id: HarnessAccountId
    """Harness account id; also names the account scope in references."""
    org_id: HarnessIdentifier | None = None
    """Organization the connectors and secrets live in; omit for account scope."""
    project_id: HarnessIdentifier | None = None
    """Project the connectors and secrets live in; needs orgId."""
    secret_manager: Annotated[SecretManagerSpec, BeforeValidator(_secret_manager_shorthand)] = (
        pydantic.Field(default_factory=lambda: SecretManagerSpec(identifier=BUILTIN_SECRET_MANAGER))
    )
    """Secret manager that stores the client secrets: a bare identifier (Harness'
    built-in one by default) or ``{identifier, orgId?, projectId?}`` at a given scope."""
    delegate_selectors: tuple[DelegateSelector, ...] = ()
    """Delegates that run the connectors' checks and tasks."""
    endpoint: Annotated[str, Field(pattern=r"^https://[^\s/]+(/[^\s]*)?$")] = (
        "https://app.harness.io/gateway"
    )
    """Harness API endpoint the provider talks to."""

    pipeline_scope: ScopeSpec | None = None
    """Where the pipelines that use the connectors live; output references are
    computed from there. The connectors' own scope by default."""

    @property
    def scope(self) -> HarnessScope:
        """The scope connectors and secrets are created at."""
        return HarnessScope(org_id=self.org_id, project_id=self.project_id)

    @property
    def pipeline_scope_or_default(self) -> HarnessScope:
        """The scope pipelines reference the connectors from."""
        if self.pipeline_scope is None:
            return self.scope
        return self.pipeline_scope.scope


class IdentitySettings(_Model):
    """How a subscription's Entra application is credentialed."""

    password_end_date: datetime.datetime
    """When the application password expires (RFC 3339 with a time zone)."""

    @pydantic.field_validator("password_end_date")
    @classmethod
    def _aware(cls, value: datetime.datetime) -> datetime.datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone, like 2027-06-30T00:00:00Z")
        return value.astimezone(datetime.UTC)

    @property
    def password_end_date_rfc3339(self) -> str:
        """The end date as Entra ID expects it."""
        return self.password_end_date.strftime("%Y-%m-%dT%H:%M:%SZ")


class ResourceGroupSpec(_Model):
    """A resource group registries live in."""

    name: ResourceGroupName
    """Resource group name."""
    location: Location
    """Azure location of the group."""
    existing: bool = False
    """True when the group exists already and must not be created."""


class RegistrySpec(_Model):
    """One Azure Container Registry."""

    name: AcrName
    """The ACR's real name (globally unique, 5-50 letters and digits)."""
    key: Key | None = None
    """Logical key used in resource names; the lower-cased name by default."""
    resource_group: ResourceGroupName | None = None
    """Name of one of the subscription's resourceGroups; for an adopted registry,
    its group. Required unless resourceId names it."""
    location: Location | None = None
    """Azure location; the resource group's by default."""
    sku: Sku | None = None
    """Basic, Standard or Premium; required unless the registry is adopted."""
    access: Access
    """What the subscription's identity may do: pull, or push (which includes pull)."""
    docker_connector: bool = False
    """Also create a Harness Docker connector (type Other) for this registry."""
    tags: Tags = {}
    """Extra tags on the registry."""
    existing: bool = False
    """Adopt an ACR that exists already: no Registry resource, looked up instead."""
    import_: bool = Field(default=False, alias="import")
    """Bring an existing ACR under management (the resource's import option)."""
    resource_id: AcrResourceId | None = None
    """ARM id of the existing ACR, for existing or import."""
    replications: tuple[ReplicationSpec, ...] = ()
    """Geo-replications (Premium)."""
    zone_redundancy: bool = False
    """Zone redundancy of the home region (Premium; fixed at creation)."""
    retention_days: Annotated[int, Field(ge=0, le=365)] | None = None
    """Days untagged manifests are kept before they are purged (Premium)."""
    public_network_access: bool = True
    """False closes the public endpoint (Premium; private endpoints only)."""
    ip_allow_list: tuple[IPv4Range, ...] = ()
    """IPv4 addresses or CIDR ranges allowed in; everything else is denied (Premium)."""

    @property
    def logical_key(self) -> str:
        """Stable key naming this registry's resources."""
        return self.key or naming.registry_key(self.name)

    @property
    def group_name(self) -> str:
        """The registry's resource group, from resourceGroup or resourceId."""
        if self.resource_group is not None:
            return self.resource_group
        if self.resource_id is None:  # excluded by validation
            raise LookupError(self.name)
        return self.resource_id.split("/")[4]

    def arm_id(self, subscription_id: str) -> str:
        """The ARM id the registry has, or will have, in ``subscription_id``."""
        return self.resource_id or naming.registry_resource_id(
            subscription_id, self.group_name, self.name
        )


class SubscriptionSpec(_Model):
    """One Azure subscription, its registries and the identity that reaches them."""

    key: Key
    """Stable logical key; names every resource of this subscription."""
    subscription_id: Guid
    """Azure subscription id."""
    tenant_id: Guid
    """Entra tenant the subscription trusts."""
    display_name: str | None = None
    """Free text shown in Harness; changing it renames nothing."""
    resource_groups: Annotated[tuple[ResourceGroupSpec, ...], Field(min_length=1)]
    """Resource groups the registries live in."""
    registries: Annotated[tuple[RegistrySpec, ...], Field(min_length=1)]
    """The subscription's registries."""
    identity: IdentitySettings | None = None
    """Overrides the stack-level identity block for this subscription."""
    harness: ScopeSpec | None = None
    """Overrides the scope of this subscription's Harness secret and connectors;
    ``{}`` is the account. Must contain the stack's harness scope."""

    def resource_group(self, name: str) -> ResourceGroupSpec:
        """The resource group called ``name`` (case-insensitive, as in Azure)."""
        return next(rg for rg in self.resource_groups if rg.name.lower() == name.lower())


class FleetSpec(_Model):
    """Everything one stack provisions, validated; nothing registered yet."""

    harness: HarnessSettings
    """Harness account and the scope connectors live at."""
    identity: IdentitySettings | None = None
    """Default identity settings for every subscription."""
    subscriptions: Annotated[tuple[SubscriptionSpec, ...], Field(min_length=1)]
    """The subscriptions this stack manages."""
    tags: Tags = {}
    """Tags on every Azure resource that takes tags."""
    harness_image_mirror: HarnessImageMirrorSpec | None = None
    """Mirror of Harness' CI images in one registry, and the harnessImage connector."""
    pipeline_template: PipelineTemplateSpec | None = None
    """Step group template that loops over this stack's connectors."""

    def connector_scope_for(self, subscription: SubscriptionSpec) -> HarnessScope:
        """Scope of the subscription's Harness secret and connectors."""
        if subscription.harness is not None:
            return subscription.harness.scope
        return self.harness.scope

    def mirror_for(self, subscription: SubscriptionSpec) -> HarnessImageMirrorSpec | None:
        """The enabled harnessImage mirror when its registry is in ``subscription``."""
        mirror = self.harness_image_mirror
        if mirror is None or not mirror.enabled or mirror.subscription != subscription.key:
            return None
        return mirror

    def identity_for(self, subscription: SubscriptionSpec) -> IdentitySettings:
        """The identity settings that apply to ``subscription``."""
        settings = subscription.identity or self.identity
        if settings is None:  # excluded by validation
            raise LookupError(subscription.key)
        return settings


TOP_LEVEL_KEYS = (
    frozenset(FleetSpec.model_fields[name].alias or name for name in FleetSpec.model_fields)
    | SECRET_KEYS
)


# --- loading --------------------------------------------------------------------


def load_fleet() -> FleetSpec:
    """Read and validate this stack's ``acr-fleet:*`` configuration."""
    return parse_fleet(_project_config(), secret_keys=_secret_config_keys())


def parse_fleet(raw: Mapping[str, Any], *, secret_keys: frozenset[str] = frozenset()) -> FleetSpec:
    """Validate ``raw`` (top-level keys without the namespace) into a FleetSpec.

    Raises ConfigError listing every problem; values of secret keys are never
    echoed in it.
    """
    problems: list[tuple[str, str]] = []
    for key in sorted(set(raw) - TOP_LEVEL_KEYS):
        problems.append((key, _unknown_key_message(key, TOP_LEVEL_KEYS)))
    data = {key: value for key, value in raw.items() if key in TOP_LEVEL_KEYS - SECRET_KEYS}
    spec: FleetSpec | None = None
    try:
        spec = FleetSpec.model_validate(data)
    except pydantic.ValidationError as error:
        described = [_describe(e, secret_keys) for e in error.errors()]
        problems += [(path, message) for path, message in described if message]
    problems += _cross_checks(data)
    if problems:
        raise ConfigError(problems)
    assert spec is not None
    return spec


def _project_config() -> dict[str, Any]:
    """Every ``acr-fleet:*`` key of the running stack, JSON values decoded.

    The SDK has no public call that lists config keys; the runtime keeps them in
    its config map (set by the engine, or by the offline preview).
    """
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    prefix = NAMESPACE + ":"
    values: dict[str, Any] = {}
    for full_key, value in merged.items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        if isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        values[key] = value
    return values


def _secret_config_keys() -> frozenset[str]:
    from pulumi.runtime import config as runtime_config

    prefix = NAMESPACE + ":"
    keys = set(runtime_config._SECRET_KEYS.get()) | set(runtime_config.get_config_secret_keys_env())
    return frozenset(k[len(prefix) :] for k in keys if k.startswith(prefix)) | SECRET_KEYS


# --- error messages ----------------------------------------------------------------


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: Any, secret_keys: frozenset[str]) -> tuple[str, str]:
    loc = tuple(error["loc"])
    path = _path(loc)
    kind = error["type"]
    given = error.get("input")
    secret = bool(loc) and loc[0] in secret_keys
    got = "" if secret else f" (got {_shown(given)})"
    if kind == "missing":
        return path, "is required"
    if kind == "extra_forbidden":
        return path, _unknown_key_message(str(loc[-1]), _known_keys(loc[:-1]))
    if kind == "literal_error":
        return path, f"must be one of {error['ctx']['expected']}{got}"
    if kind == "value_error":
        message = str(error["ctx"]["error"])
        if "(got" in message:
            return path, message
        return path, f"{message}{got}"
    if kind == "string_pattern_mismatch" and path.endswith("endpoint"):
        return path, f"must be an https:// URL{got}"
    if kind == "too_short":
        # Pydantic also reports a tuple whose items all failed as too short;
        # those items are reported on their own, so only a truly empty list is.
        if isinstance(given, list | tuple) and not given:
            return path, "must not be empty"
        return path, ""
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return path, f"{error['msg'].lower()}{got}"
    return path, f"{error['msg']}{got}"


def _unknown_key_message(key: str, known: frozenset[str] | set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"is not a known key{hint} (known keys here: {', '.join(sorted(known))})"


def _model_of(annotation: Any) -> Any:
    """Unwrap Optional/Annotated/tuple down to the model class, if any."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin is tuple:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _known_keys(loc: tuple[Any, ...]) -> frozenset[str]:
    model: Any = FleetSpec
    for part in loc:
        if isinstance(part, int):
            continue
        by_alias = {f.alias or n: f for n, f in model.model_fields.items()}
        field = by_alias.get(part) or model.model_fields.get(part)
        if field is None:
            return frozenset()
        model = _model_of(field.annotation)
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return frozenset()
    return frozenset(f.alias or n for n, f in model.model_fields.items())


# --- cross-field checks on raw data ----------------------------------------------
#
# These run even when field validation fails, so one run reports a duplicate
# registry and a malformed subscription id together. They read the raw data
# defensively: a wrongly typed value is reported by pydantic, not here.


def _items(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None


def _cross_checks(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    harness = data.get("harness")
    if isinstance(harness, dict):
        problems += _scope_checks(harness)
    problems += _feature_checks(data)

    subscriptions = list(_items(data.get("subscriptions")))
    seen_keys: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    seen_acr: dict[str, str] = {}
    seen_identifiers: dict[str, str] = {}
    seen_resource_names: dict[str, str] = {}
    for s_index, sub in subscriptions:
        s_path = f"subscriptions[{s_index}]"
        key = _text(sub, "key")
        if key is not None:
            _remember(
                problems, seen_keys, key.lower(), f"{s_path}.key", f"subscription key {key!r}"
            )
            if naming.key_problem(key) is None:
                for identifier in (
                    naming.azure_connector_identifier(key),
                    naming.client_secret_identifier(key),
                ):
                    _remember(
                        problems,
                        seen_identifiers,
                        identifier,
                        f"{s_path}.key",
                        f"Harness identifier {identifier!r}",
                    )
        sub_id = _text(sub, "subscriptionId")
        if sub_id is not None:
            _remember(
                problems,
                seen_ids,
                sub_id.lower(),
                f"{s_path}.subscriptionId",
                f"subscription id {sub_id!r}",
            )
        if sub.get("identity") is None and data.get("identity") is None:
            problems.append(
                (
                    f"{s_path}.identity",
                    "is required because the stack sets no top-level identity block",
                )
            )

        group_names: dict[str, str] = {}
        original_names: dict[str, str] = {}
        for g_index, group_block in _items(sub.get("resourceGroups")):
            group_name = _text(group_block, "name")
            if group_name is not None:
                original_names.setdefault(group_name.lower(), group_name)
                _remember(
                    problems,
                    group_names,
                    group_name.lower(),
                    f"{s_path}.resourceGroups[{g_index}].name",
                    f"resource group {group_name!r}",
                )

        registry_keys: dict[str, str] = {}
        for r_index, registry in _items(sub.get("registries")):
            r_path = f"{s_path}.registries[{r_index}]"
            name = _text(registry, "name")
            before = len(problems)
            if name is not None:
                _remember(
                    problems, seen_acr, name.lower(), f"{r_path}.name", f"registry name {name!r}"
                )
            explicit_key = _text(registry, "key")
            r_key = explicit_key or (name.lower() if name else None)
            # A key derived from a duplicate name is the same mistake; say it once.
            if r_key is not None and (explicit_key is not None or len(problems) == before):
                key_before = len(problems)
                _remember(
                    problems,
                    registry_keys,
                    r_key.lower(),
                    f"{r_path}.key",
                    f"registry key {r_key!r}",
                )
                if key is not None and len(problems) == key_before:
                    # Subscription and registry keys join into resource names, so
                    # 'a-b' + 'c' and 'a' + 'b-c' would name the same resources.
                    joined = naming.resource_name(key, r_key).lower()
                    _remember(
                        problems,
                        seen_resource_names,
                        joined,
                        f"{r_path}.key",
                        f"resource name {joined!r}",
                    )
                if (
                    key is not None
                    and naming.key_problem(key) is None
                    and registry.get("dockerConnector")
                ):
                    identifier = naming.docker_connector_identifier(key, r_key)
                    _remember(
                        problems,
                        seen_identifiers,
                        identifier,
                        f"{r_path}.key",
                        f"Harness identifier {identifier!r}",
                    )
            group = _text(registry, "resourceGroup")
            adopted = registry.get("existing") is True
            if group is not None and not adopted and group.lower() not in group_names:
                known = ", ".join(repr(g) for g in original_names.values()) or "none are defined"
                problems.append(
                    (
                        f"{r_path}.resourceGroup",
                        f"{group!r} is not one of this subscription's resourceGroups ({known})",
                    )
                )
    return problems


def _remember(
    problems: list[tuple[str, str]],
    seen: dict[str, str],
    value: str,
    path: str,
    what: str,
) -> None:
    first = seen.setdefault(value, path)
    if first != path:
        problems.append(
            (path, f"{what} is already used at {first}; each must be unique in the stack")
        )


def _scope_of(
    block: Mapping[str, Any], path: str, problems: list[tuple[str, str]]
) -> HarnessScope | None:
    org, project = block.get("orgId"), block.get("projectId")
    if project is not None and org is None:
        problems.append(
            (f"{path}.projectId", f"needs {path}.orgId: a project lives in an organization")
        )
        return None
    if not all(
        v is None or (isinstance(v, str) and naming.harness_identifier_problem(v) is None)
        for v in (org, project)
    ):
        return None  # reported by field validation
    return HarnessScope(org_id=org, project_id=project)


def _scope_checks(harness: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    scope = _scope_of(harness, "harness", problems)
    pipeline = harness.get("pipelineScope")
    if isinstance(pipeline, dict):
        pipeline_scope = _scope_of(pipeline, "harness.pipelineScope", problems)
        if scope is not None and pipeline_scope is not None and not scope.contains(pipeline_scope):
            problems.append(
                (
                    "harness.pipelineScope",
                    f"pipelines at {pipeline_scope.describe()} cannot reference connectors "
                    f"at {scope.describe()}; use that scope or one inside it",
                )
            )
    return problems


# --- cross-field checks: scopes, adopted registries, SKU-gated features, mirror ----

_PREMIUM_FEATURES = (
    ("replications", "geo-replication"),
    ("zoneRedundancy", "zone redundancy"),
    ("retentionDays", "a retention policy"),
    ("publicNetworkAccess", "closing public network access"),
    ("ipAllowList", "IP network rules"),
)


def _feature_checks(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    harness = data.get("harness")
    harness = harness if isinstance(harness, dict) else {}
    # Scope problems of the harness block itself are reported by _scope_checks.
    stack_scope = _scope_of(harness, "harness", [])
    secret_manager = _raw_secret_manager(
        harness.get("secretManager", BUILTIN_SECRET_MANAGER), "harness.secretManager", problems
    )
    subscriptions = list(_items(data.get("subscriptions")))
    for s_index, sub in subscriptions:
        s_path = f"subscriptions[{s_index}]"
        scope = stack_scope
        override = sub.get("harness")
        if isinstance(override, dict):
            scope = _scope_of(override, f"{s_path}.harness", problems)
            if scope is not None and stack_scope is not None and not scope.contains(stack_scope):
                problems.append(
                    (
                        f"{s_path}.harness",
                        f"connectors at {scope.describe()} cannot be referenced from "
                        f"{stack_scope.describe()}, where the stack's template and pipelines "
                        "refer to them; use that scope or a wider one",
                    )
                )
        if scope is not None and secret_manager is not None:
            problem = _secret_manager_problem(secret_manager, scope)
            if problem is not None:
                problems.append(("harness.secretManager", f"{problem} (for {s_path})"))
        groups = {
            name.lower(): block
            for _, block in _items(sub.get("resourceGroups"))
            if (name := _text(block, "name")) is not None
        }
        for r_index, registry in _items(sub.get("registries")):
            r_path = f"{s_path}.registries[{r_index}]"
            problems += _adoption_checks(registry, r_path, sub, groups)
            problems += _sku_checks(registry, r_path, groups)
    mirror = data.get("harnessImageMirror")
    if isinstance(mirror, dict) and mirror.get("enabled") is not False:
        problems += _mirror_checks(mirror, subscriptions, secret_manager)
    return problems


def _raw_secret_manager(
    value: Any, path: str, problems: list[tuple[str, str]]
) -> tuple[str, HarnessScope | None] | None:
    """(identifier, scope or None for every scope) of a raw secretManager value;
    None when it is malformed (field validation reports the rest)."""
    if isinstance(value, str):
        return (value, None) if naming.harness_identifier_problem(value) is None else None
    if not isinstance(value, dict):
        return None
    identifier = value.get("identifier")
    if not isinstance(identifier, str) or naming.harness_identifier_problem(identifier):
        return None
    if value.get("inheritScope") is True or identifier == BUILTIN_SECRET_MANAGER:
        return identifier, None
    scope = _scope_of(value, path, problems)
    return None if scope is None else (identifier, scope)


def _secret_manager_problem(
    secret_manager: tuple[str, HarnessScope | None], secret_scope: HarnessScope
) -> str | None:
    identifier, scope = secret_manager
    if scope is None:
        return None
    try:
        scope_reference(identifier, scope, secret_scope)
    except ScopeReferenceError as error:
        return f"secrets at {secret_scope.describe()} cannot use this secret manager: {error}"
    return None


def _adoption_checks(
    registry: Mapping[str, Any],
    path: str,
    sub: Mapping[str, Any],
    groups: Mapping[str, Mapping[str, Any]],
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    existing = registry.get("existing") is True
    imported = registry.get("import") is True
    resource_id = _text(registry, "resourceId")
    name = _text(registry, "name")
    group = _text(registry, "resourceGroup")
    if existing and imported:
        problems.append(
            (
                f"{path}.import",
                "cannot be combined with existing: true (existing adopts the registry "
                "unmanaged; import brings it under management)",
            )
        )
    if resource_id is not None and not (existing or imported):
        problems.append(
            (
                f"{path}.resourceId",
                "is only used with existing: true or import: true; a new registry gets its id "
                "from Azure",
            )
        )
    match = ACR_RESOURCE_ID_PATTERN.fullmatch(resource_id or "")
    if match is not None:
        sub_id = _text(sub, "subscriptionId")
        for part, given, what in (
            ("subscription", sub_id, "subscriptionId"),
            ("name", name, "name"),
            ("group", group, "resourceGroup"),
        ):
            if given is not None and match[part].lower() != given.lower():
                problems.append(
                    (
                        f"{path}.resourceId",
                        f"names {match[part]!r}, which is not the entry's {what} {given!r}",
                    )
                )
        group = group or match["group"]
    elif "resourceGroup" not in registry and resource_id is None:
        problems.append((f"{path}.resourceGroup", "is required unless resourceId names the group"))
    if registry.get("sku") is None and not existing:
        problems.append(
            (f"{path}.sku", "is required unless the registry is adopted (existing: true)")
        )
    if group is not None and not existing:
        block = groups.get(group.lower())
        if block is None and "resourceGroup" not in registry:
            problems.append(
                (
                    f"{path}.resourceId",
                    f"resource group {group!r} is not one of this subscription's resourceGroups",
                )
            )
        elif block is not None and imported and block.get("existing") is not True:
            problems.append(
                (
                    f"{path}.import",
                    f"imports a registry whose resource group {group!r} this stack would "
                    "create; mark that group existing: true",
                )
            )
    return problems


def _sku_checks(
    registry: Mapping[str, Any], path: str, groups: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    sku = registry.get("sku")
    replications = [item for _, item in _items(registry.get("replications"))]
    ip_rules = registry.get("ipAllowList")
    ip_rules = ip_rules if isinstance(ip_rules, list) else []
    used = {
        "replications": bool(replications),
        "zoneRedundancy": registry.get("zoneRedundancy") is True,
        "retentionDays": registry.get("retentionDays") is not None,
        "publicNetworkAccess": registry.get("publicNetworkAccess") is False,
        "ipAllowList": bool(ip_rules),
    }
    for key, what in _PREMIUM_FEATURES:
        if not used[key]:
            continue
        if registry.get("existing") is True:
            problems.append(
                (
                    f"{path}.{key}",
                    f"sets {what} on an adopted registry (existing: true), which acr-fleet does "
                    "not manage; use import: true to manage its settings",
                )
            )
        elif sku in ("Basic", "Standard"):
            problems.append((f"{path}.{key}", f"{what} needs sku 'Premium' (got {sku!r})"))
    if used["publicNetworkAccess"] and used["ipAllowList"]:
        problems.append(
            (
                f"{path}.ipAllowList",
                "has no effect while publicNetworkAccess is false; keep one of the two",
            )
        )
    if len(ip_rules) > IP_RULES_MAX:
        problems.append(
            (f"{path}.ipAllowList", f"has {len(ip_rules)} entries; an ACR takes {IP_RULES_MAX}")
        )
    group = groups.get((_text(registry, "resourceGroup") or "").lower(), {})
    home = _text(registry, "location") or _text(group, "location")
    seen: dict[str, str] = {}
    for index, replication in _items(registry.get("replications")):
        location = _text(replication, "location")
        if location is None:
            continue
        where = f"{path}.replications[{index}].location"
        if location == home:
            problems.append(
                (where, f"{location!r} is the registry's own location; a replica goes elsewhere")
            )
        _remember(problems, seen, location, where, f"replica location {location!r}")
    return problems


def _mirror_checks(
    mirror: Mapping[str, Any],
    subscriptions: list[tuple[int, dict[str, Any]]],
    secret_manager: tuple[str, HarnessScope | None] | None,
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    sub_key = _text(mirror, "subscription")
    by_key = {key: sub for _, sub in subscriptions if (key := _text(sub, "key")) is not None}
    sub = by_key.get(sub_key) if sub_key is not None else None
    if sub_key is not None and sub is None:
        known = ", ".join(repr(k) for k in by_key) or "none are defined"
        problems.append(
            (
                "harnessImageMirror.subscription",
                f"{sub_key!r} is not a subscription key of this stack ({known})",
            )
        )
    if sub is not None and sub_key is not None and naming.key_problem(sub_key) is None:
        mirror_secret = naming.mirror_secret_identifier(sub_key)
        for other in by_key:
            if naming.key_problem(other) is None and (
                naming.client_secret_identifier(other) == mirror_secret
            ):
                problems.append(
                    (
                        "harnessImageMirror.subscription",
                        f"the mirror's secret identifier {mirror_secret!r} is also subscription "
                        f"{other!r}'s client secret identifier; rename one of the keys",
                    )
                )
    registry_key = _text(mirror, "registry")
    if sub is not None and registry_key is not None:
        keys = [
            _text(r, "key") or (_text(r, "name") or "").lower()
            for _, r in _items(sub.get("registries"))
        ]
        if registry_key not in keys:
            problems.append(
                (
                    "harnessImageMirror.registry",
                    f"{registry_key!r} is not a registry key of subscription {sub_key!r} "
                    f"({', '.join(repr(k) for k in keys)})",
                )
            )
    if "secretManager" in mirror:
        secret_manager = _raw_secret_manager(
            mirror["secretManager"], "harnessImageMirror.secretManager", problems
        )
    if secret_manager is not None:
        problem = _secret_manager_problem(secret_manager, ACCOUNT)
        if problem is not None:
            problems.append(
                (
                    "harnessImageMirror.secretManager",
                    f"harnessImage is an account-level connector, so its secret lives at the "
                    f"account: {problem}; name one at account scope, like harnessSecretManager",
                )
            )
    return problems
