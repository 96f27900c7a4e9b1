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
import json
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal

import pulumi
import pydantic
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from components import naming
from components.harness_scope import HarnessScope

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


class HarnessSettings(_Model):
    """Where the stack's Harness secrets and connectors live."""

    account_id: HarnessAccountId
    """Harness account id; also names the account scope in references."""
    org_id: HarnessIdentifier | None = None
    """Organization the connectors and secrets live in; omit for account scope."""
    project_id: HarnessIdentifier | None = None
    """Project the connectors and secrets live in; needs orgId."""
    secret_manager: HarnessIdentifier = "harnessSecretManager"
    """Secret manager that stores the client secrets; Harness' built-in one by default."""
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
    resource_group: ResourceGroupName
    """Name of one of the subscription's resourceGroups."""
    location: Location | None = None
    """Azure location; the resource group's by default."""
    sku: Sku
    """Basic, Standard or Premium."""
    access: Access
    """What the subscription's identity may do: pull, or push (which includes pull)."""
    docker_connector: bool = False
    """Also create a Harness Docker connector (type Other) for this registry."""
    tags: Tags = {}
    """Extra tags on the registry."""
    protect: bool | None = None
    """Pulumi-protect this registry; the stack's protectRegistries by default."""
    lock: bool | None = None
    """Put an Azure CanNotDelete lock on this registry; the stack's lockRegistries by default."""
    previous_key: Key | None = None
    """The logical key this registry had before a rename: its resources keep
    their identity (Pulumi aliases) instead of being replaced."""

    @property
    def logical_key(self) -> str:
        """Stable key naming this registry's resources."""
        return self.key or naming.registry_key(self.name)


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
    protect_registries: bool = True
    """Pulumi-protect every registry, so removing one from config fails the
    preview instead of deleting it. Turn off only for throwaway stacks."""
    lock_registries: bool = False
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
    wanted = _wanted(kind)
    if wanted is not None:
        return path, f"{wanted}{got}"
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


def _cross_checks(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    harness = data.get("harness")
    if isinstance(harness, dict):
        problems += _scope_checks(harness)

    subscriptions = list(_items(data.get("subscriptions")))
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
            if group is not None and group.lower() not in group_names:
                known = ", ".join(repr(g) for g in original_names.values()) or "none are defined"
                problems.append(
                    (
                        f"{r_path}.resourceGroup",
                        f"{group!r} is not one of this subscription's resourceGroups ({known})",
                    )
                )
    return problems


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
