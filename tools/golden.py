"""Golden URN files: every committed stack's URNs, sorted, one a line.

A URN is a resource's identity; a change to one replaces (or, with an alias,
renames) a real resource. The files under ``tests/golden`` make every such
change a reviewable diff. ``make golden`` rewrites them from the stack files.

    python -m tools.golden          # rewrite tests/golden/<stack>.urns.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

from tools import offline

GOLDEN_DIR = offline.PROJECT_DIR / "tests" / "golden"


def stacks(project_dir: Path = offline.PROJECT_DIR) -> list[str]:
    """Names of the committed stacks, from their stack files."""
    return sorted(
        path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for path in (project_dir / "stacks").glob("Pulumi.*.yaml")
    )


def golden_path(stack: str) -> Path:
    """Where a stack's golden URN file lives."""
    return GOLDEN_DIR / f"{stack}.urns.txt"


def urn_lines(graph: offline.Graph) -> str:
    """A graph's URNs, sorted, one a line, as the golden file holds them."""
    return "".join(f"{urn}\n" for urn in sorted(r.urn for r in graph.resources))


def main() -> int:
    """Rewrite every stack's golden file; returns the process exit status."""
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for stack in stacks():
        golden_path(stack).write_text(urn_lines(offline.run_stack(stack)))
        sys.stdout.write(f"wrote {golden_path(stack).relative_to(offline.PROJECT_DIR)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
