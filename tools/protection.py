"""What the engine would refuse when a stack's graph changes: deleting a
protected resource.

There is no Pulumi CLI here, so an update is modelled from two offline preview
documents (``python -m tools.preview <stack> --json``): the previous one stands
in for the stack's state, the current one for the program's new registrations.
A resource of the previous document is deleted when no current resource has its
URN or names it among its aliases; if it was protected, the engine stops the
preview with the error this module reproduces.

    python -m tools.protection previous.json dev   # exit 1 and the errors, if any
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tools import offline


def deleted(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Resources of ``previous`` that ``current`` neither registers nor aliases."""
    claimed = {r["urn"] for r in current["resources"]}
    claimed |= {alias for r in current["resources"] for alias in r.get("aliases", [])}
    return [r for r in previous["resources"] if r["urn"] not in claimed]


def delete_protected_error(urn: str) -> str:
    """The engine's error for deleting a protected resource (pulumi/pulumi,
    pkg/resource/deploy/step.go, deleteProtectedError)."""
    return (
        f'resource "{urn}" cannot be deleted\n'
        "because it is protected. To unprotect the resource, either remove the `protect` "
        "flag from the resource in your Pulumi program and run `pulumi up`, or use the "
        f"command:\n`pulumi state unprotect '{urn}'`"
    )


def protection_errors(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The engine's error for each protected resource the change would delete."""
    return [delete_protected_error(r["urn"]) for r in deleted(previous, current) if r["protect"]]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.protection",
        description="Check a stack's offline graph against a previous preview document.",
    )
    parser.add_argument("previous", type=Path, help="a `tools.preview --json` document")
    parser.add_argument("stack", help="stack name: reads stacks/Pulumi.<stack>.yaml")
    options = parser.parse_args(argv)
    previous = json.loads(options.previous.read_text())
    current = offline.run_stack(options.stack).to_document()
    errors = protection_errors(previous, current)
    for error in errors:
        sys.stderr.write(f"error: Preview failed: {error}\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
