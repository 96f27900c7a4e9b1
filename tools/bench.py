"""Measure what evaluating a large fleet costs, against a bare baseline.

    python -m tools.bench                       # 1x10, 10x10, 50x20; writes BENCHMARKS.md
    python -m tools.bench --sizes 1x10,10x10 --repeat 1 --output -

For each fleet size it writes a stack file with ``tools.fleet``, then runs, each
in a process of its own and interleaved, the offline preview of acr-fleet and
two baselines (``tools/baseline.py``: the same custom resources with the same
inputs, no components, validation or naming): the bare one, which is what the
Pulumi SDK alone costs, and a trimmed one that drops azure-native's API-version
aliases as acr-fleet does, which isolates acr-fleet's own overhead. Per run it
records the process's wall time, the part of it spent running the program on
the engine, and peak memory (ru_maxrss). With ``--repeat`` > 1 each
figure is the median of that many processes.

It also computes, from the recorded graph, the longest chain of resources each
of which depends on the one before (``longest_chain``), and checks that every
kind of dependency in the graph is one ``DEPENDENCY_REASONS`` explains.

Not part of the test run (``make bench``): it takes minutes and its figures
depend on the machine, so it prints them, with the issue's targets and whether
they hold, rather than asserting on them.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASELINE = PROJECT_DIR / "tools" / "baseline.py"
DEFAULT_SIZES = ((1, 10), (10, 10), (50, 20))
BUILD_DIR = PROJECT_DIR / "build" / "bench"

# Why each kind of dependency exists: (dependent type, dependency type) -> reason.
# Types are the last part of the token. A kind of edge that is not here fails
# the benchmark and the test that runs it on every committed stack, so a new
# dependency is a reviewed decision, not an accident.
DEPENDENCY_REASONS: Mapping[tuple[str, str], str] = {
    ("Registry", "ResourceGroup"): "explicit: an ACR is created inside its resource group",
    ("Replication", "Registry"): "a replica is a child of its registry",
    ("ManagementLockByScope", "Registry"): "the lock's scope is the registry's id",
    ("RoleAssignment", "Registry"): "the assignment's scope is the registry's id",
    ("RoleAssignment", "ResourceGroup"): "Reader for listable registries is scoped to the group",
    ("RoleAssignment", "ServicePrincipal"): "the principal is the service principal's object id",
    ("RoleAssignment", "UserAssignedIdentity"): "the principal is the managed identity's id",
    ("RoleAssignment", "CredentialSet"): (
        "the mirror's credential set reads Key Vault as its own system-assigned identity"
    ),
    (
        "ServicePrincipal",
        "Application",
    ): "a service principal is made for an application's client id",
    ("ApplicationPassword", "Application"): "a password belongs to its application",
    ("ApplicationFederatedIdentityCredential", "Application"): (
        "a federated credential belongs to its application"
    ),
    ("UserAssignedIdentity", "ResourceGroup"): (
        "explicit: a managed identity is created inside its resource group"
    ),
    ("FederatedIdentityCredential", "UserAssignedIdentity"): (
        "a federated credential belongs to its managed identity"
    ),
    ("SecretText", "ApplicationPassword"): "the Harness secret holds the password's value",
    ("AzureCloudProviderConnector", "Application"): "the connector signs in as the client id",
    ("AzureCloudProviderConnector", "UserAssignedIdentity"): (
        "the connector signs in as the managed identity's client id"
    ),
    ("AzureCloudProviderConnector", "SecretText"): (
        "Harness refuses a connector whose secret reference does not exist yet"
    ),
    ("AzureCloudProviderConnector", "ApplicationFederatedIdentityCredential"): (
        "explicit: the connector is usable only once Entra trusts Harness' tokens"
    ),
    ("AzureCloudProviderConnector", "FederatedIdentityCredential"): (
        "explicit: the connector is usable only once Entra trusts Harness' tokens"
    ),
    ("DockerConnector", "Application"): "the connector's username is the client id",
    ("DockerConnector", "SecretText"): (
        "Harness refuses a connector whose password reference does not exist yet"
    ),
    ("DockerConnector", "Registry"): "the connector's url is the registry's login server",
    ("CredentialSet", "Registry"): "a credential set is a child of its registry",
    ("CacheRule", "Registry"): "a cache rule is a child of its registry",
    ("CacheRule", "CredentialSet"): "a cache rule names the credential set it pulls with",
}


def _short(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def _edges(resources: Sequence[Any]) -> dict[str, set[str]]:
    """Dependent URN -> the custom resources it depends on (explicit and input
    dependencies); parents and providers are not dependencies here."""
    custom = {r.urn for r in resources if r.custom and not r.type.startswith("pulumi:providers:")}
    edges: dict[str, set[str]] = {}
    for resource in resources:
        if resource.urn not in custom:
            continue
        found = set(resource.dependencies)
        for urns in resource.property_dependencies.values():
            found.update(urns)
        edges[resource.urn] = (found & custom) - {resource.urn}
    return edges


def longest_chain(resources: Sequence[Any]) -> list[str]:
    """The longest chain of URNs in which each resource depends on the one
    before it, first dependency first; its length bounds ``pulumi up``."""
    edges = _edges(resources)
    best: dict[str, list[str]] = {}

    def chain_to(urn: str) -> list[str]:
        if urn not in best:
            best[urn] = []  # a cycle, impossible in an engine graph, ends here
            longest = max((chain_to(d) for d in sorted(edges[urn])), key=len, default=[])
            best[urn] = [*longest, urn]
        return best[urn]

    # Iterative depth would only matter for chains thousands long.
    return max((chain_to(urn) for urn in sorted(edges)), key=len, default=[])


def dependency_kinds(resources: Sequence[Any]) -> Counter[tuple[str, str]]:
    """How many edges of each (dependent type, dependency type) the graph has."""
    by_urn = {r.urn: r for r in resources}
    return Counter(
        (_short(by_urn[urn].type), _short(by_urn[dependency].type))
        for urn, dependencies in _edges(resources).items()
        for dependency in dependencies
    )


def unexplained(kinds: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Dependency kinds that DEPENDENCY_REASONS does not explain."""
    return sorted(kind for kind in kinds if kind not in DEPENDENCY_REASONS)


# -- one measured process ---------------------------------------------------------


PROGRAMS: Mapping[str, str] = {
    "program": "acr-fleet",
    "baseline": "bare SDK baseline",
    "trimmed": "baseline without API-version aliases",
}
"""What ``measure`` can run: acr-fleet's ``__main__.py``; the bare baseline; and
the bare baseline making acr-fleet's one choice about the SDK (azure-native's
API-version aliases dropped), which shows acr-fleet's own overhead alone."""


def measure(which: str, stack_path: Path) -> dict[str, Any]:
    """Run one of ``PROGRAMS`` once in this process; its figures."""
    import resource

    from tools import offline

    config, secret_keys = offline.read_stack_file(stack_path)
    if which == "trimmed":
        config = {**config, "bench:dropApiVersionAliases": "true"}
    started = time.perf_counter()
    outcome = offline.execute(
        "bench", config, secret_keys, program=None if which == "program" else BASELINE
    )
    run_seconds = time.perf_counter() - started
    if outcome.error is not None:
        raise outcome.error
    resources = outcome.graph.resources
    chain = longest_chain(resources)
    kinds = dependency_kinds(resources)
    return {
        "which": which,
        "resources": len(resources),
        "custom": dict(Counter(r.type for r in resources if r.custom)),
        "run_seconds": run_seconds,
        # Linux reports ru_maxrss in KiB.
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "chain": [
            urn.rsplit("::", 1)[-1] + " (" + _short(urn.rsplit("::", 2)[-2]) + ")" for urn in chain
        ],
        "kinds": {f"{a} -> {b}": n for (a, b), n in sorted(kinds.items())},
        "unexplained": [f"{a} -> {b}" for a, b in unexplained(kinds)],
    }


# -- the driver -------------------------------------------------------------------


@dataclasses.dataclass
class Figures:
    """Median figures of one program at one fleet size."""

    wall: float
    """The whole process: interpreter, imports, reading the stack file, the run."""
    run: float
    """The program on the mock engine alone."""
    rss: float
    """Peak resident memory of the process, MiB."""
    sample: dict[str, Any]
    """One run's full figures (resource counts, chain, dependency kinds)."""


def _run_once(which: str, stack_path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--measure", which, str(stack_path)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{which} on {stack_path} failed:\n{completed.stderr[-4000:]}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    figures["wall_seconds"] = wall
    return figures


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """'1x10,10x10' -> [(1, 10), (10, 10)]."""
    sizes = []
    for part in text.split(","):
        subscriptions, _, registries = part.strip().partition("x")
        if not (subscriptions.isdigit() and registries.isdigit()):
            raise argparse.ArgumentTypeError(f"sizes are SxR, like 10x10 (got {part!r})")
        sizes.append((int(subscriptions), int(registries)))
    return sizes


def machine() -> str:
    """One line describing this machine and the software measured."""
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("pulumi", "pulumi-azure-native", "pulumi-azuread", "pulumi-harness")
    )
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {versions}"
    )


Row = tuple[tuple[int, int], dict[str, Figures]]

WALL_RATIO_LIMIT = 1.2
"""Issue #7: acr-fleet's wall time at 1,000 registries, over the bare baseline's."""
GROWTH_LIMIT = 12.0
"""Issue #7: the 1,000-registry wall time over the 100-registry one."""


def _ratio(row: dict[str, Figures], other: str) -> str:
    ours, theirs = row["program"], row[other]
    return (
        f"{ours.wall / theirs.wall:.2f} / {ours.run / theirs.run:.2f} / {ours.rss / theirs.rss:.2f}"
    )


def checks(rows: list[Row]) -> list[str]:
    """The issue's targets, each with its figure and whether it holds."""
    by_size = {subscriptions * registries: figures for (subscriptions, registries), figures in rows}
    lines = []
    if 1000 in by_size:
        ratio = by_size[1000]["program"].wall / by_size[1000]["baseline"].wall
        verdict = "holds" if ratio <= WALL_RATIO_LIMIT else "DOES NOT HOLD"
        lines.append(
            f"- Wall time at 1,000 registries over the bare baseline's: {ratio:.2f} "
            f"(target at most {WALL_RATIO_LIMIT}): {verdict}."
        )
    if 1000 in by_size and 100 in by_size:
        growth = by_size[1000]["program"].wall / by_size[100]["program"].wall
        verdict = "holds" if growth <= GROWTH_LIMIT else "DOES NOT HOLD"
        lines.append(
            f"- Wall time from 100 to 1,000 registries grows {growth:.1f}x "
            f"(target at most {GROWTH_LIMIT:.0f}x): {verdict}."
        )
    chains = {len(figures["program"].sample["chain"]) for _, figures in rows}
    verdict = "holds" if len(chains) == 1 and max(chains) <= 4 else "DOES NOT HOLD"
    lines.append(
        f"- Longest dependency chain at every size: {sorted(chains)} resources "
        f"(target: the same everywhere, at most 4): {verdict}."
    )
    return lines


def report(rows: list[Row], repeat: int) -> str:
    """BENCHMARKS.md's figures as Markdown."""
    lines = [
        f"Machine: {machine()}.",
        "",
        f"Each figure is the median of {repeat} process run(s), each program in a process "
        "of its own. *wall* is the whole process (interpreter, imports, the run); *run* is "
        "the program on the mock engine alone; *peak* is the process's peak resident memory. "
        "Ratios are acr-fleet's figure over the other program's (wall / run / peak).",
        "",
        "| fleet | registries | resources (acr-fleet / baseline) "
        "| acr-fleet wall / run (s) | peak (MiB) "
        "| bare baseline wall / run (s) | peak (MiB) | ratio to bare "
        "| trimmed baseline wall / run (s) | ratio to trimmed | longest chain |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (subscriptions, registries), figures in rows:
        ours, bare, trimmed = figures["program"], figures["baseline"], figures["trimmed"]
        lines.append(
            f"| {subscriptions}x{registries} | {subscriptions * registries} "
            f"| {ours.sample['resources']} / {bare.sample['resources']} "
            f"| {ours.wall:.1f} / {ours.run:.1f} | {ours.rss:.0f} "
            f"| {bare.wall:.1f} / {bare.run:.1f} | {bare.rss:.0f} | {_ratio(figures, 'baseline')} "
            f"| {trimmed.wall:.1f} / {trimmed.run:.1f} | {_ratio(figures, 'trimmed')} "
            f"| {len(ours.sample['chain'])} |"
        )
    if len(rows) > 1:
        lines += ["", "Growth from one size to the next (wall time):", ""]
        for (size_a, figures_a), (size_b, figures_b) in itertools.pairwise(rows):
            registries_a, registries_b = size_a[0] * size_a[1], size_b[0] * size_b[1]
            growth = ", ".join(
                f"{PROGRAMS[which]} {figures_b[which].wall / figures_a[which].wall:.1f}x"
                for which in PROGRAMS
            )
            lines.append(
                f"- {registries_a} -> {registries_b} registries "
                f"({registries_b / registries_a:.0f}x): {growth}"
            )
    largest_size, largest = rows[-1]
    lines += [
        "",
        "Targets:",
        "",
        *checks(rows),
        "",
        f"Longest dependency chain at {largest_size[0]}x{largest_size[1]}: "
        + " -> ".join(largest["program"].sample["chain"]),
        "",
        f"Every kind of dependency in acr-fleet's graph at {largest_size[0]}x{largest_size[1]}, "
        "with how many edges it has and why it exists (explicit and input dependencies; "
        "parents and providers are not dependencies here):",
        "",
        "| dependent | depends on | edges | why |",
        "| --- | --- | ---: | --- |",
    ]
    for kind, count in largest["program"].sample["kinds"].items():
        dependent, dependency = kind.split(" -> ")
        reason = DEPENDENCY_REASONS.get((dependent, dependency), "UNEXPLAINED")
        lines.append(f"| {dependent} | {dependency} | {count} | {reason} |")
    lines += unexercised_reasons(largest["program"].sample["kinds"])
    return "\n".join(lines) + "\n"


def unexercised_reasons(kinds: Iterable[str]) -> list[str]:
    """Markdown for the dependencies the program can have that the measured graph
    lacks (features the generator leaves out), each with its reason."""
    seen = {tuple(kind.split(" -> ")) for kind in kinds}
    missing = [(kind, why) for kind, why in DEPENDENCY_REASONS.items() if kind not in seen]
    if not missing:
        return []
    return [
        "",
        "Dependencies the program has elsewhere but this graph lacks (the generator makes "
        "no replicas, locks or harnessImage mirror), each with its reason; the committed "
        "stacks have them all:",
        "",
        "| dependent | depends on | why |",
        "| --- | --- | --- |",
        *(f"| {dependent} | {dependency} | {why} |" for (dependent, dependency), why in missing),
    ]


BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"


def write_report(path: Path, text: str) -> None:
    """Replace the generated part of ``path`` between the bench markers."""
    document = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in document or END not in document:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} section to replace")
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{text}{END}{tail}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), help="SxR,...")
    parser.add_argument("--repeat", type=int, default=3, help="processes per figure (median)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated fleets")
    parser.add_argument(
        "--output", default=str(PROJECT_DIR / "BENCHMARKS.md"), help="file to update, or -"
    )
    parser.add_argument(
        "--measure", nargs=2, metavar=("WHICH", "STACK_FILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be 1 or more (got {args.repeat})")
    if args.measure:
        which, stack_path = args.measure
        if which not in PROGRAMS:
            parser.error(f"WHICH is one of {', '.join(PROGRAMS)} (got {which!r})")
        print(json.dumps(measure(which, Path(stack_path))))
        return 0

    from tools import fleet

    # Every size is checked before the first one runs for minutes.
    for subscriptions, registries in args.sizes:
        try:
            fleet.check_arguments(subscriptions, registries, args.seed)
        except ValueError as error:
            parser.error(f"--sizes {subscriptions}x{registries}: {error}")
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for subscriptions, registries in args.sizes:
        stack_path = BUILD_DIR / f"Pulumi.bench-{subscriptions}x{registries}.yaml"
        document = fleet.generate(subscriptions, registries, args.seed)
        stack_path.write_text(fleet.render(document, subscriptions, registries, args.seed))
        # Interleaved, so a slow spell of the machine hits every program alike.
        runs: dict[str, list[dict[str, Any]]] = {which: [] for which in PROGRAMS}
        for _ in range(args.repeat):
            for which in PROGRAMS:
                runs[which].append(_run_once(which, stack_path))
        figures = {which: _figures(samples) for which, samples in runs.items()}
        ours = figures["program"]
        if ours.sample["unexplained"]:
            raise SystemExit(f"dependencies no reason explains: {ours.sample['unexplained']}")
        for which in ("baseline", "trimmed"):
            if ours.sample["custom"] != figures[which].sample["custom"]:
                raise SystemExit(
                    f"the {PROGRAMS[which]} no longer registers what acr-fleet does:\n"
                    f"  acr-fleet {sorted(ours.sample['custom'].items())}\n"
                    f"  {which}  {sorted(figures[which].sample['custom'].items())}"
                )
        print(
            f"{subscriptions}x{registries}: "
            + "; ".join(
                f"{PROGRAMS[which]} {f.wall:.1f}s (run {f.run:.1f}s, {f.rss:.0f} MiB)"
                for which, f in figures.items()
            )
            + f"; chain {len(ours.sample['chain'])}",
            flush=True,
        )
        rows.append(((subscriptions, registries), figures))
    text = report(rows, args.repeat)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        write_report(Path(args.output), text)
        sys.stdout.write(text)
        print(f"wrote {args.output}")
    return 0


def _figures(runs: list[dict[str, Any]]) -> Figures:
    return Figures(
        wall=statistics.median(r["wall_seconds"] for r in runs),
        run=statistics.median(r["run_seconds"] for r in runs),
        rss=statistics.median(r["peak_rss_mib"] for r in runs),
        sample=runs[0],
    )


if __name__ == "__main__":
    sys.exit(main())
