"""The stack configuration: one typed loader, one frozen model.

``load_fleet`` reads every ``acr-fleet:*`` key of the stack, validates all of
it at once, and returns a ``FleetSpec``. Nothing is registered before it
returns; when configuration is wrong it raises one ``ConfigError`` that lists
every problem with its key path, what was given and what would be accepted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import difflib
import ipaddress
import json
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal

import pulumi
import pydantic
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, Strict
from pydantic.alias_generators import to_camel

from components import federation, naming
from components.harness_scope import ACCOUNT, HarnessScope, ScopeReferenceError, scope_reference
from components.locations import AZURE_LOCATIONS
from components.rotation import SLOTS, PasswordPolicy, RotationSchedule, rfc3339

NAMESPACE = "acr-fleet"

# Top-level keys of the stack's config namespace. harnessApiKey is a Pulumi
# secret and never enters the model: __main__ reads it with get_secret so it
# stays an Output secret all the way to the Harness provider.
SECRET_KEYS = frozenset({"harnessApiKey"})

GUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
DATE_START_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LOCATION_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,39}$")
HARNESS_ACCOUNT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DELEGATE_SELECTOR_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
TAG_NAME_FORBIDDEN = set("<>%&\\?/")
# Azure takes at most 50 tags on a resource, resource group or subscription.
AZURE_TAGS_MAX = 50


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
    # Indexes sort as numbers. A part is an index in one path and a name in
    # another (a tag called '1'), so every part is a (number, name) pair, which
    # always compares; the message orders problems at one path the same every run.
    path, message = problem
    parts = tuple(
        (int(part), "") if part.isascii() and part.isdigit() else (-1, part)
        for part in re.split(r"[.\[\]]+", path)
        if part
    )
    return parts, message


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


# Every scalar is strict: YAML's `yes`, `1` or an unquoted date are not silently
# turned into the type a field wants, so what reaches Azure is what was written.
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]
Guid = Annotated[str, Strict(), BeforeValidator(_lower), AfterValidator(_check(_guid_problem))]
Key = Annotated[str, Strict(), AfterValidator(_check(naming.key_problem))]
AcrName = Annotated[str, Strict(), AfterValidator(_check(naming.acr_name_problem))]
ResourceGroupName = Annotated[str, Strict(), AfterValidator(_check(naming.resource_group_problem))]
HarnessIdentifier = Annotated[
    str, Strict(), AfterValidator(_check(naming.harness_identifier_problem))
]
DisplayName = Annotated[str, Strict(), AfterValidator(_check(naming.display_name_problem))]


def _location_problem(value: str) -> str | None:
    if value in AZURE_LOCATIONS:
        return None
    if not LOCATION_PATTERN.fullmatch(value):
        return (
            "must be an Azure location name in lower case without spaces, "
            "like westeurope or eastus2"
        )
    close = difflib.get_close_matches(value, sorted(AZURE_LOCATIONS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"is not an Azure location{hint} (known names: components/locations.py)"


Location = Annotated[str, Strict(), AfterValidator(_check(_location_problem))]
HarnessAccountId = Annotated[
    str,
    Strict(),
    AfterValidator(
        _check(
            _pattern(HARNESS_ACCOUNT_PATTERN, "a Harness account id (letters, digits, '-', '_')")
        )
    ),
]
DelegateSelector = Annotated[
    str,
    Strict(),
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
    seen: dict[str, str] = {}
    for name, value in tags.items():
        if not 1 <= len(name) <= 512 or TAG_NAME_FORBIDDEN & set(name):
            raise ValueError(f"tag name {name!r} must be 1-512 characters without < > % & \\ ? /")
        if name.lower() in naming.RESERVED_TAGS:
            raise ValueError(f"tag {name!r} is set by acr-fleet itself; remove it")
        if name.lower() in seen:
            raise ValueError(
                f"tags {seen[name.lower()]!r} and {name!r} differ only in case, "
                "which Azure treats as one tag"
            )
        seen[name.lower()] = name
        if len(value) > 256:
            raise ValueError(f"tag {name!r} has a value over 256 characters")
    return tags


Tags = Annotated[dict[str, Text], AfterValidator(_tags_problem)]
Sku = Literal["Basic", "Standard", "Premium"]
Access = Literal["pull", "push"]
IdentityKind = Literal["servicePrincipal", "managedIdentity"]
IdentityAuth = Literal["secret", "oidc", "delegate"]
HarnessHost = Annotated[str, Strict(), AfterValidator(_check(federation.host_problem))]
IDENTITY_KINDS: tuple[str, ...] = typing.get_args(IdentityKind)
IDENTITY_AUTHS: tuple[str, ...] = typing.get_args(IdentityAuth)


def _aware(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a time zone, like 2027-06-30T00:00:00Z")
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:
        # 9999-12-31T23:00:00-05:00 is a valid RFC 3339 date, but not in UTC.
        raise ValueError("must lie after the year 0 and before the year 10000 in UTC") from None


def _date_text(value: Any) -> Any:
    # Dates are written as strings that start with the date: neither an integer
    # nor a string of digits ("0") is silently read as epoch seconds.
    if not isinstance(value, str) or not DATE_START_PATTERN.match(value):
        raise ValueError("must be an RFC 3339 date-time string like 2027-06-30T00:00:00Z")
    return value


AwareDatetime = Annotated[datetime.datetime, BeforeValidator(_date_text), AfterValidator(_aware)]


# --- the model ----------------------------------------------------------------


class _Model(pydantic.BaseModel):
    """Frozen, camelCase in YAML, and no unknown keys: a typo is an error."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        strict=False,
        # Field docstrings become descriptions: "is required" says what to supply.
        use_attribute_docstrings=True,
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
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "must be an IPv4 address or CIDR range without host bits, like 203.0.113.0/24"
    if network.prefixlen == 0:
        return (
            "allows every address, which is no network rule at all; to admit everyone, "
            "remove ipAllowList and leave publicNetworkAccess true (the default)"
        )
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
    if not isinstance(value, dict):
        raise ValueError(
            "must be a secret manager identifier like harnessSecretManager, "
            "or a mapping with identifier, orgId and projectId"
        )
    return value


class SecretManagerSpec(_Model):
    """The secret manager that stores the stack's Harness secrets."""

    identifier: HarnessIdentifier
    """Identifier of the secret manager."""
    org_id: HarnessIdentifier | None = None
    """Organization it lives in; omit both for the account."""
    project_id: HarnessIdentifier | None = None
    """Project it lives in; needs orgId."""
    inherit_scope: Flag = False
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
    zone_redundancy: Flag = False
    """Zone redundancy of the replica."""
    region_endpoint_enabled: Flag = True
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

    enabled: Flag = True
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


def _blank_problem(value: str) -> str | None:
    if value.strip():
        return None
    return "must not be empty: Harness rejects a step with an empty value here"


StepText = Annotated[str, Strict(), AfterValidator(_check(_blank_problem))]


class PipelineTemplateSpec(_Model):
    """A Harness step group template that runs once per connector of the stack."""

    identifier: HarnessIdentifier = "acr_fleet_registries"
    """Template identifier."""
    version_label: VersionLabel = "v1"
    """Template version label."""
    image: StepText = "<+input>"
    """Image the step runs, pulled through each connector; a runtime input by default."""
    command: StepText = "echo pulled through <+matrix.connector>"
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
    endpoint: Annotated[str, Strict(), Field(pattern=r"^https://[^\s/]+(/[^\s]*)?$")] = (
        "https://app.harness.io/gateway"
    )
    """Harness API endpoint the provider talks to."""
    oidc_host: HarnessHost = federation.DEFAULT_HOST
    """Host of the account's Harness cluster, as in its OIDC issuer URL."""

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


class RotationSettings(_Model):
    """Two client secret slots, re-issued on a schedule derived from config alone."""

    start_date: AwareDatetime
    """When rotation epoch 0 begins."""
    period_days: Annotated[int, Strict(), Field(ge=1, le=365)]
    """Days between two rotation epochs."""
    overlap_days: Annotated[int, Strict(), Field(ge=0, le=365)] = 0
    """Days a replaced secret stays valid after the epoch that replaces it."""
    epoch: Annotated[int, Strict(), Field(ge=0)]
    """The rotation epoch in force; raise it by one to rotate."""

    @property
    def schedule(self) -> RotationSchedule:
        """This block as a RotationSchedule."""
        return RotationSchedule(
            start=self.start_date,
            period_days=self.period_days,
            overlap_days=self.overlap_days,
            epoch=self.epoch,
        )


class IdentitySettings(_Model):
    """Which identity a subscription's connectors use, and how it signs in."""

    kind: IdentityKind = "servicePrincipal"
    """An Entra application with its service principal, or a user-assigned
    managed identity."""
    auth: IdentityAuth = "secret"
    """How the Azure connector signs in: a client secret, OIDC federation with
    Harness, or the identity of the delegate (managed identity only)."""
    resource_group: ResourceGroupName | None = None
    """Resource group of the subscription the managed identity lives in."""
    password_end_date: AwareDatetime | None = None
    """When client secrets expire at the latest (RFC 3339 with a time zone)."""
    docker_secret: Flag = False
    """With auth oidc: also issue a client secret, for Docker connectors only."""
    rotation: RotationSettings | None = None
    """Two rotating client secret slots instead of one password."""
    delegate_selectors: tuple[DelegateSelector, ...] = ()
    """Delegates that run this identity's connectors; harness.delegateSelectors
    by default."""

    @property
    def managed(self) -> bool:
        """True for a user-assigned managed identity."""
        return self.kind == "managedIdentity"

    @property
    def issues_password(self) -> bool:
        """True when the identity gets client secrets (and Harness a secret)."""
        return _issues_password(self.kind, self.auth, self.docker_secret)

    @property
    def password_policy(self) -> PasswordPolicy | None:
        """How client secrets are issued; None when there are none."""
        if not self.issues_password or self.password_end_date is None:
            return None
        schedule = self.rotation.schedule if self.rotation is not None else None
        return PasswordPolicy(end_date=self.password_end_date, schedule=schedule)


def _issues_password(kind: str, auth: str, docker_secret: bool) -> bool:
    """Whether an identity of this kind and auth gets client secrets."""
    return kind == "servicePrincipal" and (auth == "secret" or (auth == "oidc" and docker_secret))


class ResourceGroupSpec(_Model):
    """A resource group registries live in."""

    name: ResourceGroupName
    """Resource group name."""
    location: Location
    """Azure location of the group."""
    existing: Flag = False
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
    docker_connector: Flag = False
    """Also create a Harness Docker connector (type Other) for this registry."""
    abac: Flag = False
    """The registry uses ABAC repository permissions: grant the Container
    Registry Repository Reader/Writer roles instead of AcrPull/AcrPush."""
    listable: Flag = False
    """Also grant Reader on the registry's resource group, so the Azure connector
    can list the registry."""
    tags: Tags = {}
    """Extra tags on the registry."""
    existing: Flag = False
    """Adopt an ACR that exists already: no Registry resource, looked up instead."""
    import_: Flag = Field(default=False, alias="import")
    """Bring an existing ACR under management (the resource's import option)."""
    resource_id: AcrResourceId | None = None
    """ARM id of the existing ACR, for existing or import."""
    replications: tuple[ReplicationSpec, ...] = ()
    """Geo-replications (Premium)."""
    zone_redundancy: Flag = False
    """Zone redundancy of the home region (Premium; fixed at creation)."""
    retention_days: Annotated[int, Strict(), Field(ge=0, le=365)] | None = None
    """Days untagged manifests are kept before they are purged (Premium)."""
    public_network_access: Flag = True
    """False closes the public endpoint (Premium; private endpoints only)."""
    ip_allow_list: tuple[IPv4Range, ...] = ()
    """IPv4 addresses or CIDR ranges allowed in; everything else is denied (Premium)."""
    protect: Flag | None = None
    """Pulumi-protect this registry; the stack's protectRegistries by default."""
    lock: Flag | None = None
    """Put an Azure CanNotDelete lock on this registry; the stack's lockRegistries by default."""
    previous_key: Key | None = None
    """The logical key this registry had before a rename: its resources keep
    their identity (Pulumi aliases) instead of being replaced."""

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
    display_name: DisplayName | None = None
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
    previous_key: Key | None = None
    """The key this subscription had before a rename: its resources keep their
    identity (Pulumi aliases) instead of being replaced."""

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

    protect_registries: Flag = True
    """Pulumi-protect every registry, so removing one from config fails the
    preview instead of deleting it. Turn off only for throwaway stacks."""
    lock_registries: Flag = False
    """Put an Azure CanNotDelete management lock on every registry (for prod),
    so nothing outside Pulumi deletes one either."""

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
    return parse_fleet(
        _project_config(),
        secret_keys=_secret_config_keys(),
        project_stack=(pulumi.get_project(), pulumi.get_stack()),
    )


def parse_fleet(
    raw: Mapping[str, Any],
    *,
    secret_keys: frozenset[str] = frozenset(),
    project_stack: tuple[str, str] | None = None,
) -> FleetSpec:
    """Validate ``raw`` (top-level keys without the namespace; a key whose
    namespace misspells it keeps its namespace, and is refused) into a FleetSpec.

    ``project_stack`` also checks the Azure names derived from the project and
    stack names. Raises ConfigError listing every problem; values of secret keys
    are never echoed in it.
    """
    problems: list[tuple[str, str]] = []
    for key in sorted(set(raw) - TOP_LEVEL_KEYS):
        namespace, colon, name = key.partition(":")
        if colon:
            problems.append(
                (
                    key,
                    f"is in namespace {namespace!r}, which nothing reads; write {NAMESPACE}:{name}",
                )
            )
            continue
        problems.append((key, _unknown_key_message(key, TOP_LEVEL_KEYS)))
    for key in sorted((secret_keys & set(raw)) - SECRET_KEYS):
        # The model carries plain values into resource inputs; a secret here
        # would lose its secrecy on the way, so it is refused instead.
        problems.append(
            (
                key,
                "holds a secret (set with --secret or containing secure: values), "
                "but this key is not secret; set it in plain text",
            )
        )
    for key in sorted((SECRET_KEYS & set(raw)) - secret_keys):
        problems.append(
            (
                key,
                "must be stored encrypted: pulumi config set --secret "
                f"{NAMESPACE}:{key} (a plain value would be committed in the stack file)",
            )
        )
    # A key holding a secret is reported above and nowhere else: field
    # validation and cross checks would echo its values in their messages.
    withheld = frozenset(secret_keys & set(raw))
    data = {
        key: value
        for key, value in raw.items()
        if key in TOP_LEVEL_KEYS - SECRET_KEYS and key not in withheld
    }
    spec: FleetSpec | None = None
    try:
        spec = FleetSpec.model_validate(data)
    except pydantic.ValidationError as error:
        described = [
            _describe(e, secret_keys)
            for e in error.errors()
            if not (e["loc"] and e["loc"][0] in withheld)
        ]
        problems += [(path, message) for path, message in described if message]
    problems += _cross_checks(data, withheld)
    if project_stack is not None:
        problems += _managed_identity_name_checks(data, *project_stack)
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
            if _misspells_namespace(full_key.partition(":")[0]):
                # Kept whole, never read: a silently ignored key would drop,
                # say, lockRegistries without a word.
                values[full_key] = None
            continue
        key = full_key[len(prefix) :]
        if isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        values[key] = value
    return values


def _misspells_namespace(namespace: str) -> bool:
    """True for a namespace that is not this project's but reads like it
    ('acrfleet', 'acr_fleet', 'ACR-Fleet'); providers' namespaces do not."""
    if namespace == NAMESPACE:
        return False
    return difflib.SequenceMatcher(None, namespace.lower(), NAMESPACE).ratio() >= 0.8


def _secret_config_keys() -> frozenset[str]:
    from pulumi.runtime import config as runtime_config

    prefix = NAMESPACE + ":"
    keys = set(runtime_config._SECRET_KEYS.get()) | set(runtime_config.get_config_secret_keys_env())
    return frozenset(k[len(prefix) :] for k in keys if k.startswith(prefix))


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
        description = _description(loc)
        return path, f"is required: {description}" if description else "is required"
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
    if kind in _TYPE_WORDS:
        return path, f"must be {_TYPE_WORDS[kind]}{got}"
    if kind in _BOUND_WORDS:
        word, bound = _BOUND_WORDS[kind]
        return path, f"must be {word} {error['ctx'][bound]}{got}"
    wanted = _wanted(kind)
    if wanted is not None:
        return path, f"{wanted}{got}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return path, f"{error['msg'].lower()}{got}"
    return path, f"{error['msg']}{got}"


_TYPE_WORDS = {
    "string_type": "a string (quote it in YAML)",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "datetime_type": "an RFC 3339 date-time string like 2027-06-30T00:00:00Z",
    "datetime_parsing": "an RFC 3339 date-time string like 2027-06-30T00:00:00Z",
    "datetime_from_date_parsing": "an RFC 3339 date-time string like 2027-06-30T00:00:00Z",
}


# Numeric bounds, in the words of the other messages rather than pydantic's.
_BOUND_WORDS = {
    "greater_than_equal": ("at least", "ge"),
    "less_than_equal": ("at most", "le"),
    "greater_than": ("more than", "gt"),
    "less_than": ("less than", "lt"),
}


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


def _field_at(model: Any, part: Any) -> Any:
    """The field of ``model`` a key path part names, by alias or name."""
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return None
    by_alias = {f.alias or n: f for n, f in model.model_fields.items()}
    return by_alias.get(part) or model.model_fields.get(part)


def _model_at(loc: tuple[Any, ...]) -> Any:
    """The model (or other type) the value at key path ``loc`` has."""
    model: Any = FleetSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = _field_at(model, part)
        if field is None:
            return None
        model = _model_of(field.annotation)
    return model


def _known_keys(loc: tuple[Any, ...]) -> frozenset[str]:
    model = _model_at(loc)
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return frozenset()
    return frozenset(f.alias or n for n, f in model.model_fields.items())


def _description(loc: tuple[Any, ...]) -> str | None:
    """The docstring of the field at key path ``loc``, on one line."""
    if not loc:
        return None
    field = _field_at(_model_at(loc[:-1]), loc[-1])
    if field is None or not field.description:
        return None
    return " ".join(field.description.split())


# What pydantic's type errors mean in stack-file terms.
_WANTED = {
    "list": "must be a list",
    "tuple": "must be a list",
    "dict": "must be a mapping of keys to values",
    "model": "must be a mapping of keys to values",
    "model_attributes": "must be a mapping of keys to values",
    "bool": "must be true or false",
    "string": "must be a string",
    "int": "must be a whole number",
    "datetime": "must be an RFC 3339 date and time with a time zone, like 2027-06-30T00:00:00Z",
}


def _wanted(kind: str) -> str | None:
    for suffix in ("_type", "_parsing", "_from_date_parsing"):
        if kind.endswith(suffix) and kind.removesuffix(suffix) in _WANTED:
            return _WANTED[kind.removesuffix(suffix)]
    return None


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


def _cross_checks(
    data: Mapping[str, Any], withheld: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """Checks across keys. ``withheld`` names top-level keys left out of ``data``
    because they hold a secret: unknown, not absent, so nothing that depends on
    them is checked."""
    problems: list[tuple[str, str]] = []
    harness: Mapping[str, Any] | None = data.get("harness")
    if isinstance(harness, dict):
        problems += _scope_checks(harness)
    elif "harness" in withheld:
        harness = None
    else:
        harness = {}
    stack_identity = data.get("identity")
    if isinstance(stack_identity, dict):
        problems += _identity_checks(stack_identity, "identity", harness)
    problems += _feature_checks(data, withheld)

    subscriptions = list(_items(data.get("subscriptions")))
    # A previousKey names resources too (their aliases), so it clashes like a key.
    problems += _prefix_clashes(
        [
            (f"subscriptions[{i}].{field}", _text(sub, field))
            for i, sub in subscriptions
            for field in ("key", "previousKey")
        ],
        "subscription",
    )
    problems += _previous_key_checks(
        [(f"subscriptions[{i}]", sub, _text(sub, "key")) for i, sub in subscriptions],
        "subscription",
    )
    for s_index, sub in subscriptions:
        registries = [
            (f"subscriptions[{s_index}].registries[{r_index}]", registry, _registry_key(registry))
            for r_index, registry in _items(sub.get("registries"))
        ]
        problems += _previous_key_checks(registries, "registry")
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
        if (
            sub.get("identity") is None
            and data.get("identity") is None
            and "identity" not in withheld
        ):
            problems.append(
                (
                    f"{s_path}.identity",
                    "is required because the stack sets no top-level identity block",
                )
            )
        identity = _effective_identity(data, sub, s_path)
        if isinstance(sub.get("identity"), dict):
            problems += _identity_checks(sub["identity"], f"{s_path}.identity", harness)

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

        if identity is not None:
            problems += _identity_group_check(identity, s_path, original_names)

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
            if identity is not None and _flag(registry.get("dockerConnector")):
                problems += _docker_secret_check(identity, f"{r_path}.dockerConnector")
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
    problems += _mirror_identity_check(data, subscriptions)
    problems += _tag_count_checks(data, subscriptions)
    return problems


def _managed_identity_name_checks(
    data: Mapping[str, Any], project: str, stack: str
) -> list[tuple[str, str]]:
    """A managed identity is named after the project, stack and subscription key;
    Pulumi takes stack names ('dev.westeurope') that Azure does not take there."""
    problems = []
    for s_index, sub in _items(data.get("subscriptions")):
        s_path = f"subscriptions[{s_index}]"
        key = _text(sub, "key")
        identity = _effective_identity(data, sub, s_path)
        if key is None or naming.key_problem(key) or identity is None:
            continue
        if identity.kind != "managedIdentity":
            continue
        name = naming.application_display_name(project, stack, key)
        problem = naming.managed_identity_name_problem(name)
        if problem is not None:
            problems.append(
                (
                    f"{s_path}.key",
                    f"names the managed identity {name!r} (<project>-<stack>-<key>), which "
                    f"{problem}; use a stack name of letters, digits, '-' and '_', or a "
                    "shorter stack name or key",
                )
            )
    return problems


def _tag_count_checks(
    data: Mapping[str, Any], subscriptions: list[tuple[int, dict[str, Any]]]
) -> list[tuple[str, str]]:
    """Every resource's tags, as merged from the stack's, a registry's own and the
    two acr-fleet adds, stay within Azure's limit."""
    stack_tags = _tag_map(data.get("tags"))
    added = dict.fromkeys(naming.RESERVED_TAGS, "")
    problems = []
    count = len(naming.merge_tags(stack_tags, added))
    if count > AZURE_TAGS_MAX:
        problems.append(("tags", _tag_count_message(count, "with managed-by and stack")))
    for s_index, sub in subscriptions:
        for r_index, registry in _items(sub.get("registries")):
            own = _tag_map(registry.get("tags"))
            if not own:
                continue
            count = len(naming.merge_tags(own, stack_tags, added))
            if count > AZURE_TAGS_MAX:
                problems.append(
                    (
                        f"subscriptions[{s_index}].registries[{r_index}].tags",
                        _tag_count_message(count, "with the stack's tags, managed-by and stack"),
                    )
                )
    return problems


def _tag_map(value: Any) -> dict[str, Any]:
    """The tags of a raw tags block by name; a malformed block is reported elsewhere."""
    return {k: v for k, v in value.items() if isinstance(k, str)} if isinstance(value, dict) else {}


def _tag_count_message(count: int, merged: str) -> str:
    return (
        f"gives {count} tags {merged}, but Azure takes at most {AZURE_TAGS_MAX} "
        f"on a resource; remove {count - AZURE_TAGS_MAX}"
    )


def _mirror_identity_check(
    data: Mapping[str, Any], subscriptions: list[tuple[int, dict[str, Any]]]
) -> list[tuple[str, str]]:
    """harnessImage is a Docker connector: the mirror's identity must issue a secret."""
    mirror = data.get("harnessImageMirror")
    if not isinstance(mirror, dict) or mirror.get("enabled") is False:
        return []
    for s_index, sub in subscriptions:
        if _text(sub, "key") == _text(mirror, "subscription"):
            identity = _effective_identity(data, sub, f"subscriptions[{s_index}]")
            if identity is None or identity.issues_password:
                return []
            if identity.kind == "servicePrincipal" and identity.auth == "delegate":
                return []  # reported at the identity's auth key
            if identity.kind == "managedIdentity":
                fix = (
                    f"{identity.path}.kind is 'managedIdentity', which has none; choose a "
                    "subscription whose identity issues a client secret, or give this one "
                    "kind 'servicePrincipal' with auth 'secret' (or 'oidc' and dockerSecret: true)"
                )
            else:
                fix = (
                    f"{identity.path}.auth is 'oidc', which issues none; choose a subscription "
                    "whose identity issues a client secret, or set "
                    f"{identity.path}.dockerSecret: true"
                )
            return [
                (
                    "harnessImageMirror.subscription",
                    "needs a client secret: harnessImage is a Docker connector and logs in "
                    f"with the identity's client id and secret, but {fix}",
                )
            ]
    return []


@dataclasses.dataclass(frozen=True)
class _IdentityView:
    """The identity block in force for one subscription, read from raw data."""

    block: Mapping[str, Any]
    path: str
    kind: str
    auth: str

    @property
    def issues_password(self) -> bool:
        return _issues_password(self.kind, self.auth, _flag(self.block.get("dockerSecret")))


def _effective_identity(
    data: Mapping[str, Any], sub: Mapping[str, Any], s_path: str
) -> _IdentityView | None:
    """The subscription's own identity block, or else the stack's; None when
    neither is usable (field validation reports why)."""
    block, path = sub.get("identity"), f"{s_path}.identity"
    if block is None:
        block, path = data.get("identity"), "identity"
    if not isinstance(block, dict):
        return None
    kind = block.get("kind", "servicePrincipal")
    auth = block.get("auth", "secret")
    if kind not in IDENTITY_KINDS or auth not in IDENTITY_AUTHS:
        return None
    return _IdentityView(block, path, kind, auth)


def _flag(value: Any) -> bool:
    """A boolean as pydantic reads it in lax mode; anything else counts as false."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "on", "t", "true", "y", "yes"}
    return value is True or value == 1


def _identity_checks(
    block: Mapping[str, Any], path: str, harness: Mapping[str, Any] | None
) -> list[tuple[str, str]]:
    """Combinations of identity keys that cannot work together; ``harness`` is
    None when that block is withheld (it holds a secret)."""
    kind = block.get("kind", "servicePrincipal")
    auth = block.get("auth", "secret")
    if kind not in IDENTITY_KINDS or auth not in IDENTITY_AUTHS:
        return []  # reported by field validation
    problems: list[tuple[str, str]] = []
    managed = kind == "managedIdentity"
    if managed and auth == "secret":
        problems.append(
            (
                f"{path}.auth",
                "'secret' does not work with kind 'managedIdentity', which has no client "
                "secret; use 'oidc' or 'delegate', or kind 'servicePrincipal'",
            )
        )
    if not managed and auth == "delegate":
        problems.append(
            (
                f"{path}.auth",
                "'delegate' needs kind 'managedIdentity' (the connector inherits a "
                "user-assigned identity attached to the delegate); use 'secret' or 'oidc' "
                "for a service principal",
            )
        )
    if managed and block.get("resourceGroup") is None:
        problems.append(
            (
                f"{path}.resourceGroup",
                "is required for kind 'managedIdentity': the subscription's resource "
                "group to create the identity in",
            )
        )
    if not managed and block.get("resourceGroup") is not None:
        problems.append(
            (f"{path}.resourceGroup", "applies only to kind 'managedIdentity'; remove it")
        )
    docker_secret = _flag(block.get("dockerSecret"))
    if docker_secret and (managed or auth != "oidc"):
        problems.append(
            (
                f"{path}.dockerSecret",
                "applies only to kind 'servicePrincipal' with auth 'oidc' (with auth "
                "'secret' Docker connectors use the client secret already; a managed "
                "identity has none); remove it",
            )
        )
    if _issues_password(kind, auth, docker_secret):
        if block.get("passwordEndDate") is None:
            problems.append(
                (
                    f"{path}.passwordEndDate",
                    "is required because this identity issues a client secret (auth "
                    "'secret', or 'oidc' with dockerSecret: true)",
                )
            )
        problems += _rotation_checks(block, path)
    else:
        problems += [
            (
                f"{path}.{key}",
                f"has no effect: kind {kind!r} with auth {auth!r} issues no client secret; "
                "remove it",
            )
            for key in ("passwordEndDate", "rotation")
            if block.get(key) is not None
        ]
    selectors = block.get("delegateSelectors") or (harness or {}).get("delegateSelectors")
    if auth == "delegate" and not selectors and harness is not None:
        problems.append(
            (
                f"{path}.delegateSelectors",
                "is required for auth 'delegate' (or set harness.delegateSelectors): "
                "it picks the delegates the managed identity is attached to",
            )
        )
    return problems


def _rotation_checks(block: Mapping[str, Any], path: str) -> list[tuple[str, str]]:
    """Rotation keys against each other and against the password end date."""
    settings = block.get("rotation")
    if not isinstance(settings, dict):
        return []
    problems: list[tuple[str, str]] = []
    period, epoch = _whole(settings.get("periodDays")), _whole(settings.get("epoch"))
    overlap = _whole(settings.get("overlapDays", 0))
    if period is not None and overlap is not None and overlap > period:
        problems.append(
            (
                f"{path}.rotation.overlapDays",
                f"must not exceed periodDays ({period}) (got {overlap})",
            )
        )
    start, end = _moment(settings.get("startDate")), _moment(block.get("passwordEndDate"))
    if start is None or end is None or period is None or epoch is None:
        return problems  # field validation reports what is missing or malformed
    schedule = RotationSchedule(start, period, overlap or 0, epoch)
    try:
        epoch_start = schedule.epoch_start
        # The latest date the schedule computes: the newer slot's end date.
        for slot in SLOTS:
            schedule.valid_until(slot)
    except OverflowError:
        return [
            *problems,
            (
                f"{path}.rotation",
                f"epoch {epoch} ends its client secrets at startDate + (epoch + 2) * "
                f"periodDays + overlapDays days, which lies beyond the year 9999 (got "
                f"startDate {settings['startDate']}, periodDays {period}, "
                f"overlapDays {overlap or 0}); "
                "choose an earlier startDate, a shorter periodDays or a lower epoch",
            ),
        ]
    if end <= epoch_start:
        problems.append(
            (
                f"{path}.passwordEndDate",
                f"must be after the start of rotation epoch {epoch} ({rfc3339(epoch_start)}), "
                f"or every new client secret is born expired (got {rfc3339(end)}); move it later",
            )
        )
    return problems


def _whole(value: Any) -> int | None:
    """A whole number of zero or more, or None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _moment(value: Any) -> datetime.datetime | None:
    """An RFC 3339 date with a time zone, or None when it is not one."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        return None  # reported by field validation


def _identity_group_check(
    identity: _IdentityView, s_path: str, groups: Mapping[str, str]
) -> list[tuple[str, str]]:
    """A managed identity's resource group must be one of its subscription's."""
    group = identity.block.get("resourceGroup")
    if identity.kind != "managedIdentity" or not isinstance(group, str):
        return []
    if group.lower() in groups:
        return []
    known = ", ".join(repr(g) for g in groups.values()) or "none are defined"
    return [
        (
            f"{identity.path}.resourceGroup",
            f"{group!r} is not one of {s_path}.resourceGroups ({known})",
        )
    ]


def _docker_secret_check(identity: _IdentityView, path: str) -> list[tuple[str, str]]:
    """A Docker connector logs in with a client secret; the identity must issue one."""
    if identity.issues_password:
        return []
    if identity.kind == "managedIdentity":
        return [
            (
                path,
                "needs a client secret as the Docker password, but "
                f"{identity.path}.kind is 'managedIdentity', which has none; set "
                "dockerConnector: false and use the Azure connector (Build and Push to ACR), "
                f"or set {identity.path}.kind: servicePrincipal with auth 'secret', or 'oidc' "
                "and dockerSecret: true",
            )
        ]
    if identity.auth != "oidc":
        return []  # a service principal with auth 'delegate' is reported at its auth key
    return [
        (
            path,
            "needs a client secret as the Docker password, but "
            f"{identity.path}.auth is 'oidc', which issues none; set "
            f"{identity.path}.dockerSecret: true to issue a secret for Docker connectors "
            "only, or set dockerConnector: false and use the Azure connector",
        )
    ]


def _registry_key(registry: Mapping[str, Any]) -> str | None:
    name = _text(registry, "name")
    return _text(registry, "key") or (naming.registry_key(name) if name else None)


def _previous_key_checks(
    entries: Sequence[tuple[str, Mapping[str, Any], str | None]], what: str
) -> list[tuple[str, str]]:
    """A previousKey names a key no longer in use, and only once: otherwise two
    resources would claim one earlier URN. Keys are unique regardless of case, but
    URNs are not, so a rename that only changes case is allowed."""
    problems: list[tuple[str, str]] = []
    current = {key.lower(): path for path, _, key in entries if key is not None}
    seen: dict[str, str] = {}
    for path, entry, key in entries:
        previous = _text(entry, "previousKey")
        if previous is None:
            continue
        owner = current.get(previous.lower())
        if key is not None and previous == key:
            problems.append(
                (
                    f"{path}.previousKey",
                    f"is the same as the {what}'s key {key!r}; set it to the old key, "
                    "or remove it once the rename is applied",
                )
            )
        elif owner is not None and owner != path:
            problems.append(
                (
                    f"{path}.previousKey",
                    f"{previous!r} is the key of {owner}; a previousKey "
                    f"must name a {what} key that is no longer in use",
                )
            )
        else:
            _remember(
                problems, seen, previous.lower(), f"{path}.previousKey", f"previousKey {previous!r}"
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


def _prefix_clashes(keyed: list[tuple[str, str | None]], what: str) -> list[tuple[str, str]]:
    """Keys (and previous keys) of different entries where one is the other plus
    '-' and more; an entry's key and its own previousKey may nest (a rename)."""
    problems = []
    for index, (path, key) in enumerate(keyed):
        for earlier_path, earlier in keyed[:index]:
            if path.rpartition(".")[0] == earlier_path.rpartition(".")[0]:
                continue
            if key and earlier and naming.key_prefix_clash(key, earlier):
                if "previousKey" in (path.rpartition(".")[2], earlier_path.rpartition(".")[2]):
                    fix = (
                        "check that previousKey names the old key; if it does, apply the "
                        "rename first, remove previousKey, and add the other key later"
                    )
                else:
                    fix = (
                        "choose keys where neither starts with the other and '-' "
                        f"(e.g. {earlier + '-x'!r} -> {earlier + 'x'!r})"
                    )
                problems.append(
                    (
                        path,
                        f"{what} key {key!r} and {earlier!r} (at {earlier_path}) are one "
                        f"key plus '-' and more, so their resource names can collide; {fix}",
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


# Settings of a registry this stack manages; an adopted one is only looked up.
_MANAGED_ONLY_KEYS = (
    "sku",
    "location",
    "tags",
    "protect",
    "lock",
    *(key for key, _ in _PREMIUM_FEATURES),
)


def _feature_checks(
    data: Mapping[str, Any], withheld: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    harness = data.get("harness")
    harness = harness if isinstance(harness, dict) else {}
    # Scope problems of the harness block itself are reported by _scope_checks.
    stack_scope = _scope_of(harness, "harness", [])
    secret_manager = _raw_secret_manager(
        harness.get("secretManager", BUILTIN_SECRET_MANAGER), "harness.secretManager", problems
    )
    if "harness" in withheld:
        stack_scope, secret_manager = None, None
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
        # Only an identity with a client secret puts a secret in Harness.
        identity = _effective_identity(data, sub, s_path)
        if (
            scope is not None
            and secret_manager is not None
            and identity is not None
            and identity.issues_password
        ):
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
    if (
        isinstance(mirror, dict)
        and mirror.get("enabled") is not False
        and "subscriptions" not in withheld
    ):
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
        given = [key for key in ("orgId", "projectId") if key in value]
        if given:
            which = (
                "Harness' built-in secret manager"
                if identifier == BUILTIN_SECRET_MANAGER
                else "a secret manager with inheritScope: true"
            )
            problems.append(
                (
                    f"{path}.{given[0]}",
                    f"{identifier!r} is {which}, which exists at every scope and takes no "
                    f"scope; remove {' and '.join(given)}, or name another secret manager",
                )
            )
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
    if existing:
        problems += [
            (
                f"{path}.{key}",
                "applies only to registries this stack manages; remove it, or use "
                "import: true to bring the registry under management",
            )
            for key in _MANAGED_ONLY_KEYS
            if key in registry
        ]
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
    elif registry.get("resourceGroup") is None and resource_id is None:
        problems.append((f"{path}.resourceGroup", "is required unless resourceId names the group"))
    if registry.get("sku") is None and not existing:
        problems.append(
            (f"{path}.sku", "is required unless the registry is adopted (existing: true)")
        )
    adopted_in = groups.get(group.lower()) if group is not None and existing else None
    if adopted_in is not None and adopted_in.get("existing") is not True:
        # Deleting a group deletes the registries in it, adopted or not.
        problems.append(
            (
                f"{path}.existing",
                f"adopts a registry in resource group {group!r}, which this stack would "
                "create and, once the group leaves the stack, delete with the registry in "
                "it; mark that group existing: true, or leave it out of resourceGroups",
            )
        )
    if group is not None and not existing:
        block = groups.get(group.lower())
        if block is None and registry.get("resourceGroup") is None:
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
        # An adopted registry takes none of these keys (_adoption_checks).
        if used[key] and registry.get("existing") is not True and sku in ("Basic", "Standard"):
            problems.append((f"{path}.{key}", f"{what} needs sku 'Premium' (got {sku!r})"))
    if used["publicNetworkAccess"] and used["ipAllowList"]:
        problems.append(
            (
                f"{path}.ipAllowList",
                "has no effect while publicNetworkAccess is false; keep one of the two",
            )
        )
    ranges: dict[str, str] = {}
    for index, rule in enumerate(ip_rules):
        if isinstance(rule, str) and _ipv4_range_problem(rule) is None:
            # 198.51.100.17 and 198.51.100.17/32 are one rule to Azure.
            network = str(ipaddress.IPv4Network(rule))
            first = ranges.setdefault(network, f"{path}.ipAllowList[{index}]")
            if first != f"{path}.ipAllowList[{index}]":
                problems.append(
                    (
                        f"{path}.ipAllowList[{index}]",
                        f"{rule!r} is the range {network} already listed at {first}; "
                        "list each range once",
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


def _credential_set_checks(credential_set: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The secret URIs name the vault keyVaultResourceId grants access to."""
    vault_id = _text(credential_set, "keyVaultResourceId")
    if vault_id is None or not KEY_VAULT_ID_PATTERN.fullmatch(vault_id):
        return []
    vault = vault_id.rsplit("/", 1)[1].lower()
    problems = []
    for key in ("usernameSecretUri", "passwordSecretUri"):
        uri = _text(credential_set, key)
        if uri is None or not KEY_VAULT_SECRET_URI_PATTERN.fullmatch(uri):
            continue  # reported by field validation
        host = uri.removeprefix("https://").split("/", 1)[0]
        if host.removesuffix(".vault.azure.net").lower() != vault:
            problems.append(
                (
                    f"harnessImageMirror.credentialSet.{key}",
                    f"names vault host {host!r}, but keyVaultResourceId names vault "
                    f"{vault_id.rsplit('/', 1)[1]!r}, the only one the credential set may read; "
                    f"use https://{vault}.vault.azure.net/secrets/<name>, or point "
                    "keyVaultResourceId at that vault",
                )
            )
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
        elif any(
            key == registry_key and registry.get("existing") is True
            for key, (_, registry) in zip(keys, _items(sub.get("registries")), strict=True)
        ):
            problems.append(
                (
                    "harnessImageMirror.registry",
                    f"{registry_key!r} is adopted (existing: true), so this stack only looks it "
                    "up and never modifies it, but the mirror adds cache rules and a credential "
                    "set to it; use import: true on that registry to manage it, or choose "
                    "another registry",
                )
            )
    credential_set = mirror.get("credentialSet")
    if isinstance(credential_set, dict):
        problems += _credential_set_checks(credential_set)
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
