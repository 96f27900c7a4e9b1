"""Run acr-fleet on Pulumi's in-process mock engine and record what it registers.

No Pulumi CLI, no provider plugins, no credentials and no network: the real
``__main__.py`` runs against a recording monitor that keeps, for every
registration, its type, name, parent, provider, dependencies, inputs (as the
engine receives them, camelCase, secrets still marked) and secret outputs.

The mock stands in for the cloud, so it also stands in for the engine's own
checks the mocks skip: duplicate URNs and resources that would fall back to a
disabled default provider fail the run here as they would in ``pulumi up``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import runpy
import sys
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
class Graph:
    """Everything one offline run registered."""

    project: str
    stack: str
    resources: list[Registration]
    outputs: dict[str, Any]
    warnings: list[str]

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
                }
                for r in sorted(self.resources, key=lambda r: r.urn)
            ],
            "outputs": canonical(mask(self.outputs)),
            "warnings": self.warnings,
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
    """

    def __init__(self) -> None:
        self.provider_inputs: dict[str, dict[str, Any]] = {}

    def _subscription(self, provider_ref: str | None) -> str:
        provider_id = (provider_ref or "").rsplit("::", 1)[-1]
        inputs = self.provider_inputs.get(provider_id, {})
        return str(inputs.get("subscriptionId", "00000000-0000-0000-0000-00000000dead"))

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        typ, name = args.typ, args.name
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
            sub = self._subscription(args.provider)
            resource_id = (
                f"/subscriptions/{sub}/resourceGroups/{inputs.get('resourceGroupName')}"
                f"/providers/Microsoft.ContainerRegistry/registries/{registry}"
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
        if typ == "azuread:index/applicationPassword:ApplicationPassword":
            key_id = _mock_guid(typ, name, "key")
            value = "mock-password-" + hashlib.sha256(f"{typ}|{name}".encode()).hexdigest()[:24]
            return f"{inputs.get('applicationId')}/password/{key_id}", {
                **inputs,
                "keyId": key_id,
                "value": value,
            }
        if typ.startswith("harness:"):
            return str(inputs.get("identifier") or _mock_guid(typ, name)), inputs
        return _mock_guid(typ, name), inputs

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise OfflineError(f"the offline engine has no mock for the function {args.token}")


class RecordingMonitor(mocks.MockMonitor):
    """A mock monitor that records every registration and the engine checks
    the plain mock monitor skips."""

    def __init__(self, fleet_mocks: FleetMocks, disabled_default_providers: set[str]) -> None:
        super().__init__(fleet_mocks)
        self.registrations: list[Registration] = []
        self._by_urn: dict[str, Registration] = {}
        self.stack_outputs: dict[str, Any] = {}
        self._disabled = disabled_default_providers

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
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
        )
        self._by_urn[urn] = registration
        self.registrations.append(registration)
        response = super().RegisterResource(request)
        registration.id = response.id
        registration.state = dict(self.resources[urn].state)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        outputs = _struct(request.outputs)
        if request.urn in self._by_urn:
            self._by_urn[request.urn].outputs = outputs
        else:
            self.stack_outputs = outputs
        return super().RegisterResourceOutputs(request)


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
    document = yaml.safe_load(path.read_text()) or {}
    raw = document.get("config") or {}
    return config_from_mapping(raw)


def config_from_mapping(raw: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Engine-shaped config from a stack file's ``config:`` mapping."""
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
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


def run_stack(stack: str, project_dir: Path = PROJECT_DIR) -> Graph:
    """Run the program for a committed stack file."""
    path = stack_file(stack, project_dir)
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
) -> Outcome:
    """Run ``__main__.py`` on the mock engine and return what it registered
    together with the error that stopped it, if any.

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
        program = str(project_dir / "__main__.py")
        loop.run_until_complete(run_in_stack(lambda: _run_main(program)))
    except Exception as exc:  # handed back to the caller with the partial graph
        error = exc
    finally:
        runtime_config.set_all_config({}, [])
        settings.ROOT.set(None)
        loop.close()
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
