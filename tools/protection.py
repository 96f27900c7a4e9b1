"""What the engine would refuse when a stack's graph changes: deleting or
replacing a protected resource.

There is no Pulumi CLI here, so an update is modelled from two offline preview
documents (``python -m tools.preview <stack> --json``): the previous one stands
in for the stack's state, the current one for the program's new registrations.
A resource of the previous document is deleted when no current resource has its
URN or names it among its aliases; if it was protected, the engine stops the
preview with the error this module reproduces. A resource found on both sides
is replaced when one of its replace-triggering inputs changes
(``tools.diff.REPLACE_INPUTS``); if it is protected on both sides, the engine
refuses that too.

    python -m tools.protection previous.json dev   # exit 1 and the errors, if any;
                                                   # exit 2 for an unreadable document
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tools import diff, offline

INVALID_DOCUMENT = 2
"""Exit status when the previous document cannot be read or has the wrong shape."""


def deleted(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Resources of ``previous`` that ``current`` neither registers nor aliases."""
    kept = {old["urn"] for old, _ in diff.counterparts(previous, current)}
    return [r for r in diff.check_document(previous)["resources"] if r["urn"] not in kept]


def replaced(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any], tuple[str, ...]]]:
    """Resources on both sides whose replace-triggering inputs changed, with those inputs."""
    return [
        (old, new, inputs)
        for old, new in diff.counterparts(previous, current)
        if (inputs := diff.replacing_inputs(old, new))
    ]


def delete_protected_error(urn: str) -> str:
    """The engine's error for deleting a protected resource (pulumi/pulumi,
    pkg/resource/deploy/step.go, deleteProtectedError)."""
    return (
        f'resource "{urn}" cannot be deleted\n'
        "because it is protected. To unprotect the resource, either remove the `protect` "
        "flag from the resource in your Pulumi program and run `pulumi up`, or use the "
        f"command:\n`pulumi state unprotect '{urn}'`"
    )


def replace_protected_error(urn: str) -> str:
    """The engine's error for replacing a protected resource (pulumi/pulumi,
    pkg/resource/deploy/step_generator.go, where a diff asks for a replacement)."""
    return (
        f'unable to replace resource "{urn}"\n'
        "as it is currently marked for protection. To unprotect the resource, remove the "
        "`protect` flag from the resource in your Pulumi program and run `pulumi up`"
    )


def protection_errors(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The engine's error for each protected resource the change would delete or
    replace. A replacement is refused only when the resource is protected before
    and after, as the engine allows unprotecting and replacing in one update."""
    errors = [
        delete_protected_error(r["urn"]) for r in deleted(previous, current) if diff.is_protected(r)
    ]
    errors.extend(
        f"{replace_protected_error(new['urn'])}\n(replaced because {', '.join(inputs)} changed)"
        for old, new, inputs in replaced(previous, current)
        if diff.is_protected(old) and diff.is_protected(new)
    )
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.protection",
        description="Check a stack's offline graph against a previous preview document.",
    )
    parser.add_argument("previous", type=Path, help="a `tools.preview --json` document")
    parser.add_argument("stack", help="stack name: reads stacks/Pulumi.<stack>.yaml")
    options = parser.parse_args(argv)
    try:
        previous = diff.check_document(json.loads(options.previous.read_text()))
    except (OSError, ValueError) as problem:
        sys.stderr.write(f"error: cannot read {options.previous}: {problem}\n")
        return INVALID_DOCUMENT
    current = offline.run_stack(options.stack).to_document()
    errors = protection_errors(previous, current)
    for error in errors:
        sys.stderr.write(f"error: Preview failed: {error}\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
