"""Run acr-fleet on Pulumi's in-process mock engine and record what it registers.

No Pulumi CLI, no provider plugins, no credentials and no network: the real
``__main__.py`` runs against a recording monitor that keeps, for every
registration, its type, name, parent, provider, dependencies, inputs (as the
engine receives them, camelCase, secrets still marked) and secret outputs.

The mock stands in for the cloud, so it also stands in for the engine's own
checks the mocks skip: duplicate URNs and resources that would fall back to a
disabled default provider fail the run here as they would in ``pulumi up``.
It also names resources as the engine does: a URN carries the types of all its
ancestors (the stack's own type excluded), and aliases are resolved to URNs,
including those a child inherits from an aliased parent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import re
import runpy
import sys
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_in_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "acr-fleet"

# Markers the Pulumi wire format uses inside property values.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MASK = "[secret]"
# A secure: value cannot be decrypted offline; this stands in for it.
SECURE_PLACEHOLDER = "offline-placeholder-for-a-secure-value"

MOCK_NAMESPACE = uuid.UUID("8e4bd4a4-7d0e-4c55-9a0b-0ffb1c1e2a11")


class OfflineError(Exception):
    """The program could not run, or did something the real engine refuses."""


@dataclasses.dataclass
class Registration:
    """One resource as the engine received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    """Inputs in wire form: camelCase keys, secrets still wrapped."""
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    secret_outputs: list[str]
    import_id: str
    protect: bool
    retain_on_delete: bool = False
    """True when ``pulumi destroy`` leaves the real resource in place."""
    aliases: list[str] = dataclasses.field(default_factory=list)
    """Earlier URNs the engine would match this resource against: its own alias
    options, and those inherited from an aliased parent, resolved as the engine does."""
    id: str = ""
    state: dict[str, Any] = dataclasses.field(default_factory=dict)
    """What the mock returned as the resource's outputs (placeholders)."""
    outputs: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Outputs registered by register_outputs (components and the stack)."""

    def masked_inputs(self) -> dict[str, Any]:
        """Inputs with every secret replaced by a mask and unknowns spelled out."""
        return mask(self.inputs)

    def plain_inputs(self) -> dict[str, Any]:
        """Inputs with secrets unwrapped: for assertions in tests, never for printing."""
        return unwrap(self.inputs)


@dataclasses.dataclass
class Invoke:
    """One provider function call (a lookup) as the engine received it."""

    token: str
    args: dict[str, Any]
    provider: str
    """Provider reference ('<urn>::<id>'); empty means a default provider."""


@dataclasses.dataclass
class Graph:
    """Everything one offline run registered."""

    project: str
    stack: str
    resources: list[Registration]
    outputs: dict[str, Any]
    warnings: list[str]
    invokes: list[Invoke] = dataclasses.field(default_factory=list)
    """Provider functions the program called (lookups), in call order."""

    def by_type(self, type_token: str) -> list[Registration]:
        """Registrations of one type, in registration order."""
        return [r for r in self.resources if r.type == type_token]

    def get(self, urn: str) -> Registration:
        """The registration with this URN."""
        for registration in self.resources:
            if registration.urn == urn:
                return registration
        raise KeyError(urn)

    def to_document(self) -> dict[str, Any]:
        """The stable JSON document ``tools.preview --json`` prints."""
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "custom": r.custom,
                    "parent": r.parent,
                    "provider": r.provider,
                    "inputs": canonical(r.masked_inputs()),
                    "dependencies": r.dependencies,
                    "secretOutputs": r.secret_outputs,
                    "importId": r.import_id,
                    "protect": r.protect,
                    "retainOnDelete": r.retain_on_delete,
                    "aliases": r.aliases,
                }
                for r in sorted(self.resources, key=lambda r: r.urn)
            ],
            "outputs": canonical(mask(self.outputs)),
            "warnings": self.warnings,
            "invokes": [
                {"token": i.token, "args": canonical(mask(i.args)), "provider": i.provider}
                for i in self.invokes
            ],
        }


def canonical(value: Any) -> Any:
    """Dictionaries with sorted keys, all the way down, for stable output."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def mask(value: Any) -> Any:
    """Replace secrets with a mask, unknowns with '[unknown]', resource
    references with their URN."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return MASK
        if value.get(SIG_KEY) == RESOURCE_SIG:
            return value.get("urn", "")
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    return value


def unwrap(value: Any) -> Any:
    """Remove the secret wrappers, keeping values."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return unwrap(value.get("value"))
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def is_secret(value: Any) -> bool:
    """True when a wire-form value is wrapped as a secret."""
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def _struct(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True) if message else {}


def _mock_guid(*parts: str) -> str:
    return str(uuid.uuid5(MOCK_NAMESPACE, "|".join(parts)))


class FleetMocks(mocks.Mocks):
    """Computed values shaped like Azure's and Harness', derived from inputs so
    every run of the same config gives the same graph.

    Ids, client ids and object ids are deliberately distinct values, so a test
    catches the application's client id used where a principal's object id
    belongs.

    A resource aliased to an earlier name gets the values of that name:
    the engine updates an aliased resource in place, so its object and principal
    ids stay what they were, and so do values derived from them (role
    assignment names).
    """

    def __init__(self) -> None:
        self.provider_inputs: dict[str, dict[str, Any]] = {}
        self.invokes: list[Invoke] = []
        self._registering = threading.local()

    def keyed_on(self, name: str) -> None:
        """Derive the next resource this thread registers from ``name``, not its own."""
        self._registering.name = name

    def _mock_name(self, args: mocks.MockResourceArgs) -> str:
        """The name the mock derives values from; consumed by one registration."""
        name = getattr(self._registering, "name", "") or args.name
        self._registering.name = ""
        return name

    def _subscription(self, provider_ref: str | None) -> str:
        provider_id = (provider_ref or "").rsplit("::", 1)[-1]
        inputs = self.provider_inputs.get(provider_id, {})
        return str(inputs.get("subscriptionId", "00000000-0000-0000-0000-00000000dead"))

    def _arm_id(self, args: mocks.MockResourceArgs, resource_type: str, name: str) -> str:
        """ARM id of a resource in a resource group of the provider's subscription."""
        sub = self._subscription(args.provider)
        group = args.inputs.get("resourceGroupName")
        return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{resource_type}/{name}"

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        typ, name = args.typ, self._mock_name(args)
        if typ.startswith("pulumi:providers:"):
            provider_id = _mock_guid(typ, name)
            self.provider_inputs[provider_id] = inputs
            return provider_id, inputs
        if typ == "azure-native:resources:ResourceGroup":
            group = inputs.get("resourceGroupName", name)
            sub = self._subscription(args.provider)
            return f"/subscriptions/{sub}/resourceGroups/{group}", {**inputs, "name": group}
        if typ == "azure-native:containerregistry:Registry":
            registry = inputs.get("registryName", name)
            resource_id = self._arm_id(
                args, "Microsoft.ContainerRegistry/registries", str(registry)
            )
            return resource_id, {
                **inputs,
                "name": registry,
                "loginServer": f"{str(registry).lower()}.azurecr.io",
            }
        if typ == "azure-native:authorization:RoleAssignment":
            assignment = inputs.get("roleAssignmentName") or _mock_guid(typ, name)
            resource_id = (
                f"{inputs.get('scope')}/providers/Microsoft.Authorization"
                f"/roleAssignments/{assignment}"
            )
            return resource_id, {**inputs, "name": assignment}
        if typ == "azuread:index/application:Application":
            object_id = _mock_guid(typ, name, "object")
            return f"/applications/{object_id}", {
                **inputs,
                "objectId": object_id,
                "clientId": _mock_guid(typ, name, "client"),
            }
        if typ == "azuread:index/servicePrincipal:ServicePrincipal":
            object_id = _mock_guid(typ, name, "object")
            return f"/servicePrincipals/{object_id}", {**inputs, "objectId": object_id}
        if typ == "azure-native:managedidentity:UserAssignedIdentity":
            identity = inputs.get("resourceName", name)
            resource_id = self._arm_id(
                args, "Microsoft.ManagedIdentity/userAssignedIdentities", str(identity)
            )
            return resource_id, {
                **inputs,
                "name": identity,
                "principalId": _mock_guid(typ, name, "principal"),
                "clientId": _mock_guid(typ, name, "client"),
                "tenantId": _mock_guid(typ, name, "tenant"),
            }
        if typ == "azuread:index/applicationPassword:ApplicationPassword":
            # A re-issued password (other inputs) gets another key and value.
            issue = json.dumps(inputs, sort_keys=True, default=str)
            key_id = _mock_guid(typ, name, "key", issue)
            digest = hashlib.sha256(f"{typ}|{name}|{issue}".encode()).hexdigest()[:24]
            value = "mock-password-" + digest
            return f"{inputs.get('applicationId')}/password/{key_id}", {
                **inputs,
                "keyId": key_id,
                "value": value,
            }
        if typ.startswith("harness:"):
            return str(inputs.get("identifier") or _mock_guid(typ, name)), inputs
        if typ.startswith("azure-native:containerregistry:"):
            return self._registry_child(typ, name, inputs, args.provider)
        return _mock_guid(typ, name), inputs

    def _registry_child(
        self, typ: str, name: str, inputs: dict[str, Any], provider: str | None
    ) -> tuple[str, dict[str, Any]]:
        """Replications, cache rules and credential sets: ARM ids under their
        registry, and a principal for a system-assigned identity."""
        kind = typ.rsplit(":", 1)[-1]
        collection = {"CacheRule": "cacheRules", "CredentialSet": "credentialSets"}.get(
            kind, kind[0].lower() + kind[1:] + "s"
        )
        own = [
            value
            for key, value in inputs.items()
            if key.endswith("Name") and key not in ("registryName", "resourceGroupName")
        ]
        child = own[0] if own else name
        resource_id = (
            f"/subscriptions/{self._subscription(provider)}/resourceGroups/"
            f"{inputs.get('resourceGroupName')}/providers/Microsoft.ContainerRegistry/registries/"
            f"{inputs.get('registryName')}/{collection}/{child}"
        )
        state = {**inputs, "name": child}
        identity = inputs.get("identity")
        if isinstance(identity, dict) and "SystemAssigned" in str(identity.get("type")):
            state["identity"] = {
                **identity,
                "principalId": _mock_guid(typ, name, "principal"),
                "tenantId": _mock_guid(typ, name, "tenant"),
            }
        return resource_id, state

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.invokes.append(Invoke(args.token, dict(args.args), args.provider or ""))
        if args.token == "azure-native:containerregistry:getRegistry":
            return self._existing_registry(args), []
        raise OfflineError(f"the offline engine has no mock for the function {args.token}")

    def _existing_registry(self, args: mocks.MockCallArgs) -> dict[str, Any]:
        """An existing registry as Azure describes it, in the provider's subscription."""
        if not args.provider:
            raise OfflineError(f"{args.token} was called without an explicit provider")
        registry = str(args.args.get("registryName"))
        group = str(args.args.get("resourceGroupName"))
        return {
            "id": (
                f"/subscriptions/{self._subscription(args.provider)}/resourceGroups/{group}"
                f"/providers/Microsoft.ContainerRegistry/registries/{registry}"
            ),
            "name": registry,
            "type": "Microsoft.ContainerRegistry/registries",
            "location": "westeurope",
            "loginServer": f"{registry.lower()}.azurecr.io",
            "sku": {"name": "Standard", "tier": "Standard"},
            "adminUserEnabled": False,
            "anonymousPullEnabled": False,
            "publicNetworkAccess": "Enabled",
            "zoneRedundancy": "Disabled",
            "provisioningState": "Succeeded",
            "azureApiVersion": "2023-01-01-preview",
        }


class RecordingMonitor(mocks.MockMonitor):
    """A mock monitor that records every registration and the engine checks
    the plain mock monitor skips."""

    def __init__(self, fleet_mocks: FleetMocks, disabled_default_providers: set[str]) -> None:
        super().__init__(fleet_mocks)
        self.fleet_mocks = fleet_mocks
        self.registrations: list[Registration] = []
        self._by_urn: dict[str, Registration] = {}
        self.stack_outputs: dict[str, Any] = {}
        self._disabled = disabled_default_providers
        self.thread_loops: list[asyncio.AbstractEventLoop] = []
        self._loops_lock = threading.Lock()

    def _adopt_thread_loop(self) -> None:
        """Give an executor thread its event loop ourselves, so the run can close
        it; the SDK's mock would create one that is only collected at exit."""
        try:
            asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            with self._loops_lock:
                self.thread_loops.append(loop)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self._adopt_thread_loop()
        return super().Invoke(request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self._adopt_thread_loop()
        return super().ReadResource(request)

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives: every ancestor's type, the stack's excluded.

        The SDK's mock keeps only the parent's own type, so a URN there would not
        change when a grandparent's type does; the engine's would.
        """
        return _urn(self._project_stack(), parent, type_, name)

    def _project_stack(self) -> tuple[str, str]:
        return settings.get_project(), settings.get_stack()

    def _aliases(self, request: Any) -> list[str]:
        """Alias URNs as the engine computes them from the request's alias specs
        and the parent's aliases (a child named after its parent keeps the
        parent's old name as the prefix of its own)."""
        own: list[str] = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.WhichOneof("alias") == "urn":
                own.append(alias.urn)
                continue
            spec = alias.spec
            parent = request.parent
            if spec.WhichOneof("parent") == "parentUrn" and spec.parentUrn:
                parent = spec.parentUrn
            if spec.WhichOneof("parent") == "noParent" and spec.noParent:
                parent = ""
            project, stack = self._project_stack()
            own.append(
                _urn(
                    (spec.project or project, spec.stack or stack),
                    parent,
                    spec.type or request.type,
                    spec.name or request.name,
                )
            )
        found = list(dict.fromkeys(own))
        parent_registration = self._by_urn.get(request.parent)
        if parent_registration is not None:
            for parent_alias in parent_registration.aliases:
                for child in [
                    _urn(self._project_stack(), request.parent, request.type, request.name),
                    *own,
                ]:
                    found.append(_inherited_alias(child, parent_registration.name, parent_alias))
        return list(dict.fromkeys(found))

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self._adopt_thread_loop()
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        if urn in self._by_urn:
            raise OfflineError(f"duplicate resource URN {urn}: two resources share a type and name")
        package = request.type.split(":", 1)[0]
        is_provider = request.type.startswith("pulumi:providers:")
        disabled = "*" in self._disabled or package in self._disabled
        if request.custom and not is_provider and not request.provider and disabled:
            raise OfflineError(
                f"{urn} has no explicit provider and default providers for {package!r} are disabled"
            )
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            provider=request.provider,
            inputs=_struct(request.object),
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                key: sorted(set(value.urns)) for key, value in request.propertyDependencies.items()
            },
            secret_outputs=list(request.additionalSecretOutputs),
            import_id=request.importId,
            protect=bool(request.protect) if request.HasField("protect") else False,
            retain_on_delete=(
                bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False
            ),
            aliases=self._aliases(request),
        )
        self._by_urn[urn] = registration
        self.registrations.append(registration)
        self.fleet_mocks.keyed_on(_earlier_name(registration))
        response = super().RegisterResource(request)
        registration.id = response.id
        registration.state = dict(self.resources[urn].state)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self._adopt_thread_loop()
        outputs = _struct(request.outputs)
        if request.urn in self._by_urn:
            self._by_urn[request.urn].outputs = outputs
        else:
            self.stack_outputs = outputs
        return super().RegisterResourceOutputs(request)


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def _earlier_name(registration: Registration) -> str:
    """The first name among the aliases that is not the resource's own, or ''.

    Aliases that only change the type (the provider's versioned tokens) keep
    the name, so the first alias is not necessarily a rename.
    """
    names = (alias.rsplit("::", 1)[-1] for alias in registration.aliases)
    return next((name for name in names if name != registration.name), "")


def _urn(project_stack: tuple[str, str], parent: str, type_: str, name: str) -> str:
    project, stack = project_stack
    chain = type_
    if parent:
        parent_chain = parent.split("::")[2]
        if parent_chain != ROOT_STACK_TYPE:
            chain = f"{parent_chain}${type_}"
    return f"urn:pulumi:{stack}::{project}::{chain}::{name}"


def _inherited_alias(child_urn: str, parent_name: str, parent_alias: str) -> str:
    """The alias a child gets from one of its parent's aliases: under the
    parent's old type chain, and, when the child's name starts with the parent's
    name, with that prefix replaced by the parent's old name."""
    _, child_chain, child_name = child_urn.rsplit("::", 2)
    alias_prefix, alias_chain, alias_name = parent_alias.rsplit("::", 2)
    if child_name.startswith(parent_name):
        child_name = alias_name + child_name[len(parent_name) :]
    child_type = child_chain.split("$")[-1]
    return f"{alias_prefix}::{alias_chain}${child_type}::{child_name}"


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def read_stack_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """Config of a ``Pulumi.<stack>.yaml`` as the engine hands it to a program:
    namespaced keys, strings, structured values as JSON.

    A ``secure:`` value, anywhere, becomes a placeholder and its top-level key
    is marked secret, as the engine would do after decrypting it.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise OfflineError(f"{path} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise OfflineError(
            f"{path} is not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    loader = StackFileLoader(text)
    try:
        node = loader.get_single_node()
        _check_nodes(node)
        document = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        raise OfflineError(f"{path} is not valid YAML: {error}") from None
    except RecursionError:
        raise OfflineError(f"{path} is nested too deeply to be a stack file") from None
    finally:
        loader.dispose()
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise OfflineError(f"{path} must be a mapping with a 'config:' key")
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise OfflineError(f"{path}: 'config:' must be a mapping of namespaced keys to values")
    return config_from_mapping(raw)


# More values than any stack file holds: aliases that expand past this are a
# mistake or an attack, and expanding them would exhaust memory.
MAX_EXPANDED_VALUES = 1_000_000
MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_nodes(root: yaml.Node | None) -> None:
    """Refuse what the CLI's YAML reader refuses and PyYAML would accept: a key
    given twice in one mapping (PyYAML keeps the last silently), and aliases that
    expand without bound."""
    pending = [root] if root is not None else []
    visited = 0
    while pending:
        node = pending.pop()
        visited += 1
        if visited > MAX_EXPANDED_VALUES:
            raise yaml.YAMLError(
                f"expands to more than {MAX_EXPANDED_VALUES} values through its aliases"
            )
        if isinstance(node, yaml.MappingNode):
            first_line: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                # Keys merged in with '<<' may be overridden; only explicit keys count.
                if isinstance(key, yaml.ScalarNode) and key.tag != MERGE_TAG:
                    line = key.start_mark.line + 1
                    if (key.tag, key.value) in first_line:
                        raise yaml.YAMLError(
                            f"key {key.value!r} is given twice in one mapping (lines "
                            f"{first_line[key.tag, key.value]} and {line}); the Pulumi CLI "
                            "refuses that, so keep one"
                        )
                    first_line[key.tag, key.value] = line
                pending += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            pending += node.value


class StackFileLoader(yaml.SafeLoader):
    """Reads stack files as the Pulumi CLI does (YAML 1.2 core schema): dates
    stay strings and only true/false are booleans, so `on` or an unquoted
    timestamp means the same offline as in `pulumi preview`. Keys given twice
    and unbounded aliases are refused before construction (``_check_nodes``)."""


StackFileLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StackFileLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def config_from_mapping(raw: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Engine-shaped config from a stack file's ``config:`` mapping."""
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        if not isinstance(key, str) or ":" not in key:
            raise OfflineError(
                f"config key {key!r} has no namespace; stack files name keys "
                f"'<namespace>:<name>', e.g. '{PROJECT}:{key}'"
            )
        full_key = key
        replaced, had_secret = _replace_secure(value)
        if had_secret:
            secret_keys.append(full_key)
        config[full_key] = replaced if isinstance(replaced, str) else json.dumps(replaced)
    return config, secret_keys


def _replace_secure(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECURE_PLACEHOLDER, True
        found = False
        out = {}
        for key, item in value.items():
            out[key], secret = _replace_secure(item)
            found = found or secret
        return out, found
    if isinstance(value, list):
        pairs = [_replace_secure(item) for item in value]
        return [item for item, _ in pairs], any(secret for _, secret in pairs)
    return value, False


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    """Path of a stack's configuration file."""
    return project_dir / "stacks" / f"Pulumi.{stack}.yaml"


def run_stack(stack: str, project_dir: Path = PROJECT_DIR, path: Path | None = None) -> Graph:
    """Run the program for a committed stack file, or for the stack file at ``path``."""
    path = path or stack_file(stack, project_dir)
    if not path.is_file():
        raise OfflineError(f"no stack file {path}")
    config, secret_keys = read_stack_file(path)
    return run_program(stack, config, secret_keys, project_dir)


@dataclasses.dataclass
class Outcome:
    """A run's graph, complete or partial, and the error that stopped it, if any."""

    graph: Graph
    error: BaseException | None


def run_program(
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> Graph:
    """Run ``__main__.py`` on the mock engine with ``config`` and return the
    recorded graph.

    Raises whatever the program raised (a ConfigError for bad configuration)
    or OfflineError for what the real engine would refuse.
    """
    outcome = execute(stack, config, secret_keys, project_dir)
    if outcome.error is not None:
        raise outcome.error
    return outcome.graph


def execute(
    stack: str,
    config: Mapping[str, str],
    secret_keys: list[str] | None = None,
    project_dir: Path = PROJECT_DIR,
    program: Path | None = None,
) -> Outcome:
    """Run ``__main__.py`` on the mock engine and return what it registered
    together with the error that stopped it, if any.

    ``program`` runs another Pulumi program file instead, in the same project
    (the benchmark's baseline does).

    Each call gets a fresh event loop, a reset runtime and its own monitor, so
    nothing leaks from one run into the next.
    """
    disabled = _disabled_default_providers(config)
    fleet_mocks = FleetMocks()
    monitor = RecordingMonitor(fleet_mocks, disabled)
    collector = _WarningCollector()
    logger = logging.getLogger(f"acr-fleet.offline.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(collector)

    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_ignore_unretrieved)
    asyncio.set_event_loop(loop)
    added_path = str(project_dir) not in sys.path
    if added_path:
        sys.path.insert(0, str(project_dir))
    error: BaseException | None = None
    try:
        settings.ROOT.set(None)
        settings.configure(
            mocks.MockSettings(
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
                engine=mocks.MockEngine(logger),
                project=PROJECT,
                stack=stack,
                dry_run=False,
                organization="organization",
                callbacks=None,
                root_directory=str(project_dir),
            )
        )
        runtime_config.set_all_config(dict(config), list(secret_keys or []))
        path = str(program or project_dir / "__main__.py")
        loop.run_until_complete(run_in_stack(lambda: _run_main(path)))
    except Exception as exc:  # handed back to the caller with the partial graph
        error = exc
    finally:
        runtime_config.set_all_config({}, [])
        settings.ROOT.set(None)
        # Stop the executor threads, then close the loops they were given.
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        for thread_loop in monitor.thread_loops:
            thread_loop.close()
        asyncio.set_event_loop(None)
        if added_path:
            sys.path.remove(str(project_dir))
        logger.removeHandler(collector)

    graph = Graph(
        project=PROJECT,
        stack=stack,
        resources=monitor.registrations,
        outputs=monitor.stack_outputs,
        warnings=collector.messages,
        invokes=fleet_mocks.invokes,
    )
    return Outcome(graph=graph, error=error)


def _ignore_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Drop "exception was never retrieved" reports; pass on everything else.

    When a registration fails, the error is handed back to the caller, but the
    SDK's other futures that carry the same error are never awaited; when they
    are garbage-collected, after the run, asyncio would print it again.
    """
    if "exception was never retrieved" in str(context.get("message", "")):
        return
    loop.default_exception_handler(context)


def _run_main(program: str) -> None:
    runpy.run_path(program, run_name="__main__")


def _disabled_default_providers(config: Mapping[str, str]) -> set[str]:
    raw = config.get("pulumi:disable-default-providers")
    if raw is None:
        return set()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = [raw]
    return {str(v) for v in value} if isinstance(value, list) else {str(value)}
