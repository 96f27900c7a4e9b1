"""The fleet diagram: strict Mermaid syntax, every registry and connector named,
and the README's copy current."""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

import pytest

from tests.conftest import PROJECT_DIR, STACKS
from tools import mermaid, preview
from tools.offline import Graph

# The subset of Mermaid flowchart syntax the diagram may use, and nothing else.
NODE_ID = r"[A-Za-z][A-Za-z0-9_]*"
LABEL = r'"(?:[^"\\<>&#\n]|#(?:quot|amp|lt|gt|35);)*"'
SHAPE = (
    r"(?:\[(?P<a>{label})\]|\[\((?P<b>{label})\)\]|\(\[(?P<c>{label})\]\)|\[\[(?P<d>{label})\]\])"
)
NODE_RE = re.compile(rf"^(?P<id>{NODE_ID}){SHAPE.format(label=LABEL)}$")
SUBGRAPH_RE = re.compile(rf"^subgraph (?P<id>{NODE_ID})\[(?P<label>{LABEL})\]$")
EDGE_RE = re.compile(
    rf"^(?P<source>{NODE_ID}) (?:-->|-\.->)\|(?P<label>{LABEL})\| (?P<target>{NODE_ID})$"
)
HEADER_RE = re.compile(r"^flowchart (?:LR|RL|TB|TD|BT)$")
RESERVED = {"end", "subgraph", "graph", "flowchart", "style", "class", "classDef", "click"}


@dataclasses.dataclass
class Flowchart:
    """What a diagram declares: nodes with labels, subgraphs and edges."""

    nodes: dict[str, str]
    subgraphs: dict[str, str]
    edges: list[tuple[str, str, str]]


def unescape(label: str) -> str:
    """A quoted label's text, entity codes decoded."""
    text = label[1:-1]
    for code, char in (
        ("#quot;", '"'),
        ("#lt;", "<"),
        ("#gt;", ">"),
        ("#amp;", "&"),
        ("#35;", "#"),
    ):
        text = text.replace(code, char)
    return text


def classify(line: str, number: int) -> tuple[str, re.Match[str]]:
    """Which statement of the grammar a line is, and its parts."""
    for pattern, kind in ((SUBGRAPH_RE, "subgraph"), (NODE_RE, "node"), (EDGE_RE, "edge")):
        match = pattern.match(line)
        if match:
            return kind, match
    raise ValueError(f"line {number}: not in the grammar: {line!r}")


def parse(text: str) -> Flowchart:
    """Parse a diagram by the strict grammar; raise ValueError naming the line."""
    lines = text.splitlines()
    if not lines or not HEADER_RE.match(lines[0]):
        raise ValueError("line 1: a diagram starts with 'flowchart <direction>'")
    chart = Flowchart({}, {}, [])
    depth = 0
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if line == "":
            continue
        if line == "end":
            depth -= 1
            if depth < 0:
                raise ValueError(f"line {number}: 'end' without a subgraph")
            continue
        kind, match = classify(line, number)
        if kind == "edge":
            chart.edges.append(
                (match["source"], unescape(match["label"]), match["target"]),
            )
            continue
        node_id = match["id"]
        if node_id in RESERVED or node_id in chart.nodes or node_id in chart.subgraphs:
            raise ValueError(f"line {number}: id {node_id!r} is reserved or declared twice")
        if kind == "subgraph":
            depth += 1
            chart.subgraphs[node_id] = unescape(match["label"])
        else:
            label = next(match[group] for group in "abcd" if match[group] is not None)
            chart.nodes[node_id] = unescape(label)
    if depth != 0:
        raise ValueError("a subgraph is not closed with 'end'")
    for source, _, target in chart.edges:
        for end in (source, target):
            if end not in chart.nodes:
                raise ValueError(f"edge names {end!r}, which is not a declared node")
    return chart


def names_in(graph: Graph) -> tuple[set[str], set[str]]:
    """Registry names and connector identifiers a stack registers."""
    registries = {
        str(r.plain_inputs()["registryName"])
        for r in graph.by_type("azure-native:containerregistry:Registry")
    }
    connectors = {
        str(r.plain_inputs()["identifier"]) for r in graph.resources if mermaid.is_connector(r.type)
    }
    return registries, connectors


@pytest.mark.parametrize("stack", STACKS)
def test_diagram_is_valid_and_names_everything(graphs: dict[str, Graph], stack: str) -> None:
    """Each committed stack's diagram parses and names every registry and connector."""
    chart = parse(mermaid.render(graphs[stack].to_document()))
    labels = " | ".join(chart.nodes.values())
    registries, connectors = names_in(graphs[stack])
    assert registries, "The stack should have registries."
    assert connectors, "The stack should have connectors."
    for name in registries:
        assert f"ACR {name} " in labels, f"The {stack} diagram should name registry {name}."
    for identifier in connectors:
        assert re.search(rf"connector {re.escape(identifier)}\b", labels), (
            f"The {stack} diagram should name connector {identifier}."
        )


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_assignment_is_an_edge(graphs: dict[str, Graph], stack: str) -> None:
    """Each role assignment is one edge from an identity to a registry, labelled with its role."""
    graph = graphs[stack]
    chart = parse(mermaid.render(graph.to_document()))
    roles = [
        (source, label, target)
        for source, label, target in chart.edges
        if label in mermaid.ROLE_NAMES.values()
    ]
    assignments = graph.by_type("azure-native:authorization:RoleAssignment")
    assert len(roles) == len(assignments)
    for source, label, target in roles:
        assert chart.nodes[source].startswith(
            ("Entra app ", "managed identity ", "credential set")
        ), "A role's source is an identity."
        wanted = {"Reader": "resource group ", "Key Vault Secrets User": "scope "}.get(
            label, "ACR "
        )
        assert chart.nodes[target].startswith(wanted), f"A {label} role's target is {wanted}."


@pytest.mark.parametrize("stack", STACKS)
def test_connectors_point_at_their_identity(graphs: dict[str, Graph], stack: str) -> None:
    """Every connector authenticates as exactly one identity of its own subscription."""
    chart = parse(mermaid.render(graphs[stack].to_document()))
    for node, label in chart.nodes.items():
        if " connector " not in f" {label} ":
            continue
        identities = [t for s, edge, t in chart.edges if s == node and edge == "authenticates as"]
        assert len(identities) == 1, f"{label} should authenticate as one identity."


def test_readme_diagram_is_current(graphs: dict[str, Graph]) -> None:
    """The README embeds the prod diagram as the committed prod stack renders it now."""
    readme = (PROJECT_DIR / "README.md").read_text()
    assert mermaid.embedded(readme, "prod") == mermaid.render(graphs["prod"].to_document()), (
        "The README's prod diagram is stale: run `make diagram` and commit README.md."
    )


def test_embed_replaces_only_the_block() -> None:
    """Embedding rewrites the generated block and leaves the text around it alone."""
    readme = (
        "before\n"
        f"{mermaid.BEGIN_MARKER.format(stack='prod')}\nold\n"
        f"{mermaid.END_MARKER.format(stack='prod')}\nafter\n"
    )
    updated = mermaid.embed(readme, "flowchart LR\n")
    assert updated.startswith("before\n")
    assert updated.endswith("after\n")
    assert mermaid.embedded(updated) == "flowchart LR\n"


def test_command_prints_the_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m tools.preview dev --mermaid` prints a diagram that parses."""
    assert preview.main(["dev", "--mermaid"]) == 0
    parse(capsys.readouterr().out)


def with_adopted_registries(document: dict[str, Any]) -> dict[str, Any]:
    """The document as it would be if the stack adopted its registries rather than
    creating them, and granted Reader on one resource group: the Registry resources
    are gone, the role assignments still name the registries' ids."""
    changed = copy.deepcopy(document)
    registry_urns = {
        r["urn"]
        for r in changed["resources"]
        if r["type"] == "azure-native:containerregistry:Registry"
    }
    changed["resources"] = [r for r in changed["resources"] if r["urn"] not in registry_urns]
    reader = None
    for resource in changed["resources"]:
        resource["dependencies"] = [u for u in resource["dependencies"] if u not in registry_urns]
        if resource["type"] == "azure-native:authorization:RoleAssignment" and reader is None:
            reader = copy.deepcopy(resource)
    assert reader is not None
    scope = reader["inputs"]["scope"]
    reader["urn"] += "-reader"
    reader["name"] += "-reader"
    reader["inputs"]["scope"] = scope.split("/providers/")[0]
    reader["inputs"]["roleDefinitionId"] = reader["inputs"]["roleDefinitionId"].rsplit("/", 1)[
        0
    ] + ("/acdd72a7-3385-48ef-bd42-f606fba81ae7")
    changed["resources"].append(reader)
    changed["resources"].append(
        {
            "urn": "urn:pulumi:prod::acr-fleet::acrfleet:future:Thing::later",
            "type": "acrfleet:future:Thing",
            "name": "later",
            "parent": "",
            "provider": "",
            "inputs": {"note": 'quotes " and <tags> & more'},
            "dependencies": [],
        }
    )
    return changed


def test_diagram_follows_references_not_config(graphs: dict[str, Graph]) -> None:
    """Registries known only from role scopes are still drawn, a resource-group role is an
    edge to the group, and unknown resource types are ignored."""
    document = with_adopted_registries(graphs["prod"].to_document())
    chart = parse(mermaid.render(document))
    labels = " | ".join(chart.nodes.values())
    registries, _ = names_in(graphs["prod"])
    for name in registries:
        assert f"ACR {name} (not created by this stack)" in labels
    groups = [t for _, label, t in chart.edges if label == "Reader"]
    listable = [
        r
        for r in graphs["prod"].by_type("azure-native:authorization:RoleAssignment")
        if r.plain_inputs()["roleDefinitionId"].endswith("acdd72a7-3385-48ef-bd42-f606fba81ae7")
    ]
    assert len(groups) == len(listable) + 1, "Every Reader role, and the added one, is an edge."
    assert all(chart.nodes[group].startswith("resource group ") for group in groups)


@pytest.mark.parametrize(
    "text",
    [
        'flowchart LR\n  a["x"]\n  a --> b',
        "flowchart LR\n  a[x]",
        'flowchart LR\n  1a["x"]',
        'flowchart LR\n  end["x"]',
        'flowchart LR\n  a["say "hi""]',
        'flowchart LR\n  subgraph s["x"]\n  a["x"]',
        'graph LR\n  a["x"]',
        'flowchart LR\n  a["x"]\n  a["y"]',
    ],
)
def test_grammar_rejects_what_mermaid_would_misread(text: str) -> None:
    """The strict grammar refuses undeclared nodes, bare labels, bad ids, raw quotes and
    unclosed subgraphs, so a pass means something."""
    with pytest.raises(ValueError, match=r"line|edge|subgraph"):
        parse(text)


def test_labels_are_escaped() -> None:
    """Quotes, angle brackets, ampersands and hashes in names become entity codes."""
    assert mermaid.escape('a "b" <c> & #d') == "a #quot;b#quot; #lt;c#gt; #amp; #35;d"


def test_hostile_label_round_trips() -> None:
    """A label with every special character parses and reads back as written."""
    text = 'say "hi" <b> & (x) [y] {z} #1 | ok'
    chart = parse(f'flowchart LR\n  a_1["{mermaid.escape(text)}"]')
    assert chart.nodes == {"a_1": text}


@pytest.mark.parametrize("separator", ["\n", "\r", "\r\n", "\x0b", "\x85", "\u2028", "\x00"])
def test_label_stays_on_one_line(separator: str) -> None:
    """A line break or control character in a name becomes a space, so the node stays one
    statement of the diagram."""
    chart = parse(f'flowchart LR\n  a_1["{mermaid.escape(f"rg{separator}x")}"]')
    assert chart.nodes == {"a_1": f"rg{' ' * len(separator)}x"}


def test_managed_identities_are_drawn_like_principals(graphs: dict[str, Graph]) -> None:
    """A user-assigned managed identity that role assignments depend on is the source of
    their edges, as a service principal would be."""
    document = copy.deepcopy(graphs["dev"].to_document())
    principal = next(r for r in document["resources"] if r["type"] == mermaid.SERVICE_PRINCIPAL)
    principal["type"] = mermaid.MANAGED_IDENTITY
    principal["inputs"] = {"resourceName": "id-acr-dev", "resourceGroupName": "rg-acr-dev"}
    chart = parse(mermaid.render(document))
    (node,) = [n for n, label in chart.nodes.items() if label == "managed identity id-acr-dev"]
    roles = [label for source, label, _ in chart.edges if source == node]
    assert sorted(roles) == ["AcrPull", "AcrPush"]
