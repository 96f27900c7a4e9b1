"""A Mermaid flowchart of a stack's fleet, from an offline preview document.

Subscriptions hold their registries and the identities that reach them; each
role assignment is an edge from its identity to the registry (or resource group)
it is scoped to, labelled with the role; Harness connectors, grouped by their
Harness scope, point at the identity they authenticate as and, for Docker
connectors, at the registry they log in to.

The picture is built from the graph, not from the configuration: by resource
type, by the provider a resource uses (which names its subscription), by parent
components and by dependencies (a role assignment depends on its principal and
its scope; a connector, through its secret, on the identity). A resource type
the picture does not know is walked through, not drawn, so new kinds of
resources change the picture only where they add a registry, an identity, a
role or a connector.

    python -m tools.mermaid --update README.md    # rewrite the README's prod diagram
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from components import roles
from policy.rules import is_connector

AZURE_PROVIDER = "pulumi:providers:azure-native"
REGISTRY = "azure-native:containerregistry:Registry"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
APPLICATION = "azuread:index/application:Application"
MANAGED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
# A credential set's system-assigned identity reads its Key Vault secrets.
CREDENTIAL_SET = "azure-native:containerregistry:CredentialSet"

ROLE_NAMES: Mapping[str, str] = {
    roles.Role.ACR_PULL.value: "AcrPull",
    roles.Role.ACR_PUSH.value: "AcrPush",
    roles.Role.REPOSITORY_READER.value: "Repository Reader",
    roles.Role.REPOSITORY_WRITER.value: "Repository Writer",
    roles.Role.READER.value: "Reader",
    roles.Role.KEY_VAULT_SECRETS_USER.value: "Key Vault Secrets User",
}

REGISTRY_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<group>[^/]+)"
    r"/providers/Microsoft\.ContainerRegistry/registries/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
GROUP_ID = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<group>[^/]+)$", re.I)
LOGIN_SERVER_URL = re.compile(r"^https://(?P<name>[a-z0-9]+)\.azurecr\.io/?$", re.IGNORECASE)

BEGIN_MARKER = "<!-- BEGIN GENERATED: {stack} diagram (make diagram) -->"
END_MARKER = "<!-- END GENERATED: {stack} diagram -->"


def escape(text: str) -> str:
    """Label text safe inside Mermaid double quotes, on one line: control characters
    and line or paragraph separators (a carriage return too) become spaces."""
    replacements = {
        "#": "#35;",
        "&": "#amp;",
        '"': "#quot;",
        "<": "#lt;",
        ">": "#gt;",
    }
    return "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else replacements.get(char, char)
        for char in text
    )


class _Ids:
    """Node ids: letters, digits and underscores, readable, unique."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def make(self, prefix: str, text: str) -> str:
        base = f"{prefix}_{re.sub(r'[^A-Za-z0-9]+', '_', text).strip('_') or 'x'}"
        candidate, counter = base, 2
        while candidate in self._used:
            candidate, counter = f"{base}_{counter}", counter + 1
        self._used.add(candidate)
        return candidate


class _Fleet:
    """What the picture shows, gathered from a document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.resources: dict[str, Mapping[str, Any]] = {
            str(r["urn"]): r for r in document.get("resources", [])
        }
        self.ids = _Ids()
        # subscription id -> (label, subgraph id)
        self.subscriptions: dict[str, tuple[str, str]] = {}
        self._owner_subscription: dict[str, str] = {}
        self._provider_subscription: dict[str, str] = {}
        # node id -> (label, shape, subscription id or '' when outside any)
        self.nodes: dict[str, tuple[str, str, str]] = {}
        self.registry_nodes: dict[str, str] = {}  # lower-cased registry name -> node id
        self.group_nodes: dict[tuple[str, str], str] = {}
        self.urn_node: dict[str, str] = {}  # urn of a drawn resource -> node id
        self.connector_scopes: dict[str, list[str]] = {}  # scope label -> connector node ids
        self.edges: list[tuple[str, str, str, bool]] = []  # source, label, target, dotted
        self._find_subscriptions()
        self._find_registries()
        self._find_identities()
        self._find_roles()
        self._find_connectors()

    def by_type(self, *types: str) -> list[Mapping[str, Any]]:
        return sorted(
            (r for r in self.resources.values() if r["type"] in types),
            key=lambda r: (str(r["name"]), str(r["urn"])),
        )

    def inputs(self, resource: Mapping[str, Any]) -> Mapping[str, Any]:
        return resource.get("inputs") or {}

    def _find_subscriptions(self) -> None:
        for provider in self.by_type(AZURE_PROVIDER):
            subscription = str(self.inputs(provider).get("subscriptionId", "")).lower()
            if not subscription:
                continue
            owner = str(provider.get("parent", ""))
            self._provider_subscription[str(provider["urn"])] = subscription
            if owner in self.resources:
                self._owner_subscription.setdefault(owner, subscription)
            if subscription not in self.subscriptions:
                owner_name = str(self.resources[owner]["name"]) if owner in self.resources else ""
                key = owner_name or str(provider["name"])
                label = f"subscription {key} ({subscription})"
                self.subscriptions[subscription] = (label, self.ids.make("sub", key))

    def subscription_of(self, resource: Mapping[str, Any]) -> str:
        """The subscription a resource belongs to: its provider's, or that of
        the nearest ancestor component owning an azure-native provider."""
        provider = str(resource.get("provider", "")).rsplit("::", 1)[0]
        if provider in self._provider_subscription:
            return self._provider_subscription[provider]
        parent = str(resource.get("parent", ""))
        seen: set[str] = set()
        while parent and parent not in seen:
            seen.add(parent)
            if parent in self._owner_subscription:
                return self._owner_subscription[parent]
            parent = str(self.resources.get(parent, {}).get("parent", ""))
        return ""

    def _add_registry(self, name: str, label: str, subscription: str) -> str:
        node = self.ids.make("acr", name)
        self.nodes[node] = (label, "cylinder", subscription)
        self.registry_nodes[name.lower()] = node
        return node

    def _find_registries(self) -> None:
        for registry in self.by_type(REGISTRY):
            inputs = self.inputs(registry)
            name = str(inputs.get("registryName") or registry["name"])
            sku_block = inputs.get("sku")
            sku = str(sku_block.get("name", "")) if isinstance(sku_block, dict) else ""
            location = str(inputs.get("location", ""))
            details = ", ".join(part for part in (sku, location) if part)
            label = f"ACR {name}" + (f" ({details})" if details else "")
            node = self._add_registry(name, label, self.subscription_of(registry))
            self.urn_node[str(registry["urn"])] = node

    def registry_for_id(self, resource_id: str) -> str:
        """The node of the registry an ARM id names, added if the stack only
        references it (an adopted registry)."""
        match = REGISTRY_ID.match(resource_id)
        if not match:
            return ""
        name = match["name"]
        if name.lower() not in self.registry_nodes:
            subscription = match["sub"].lower()
            self._add_registry(
                name,
                f"ACR {name} (not created by this stack)",
                subscription if subscription in self.subscriptions else "",
            )
        return self.registry_nodes[name.lower()]

    def _find_identities(self) -> None:
        for principal in self.by_type(SERVICE_PRINCIPAL, MANAGED_IDENTITY, CREDENTIAL_SET):
            if principal["type"] == CREDENTIAL_SET:
                inputs = self.inputs(principal)
                label = f"credential set {inputs.get('credentialSetName') or principal['name']}"
                related = [principal]
            elif principal["type"] == MANAGED_IDENTITY:
                inputs = self.inputs(principal)
                label = f"managed identity {inputs.get('resourceName') or principal['name']}"
                related = [principal]
            else:
                applications = [
                    self.resources[urn]
                    for urn in principal.get("dependencies", [])
                    if urn in self.resources and self.resources[urn]["type"] == APPLICATION
                ]
                names = [str(self.inputs(app).get("displayName", "")) for app in applications]
                shown = next((name for name in names if name), str(principal["name"]))
                label = f"Entra app {shown}"
                related = [principal, *applications]
            node = self.ids.make("id", str(principal["name"]))
            self.nodes[node] = (label, "stadium", self.subscription_of(principal))
            for resource in related:
                self.urn_node.setdefault(str(resource["urn"]), node)

    def reach(self, start: Mapping[str, Any], wanted: set[str]) -> list[str]:
        """Drawn nodes of the wanted kinds a resource depends on, directly or
        through resources that are not drawn (a secret, a password, ...)."""
        found: list[str] = []
        queue = deque(start.get("dependencies", []))
        seen: set[str] = set()
        while queue:
            urn = queue.popleft()
            if urn in seen or urn not in self.resources:
                continue
            seen.add(urn)
            node = self.urn_node.get(urn)
            if node is not None:
                if node.split("_", 1)[0] in wanted and node not in found:
                    found.append(node)
                continue
            queue.extend(self.resources[urn].get("dependencies", []))
        return found

    def _target_of_role(self, assignment: Mapping[str, Any]) -> str:
        registries = self.reach(assignment, {"acr"})
        if registries:
            return registries[0]
        scope = str(self.inputs(assignment).get("scope", ""))
        node = self.registry_for_id(scope)
        if node:
            return node
        match = GROUP_ID.match(scope)
        if match:
            key = (match["sub"].lower(), match["group"].lower())
            if key not in self.group_nodes:
                node = self.ids.make("rg", match["group"])
                subscription = key[0] if key[0] in self.subscriptions else ""
                self.nodes[node] = (f"resource group {match['group']}", "rect", subscription)
                self.group_nodes[key] = node
            return self.group_nodes[key]
        node = self.ids.make("scope", scope or str(assignment["name"]))
        self.nodes[node] = (f"scope {scope or 'unknown'}", "rect", "")
        return node

    def _find_roles(self) -> None:
        for assignment in self.by_type(ROLE_ASSIGNMENT):
            principals = self.reach(assignment, {"id"})
            if not principals:
                continue
            definition = str(self.inputs(assignment).get("roleDefinitionId", ""))
            guid = definition.rsplit("/", 1)[-1].lower()
            role = ROLE_NAMES.get(guid, f"role {guid[:8]}" if guid else "role")
            self.edges.append((principals[0], role, self._target_of_role(assignment), False))

    def _find_connectors(self) -> None:
        connectors = sorted(
            (r for r in self.resources.values() if is_connector(str(r["type"]))),
            key=lambda r: (str(self.inputs(r).get("identifier", r["name"])), str(r["urn"])),
        )
        for connector in connectors:
            inputs = self.inputs(connector)
            identifier = str(inputs.get("identifier") or connector["name"])
            kind = str(connector["type"]).rsplit(":", 1)[-1]
            kind = {"AzureCloudProviderConnector": "Azure connector"}.get(
                kind, re.sub(r"Connector$", " connector", kind)
            )
            node = self.ids.make("hc", identifier)
            self.nodes[node] = (f"{kind} {identifier}", "subroutine", "")
            self.urn_node[str(connector["urn"])] = node
            self.connector_scopes.setdefault(harness_scope(inputs), []).append(node)
            for identity in self.reach(connector, {"id"}):
                self.edges.append((node, "authenticates as", identity, True))
            registries = self.reach(connector, {"acr"})
            url_match = LOGIN_SERVER_URL.match(str(inputs.get("url", "")))
            if not registries and url_match:
                name = url_match["name"].lower()
                if name not in self.registry_nodes:
                    self._add_registry(name, f"ACR {name} (not created by this stack)", "")
                registries = [self.registry_nodes[name]]
            for registry in registries:
                self.edges.append((node, "logs in to", registry, True))


def harness_scope(inputs: Mapping[str, Any]) -> str:
    """'project org/project', 'organization org' or 'account' from a Harness
    entity's inputs."""
    org, project = inputs.get("orgId"), inputs.get("projectId")
    if org and project:
        return f"Harness project {org}/{project}"
    if org:
        return f"Harness organization {org}"
    return "Harness account"


SHAPES: Mapping[str, tuple[str, str]] = {
    "rect": ("[", "]"),
    "cylinder": ("[(", ")]"),
    "stadium": ("([", "])"),
    "subroutine": ("[[", "]]"),
}


def render(document: Mapping[str, Any]) -> str:
    """The stack's fleet as a Mermaid flowchart (text ending in a newline)."""
    fleet = _Fleet(document)
    lines = ["flowchart LR"]

    def node_line(node: str, indent: str) -> str:
        label, shape, _ = fleet.nodes[node]
        opening, closing = SHAPES[shape]
        return f'{indent}{node}{opening}"{escape(label)}"{closing}'

    placed: set[str] = set()
    for subscription, (label, subgraph) in sorted(
        fleet.subscriptions.items(), key=lambda item: item[1][0]
    ):
        members = [node for node, (_, _, sub) in fleet.nodes.items() if sub == subscription]
        lines.append(f'  subgraph {subgraph}["{escape(label)}"]')
        lines.extend(node_line(node, "    ") for node in _ordered(members))
        lines.append("  end")
        placed.update(members)
    scope_ids = _Ids()
    for scope, members in sorted(fleet.connector_scopes.items()):
        lines.append(f'  subgraph {scope_ids.make("harness", scope)}["{escape(scope)}"]')
        lines.extend(node_line(node, "    ") for node in members)
        lines.append("  end")
        placed.update(members)
    lines.extend(node_line(node, "  ") for node in _ordered(set(fleet.nodes) - placed))
    for source, label, target, dotted in fleet.edges:
        arrow = "-.->" if dotted else "-->"
        lines.append(f'  {source} {arrow}|"{escape(label)}"| {target}')
    return "\n".join(lines) + "\n"


def _ordered(nodes: Iterable[str]) -> list[str]:
    """Identities first, then registries, then the rest, each by id."""
    rank = {"id": 0, "acr": 1, "rg": 2}
    return sorted(nodes, key=lambda node: (rank.get(node.split("_", 1)[0], 3), node))


def embed(readme: str, diagram: str, stack: str = "prod") -> str:
    """The README text with the generated block for ``stack`` replaced."""
    begin, end = BEGIN_MARKER.format(stack=stack), END_MARKER.format(stack=stack)
    start, stop = readme.find(begin), readme.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"the README has no '{begin}' ... '{end}' block")
    block = f"{begin}\n```mermaid\n{diagram}```\n"
    return readme[:start] + block + readme[stop:]


def embedded(readme: str, stack: str = "prod") -> str:
    """The diagram text inside the README's generated block for ``stack``."""
    begin, end = BEGIN_MARKER.format(stack=stack), END_MARKER.format(stack=stack)
    start, stop = readme.find(begin), readme.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"the README has no '{begin}' ... '{end}' block")
    body = readme[start + len(begin) : stop].strip("\n")
    fence = "```mermaid\n"
    if not body.startswith(fence) or not body.endswith("```"):
        raise ValueError("the generated README block is not one ```mermaid fence")
    return body[len(fence) : -3]


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite a README's generated diagram from the committed stack file."""
    from tools import offline  # the engine is only needed on the command line

    parser = argparse.ArgumentParser(
        prog="python -m tools.mermaid", description="Regenerate the README's fleet diagram."
    )
    parser.add_argument("--update", type=Path, required=True, help="README to rewrite in place")
    parser.add_argument("--stack", default="prod", help="stack whose diagram the README embeds")
    options = parser.parse_args(argv)
    diagram = render(offline.run_stack(options.stack).to_document())
    text = options.update.read_text()
    updated = embed(text, diagram, options.stack)
    if updated != text:
        options.update.write_text(updated)
        print(f"{options.update}: {options.stack} diagram regenerated")
    else:
        print(f"{options.update}: {options.stack} diagram already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
