"""Offline preview: run a stack on the mock engine and print what it registers.

    python -m tools.preview dev           # resource tree and outputs
    python -m tools.preview dev --json    # one JSON document, for tools
    python -m tools.preview dev --diff old.json   # what changed since a saved --json
    python -m tools.preview dev --mermaid # a Mermaid flowchart of the fleet

No Pulumi CLI, cloud credentials or network needed. Computed values (ids,
client ids, login servers) come from the mock engine and are placeholders;
secrets are masked as "[secret]".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from tools import diff, mermaid, offline

PROTECTED_REMOVAL = 3
"""Exit status of --diff when a protected resource would be removed or replaced."""

INVALID_DOCUMENT = 2
"""Exit status of --diff when the saved document cannot be read or has the wrong shape."""


def _short_provider(reference: str) -> str:
    """'urn:...::name::id' -> 'name'."""
    if not reference:
        return ""
    return reference.rsplit("::", 2)[-2]


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict) and value:
        rows: list[tuple[str, str]] = []
        for key in sorted(value):
            rows += _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        rows = []
        for index, item in enumerate(value):
            rows += _flatten(item, f"{prefix}[{index}]")
        return rows
    if value == {} and prefix == "":
        return []
    return [(prefix, json.dumps(value))]


def render_text(document: dict[str, Any], console: Console) -> None:
    """Print the resource tree and the outputs of a preview document."""
    resources = document["resources"]
    children: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        children.setdefault(resource["parent"], []).append(resource)
    urns = {resource["urn"] for resource in resources}
    roots = [r for r in resources if r["parent"] not in urns]

    def label(resource: dict[str, Any]) -> str:
        return f"[bold]{escape(resource['type'])}[/bold] {escape(resource['name'])}"

    def add(branch: Tree, resource: dict[str, Any]) -> None:
        node = branch.add(label(resource))
        if resource["provider"]:
            node.add(f"[dim]provider[/dim] {escape(_short_provider(resource['provider']))}")
        if resource.get("importId"):
            node.add(f"[dim]import[/dim] {escape(resource['importId'])}")
        if resource.get("protect"):
            node.add("[dim]protect[/dim] true")
        if resource.get("retainOnDelete"):
            node.add("[dim]retainOnDelete[/dim] true")
        for key, value in _flatten(resource["inputs"]):
            node.add(f"[dim]{escape(key)}[/dim] {escape(value)}")
        for child in sorted(
            children.get(resource["urn"], []), key=lambda r: (r["type"], r["name"])
        ):
            add(node, child)

    tree = Tree(f"[bold]{escape(document['project'])}[/bold] stack {escape(document['stack'])}")
    for root in sorted(roots, key=lambda r: (r["type"], r["name"])):
        add(tree, root)
    console.print(tree)
    console.print(f"\n{len(resources)} resources")
    if document.get("invokes"):
        console.print("\n[bold]Lookups[/bold]")
        for invoke in document["invokes"]:
            arguments = ", ".join(f"{k}={v}" for k, v in sorted(invoke["args"].items()))
            console.print(
                f"  {escape(invoke['token'])}({escape(arguments)}) "
                f"[dim]provider[/dim] {escape(_short_provider(invoke['provider']))}"
            )
    console.print("\n[bold]Outputs[/bold]")
    for key, value in _flatten(document["outputs"]):
        console.print(f"  {escape(key)}: {escape(value)}")
    for warning in document["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.preview",
        description="Preview a stack offline on Pulumi's mock engine.",
    )
    parser.add_argument("stack", help="stack name: reads stacks/Pulumi.<stack>.yaml")
    parser.add_argument(
        "--file",
        metavar="STACK_FILE",
        type=Path,
        help="read this stack file instead (a generated fleet, say) under the stack's name",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document (with --diff: the difference)"
    )
    view = parser.add_mutually_exclusive_group()
    view.add_argument(
        "--diff",
        metavar="OLD_JSON",
        type=Path,
        help=(
            "compare with a saved --json document; exit 3 if a protected resource would go, "
            "2 if the document cannot be read or is of another stack"
        ),
    )
    view.add_argument("--mermaid", action="store_true", help="print a Mermaid flowchart")
    options = parser.parse_args(argv)
    if options.mermaid and options.json:
        parser.error("--mermaid and --json print different things; choose one")

    console = Console(width=200, highlight=False, soft_wrap=True)
    errors = Console(stderr=True, width=200, highlight=False, soft_wrap=True)
    old_document = None
    if options.diff is not None:
        try:
            old_document = _read_document(options.diff)
        except (OSError, ValueError) as error:
            errors.print(f"cannot read {escape(str(options.diff))}: {escape(str(error))}")
            return INVALID_DOCUMENT
        others = sorted(diff.stacks_named(old_document) - {options.stack})
        if others:
            # Every URN names its stack: the two documents would share no resource.
            errors.print(
                f"cannot compare: {escape(str(options.diff))} is a preview of stack "
                f"{escape(', '.join(others))}, not {escape(options.stack)}; save it "
                f"again with `python -m tools.preview {escape(options.stack)} --json`"
            )
            return INVALID_DOCUMENT
    try:
        graph = offline.run_stack(options.stack, path=options.file)
    except pulumi.RunError as error:
        errors.print(escape(str(error)))
        return 1
    except offline.OfflineError as error:
        errors.print(f"offline preview failed: {escape(str(error))}")
        return 1
    document = graph.to_document()
    if old_document is not None:
        difference = diff.compare(old_document, document)
        if options.json:
            sys.stdout.write(json.dumps(difference.to_document(), indent=2) + "\n")
        else:
            sys.stdout.write(diff.render_markdown(difference))
        return PROTECTED_REMOVAL if difference.blocking else 0
    if options.mermaid:
        sys.stdout.write(mermaid.render(document))
    elif options.json:
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    else:
        render_text(document, console)
    return 0


def _read_document(path: Path) -> dict[str, Any]:
    """A saved --json document; an empty file stands for a stack that did not exist."""
    text = path.read_text()
    if not text.strip():
        return diff.empty_document()
    try:
        loaded = json.loads(text)
    except RecursionError:
        raise diff.DocumentError("nested too deeply to be an offline preview document") from None
    return dict(diff.check_document(loaded))


if __name__ == "__main__":
    sys.exit(main())
