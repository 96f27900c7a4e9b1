"""The fleet generator, the benchmark's baseline and the dependency-chain measure."""

from __future__ import annotations

import collections
import dataclasses
import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import naming
from policy import rules
from tests.components.test_provider_aliases import api_version_aliases
from tests.conftest import STACKS
from tests.policy.test_rules import resource_of
from tools import bench, fleet, offline

# Five subscriptions cover every identity mode the generator cycles through.
SMALL = (5, 3)


def run_generated(subscriptions: int, registries: int, seed: int = 1) -> offline.Graph:
    """The program's graph for a generated fleet, read back from its YAML text."""
    text = fleet.render(
        fleet.generate(subscriptions, registries, seed), subscriptions, registries, seed
    )
    config, secret_keys = offline.config_from_mapping(yaml.safe_load(text)["config"])
    return offline.run_program("bench", config, secret_keys)


@pytest.fixture(scope="module")
def small_graph() -> offline.Graph:
    """The program's graph of the small generated fleet, computed once."""
    return run_generated(*SMALL)


def test_same_arguments_give_the_same_file() -> None:
    """Two runs with the same sizes and seed write the same text; another seed does not."""
    first = fleet.render(fleet.generate(3, 4, seed=7), 3, 4, 7)
    assert first == fleet.render(fleet.generate(3, 4, seed=7), 3, 4, 7), (
        "The generator should be deterministic for a seed."
    )
    assert first != fleet.render(fleet.generate(3, 4, seed=8), 3, 4, 8), (
        "Another seed should give another fleet."
    )


@pytest.mark.parametrize(
    ("subscriptions", "registries", "seed", "message"),
    [
        (0, 1, 1, "subscriptions must be 1 to"),
        (1, 0, 1, "registries must be 1 to"),
        (1, 1000, 1, "registries must be 1 to 999"),
        (1, 1, -1, "seed must be 0 to"),
        (1, 1, fleet.MAX_SEED + 1, "seed must be 0 to 4294967295"),
    ],
)
def test_sizes_out_of_range_are_refused(
    subscriptions: int, registries: int, seed: int, message: str
) -> None:
    """Sizes the fake ids and names cannot hold are refused with the accepted range."""
    with pytest.raises(ValueError, match=message):
        fleet.generate(subscriptions, registries, seed)


def test_largest_arguments_give_valid_registry_names() -> None:
    """The largest seed and numbers the generator accepts still make valid ACR names."""
    name = fleet.registry_name(
        fleet.MAX_SEED, fleet.MAX_SUBSCRIPTIONS - 1, fleet.MAX_REGISTRIES - 1
    )
    assert naming.acr_name_problem(name) is None, f"{name!r} should be a valid ACR name."
    (registry,) = fleet.generate(1, 1, fleet.MAX_SEED)["config"]["acr-fleet:subscriptions"][0][
        "registries"
    ]
    assert registry["name"] == fleet.registry_name(fleet.MAX_SEED, 0, 0), (
        "The generator should name registries with registry_name."
    )


def test_unwritable_output_is_one_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An output path that cannot be written exits 2 with one message, not a traceback."""
    with pytest.raises(SystemExit) as exit_info:
        fleet.main(["1", "1", "-o", str(tmp_path)])
    assert exit_info.value.code == 2, "An unwritable output should be a usage error."
    assert f"cannot write {tmp_path}" in capsys.readouterr().err, (
        "The message should name the path that cannot be written."
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sizes", "1x10,0x10"], "--sizes 0x10: subscriptions must be 1 to"),
        (["--sizes", "1x10", "--seed", "-1"], "--sizes 1x10: seed must be 0 to"),
        (["--repeat", "0"], "--repeat must be 1 or more"),
    ],
)
def test_benchmark_refuses_arguments_before_running(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """The benchmark refuses sizes, seeds and repeats it cannot run, with one message."""
    with pytest.raises(SystemExit) as exit_info:
        bench.main([*argv, "--output", "-"])
    assert exit_info.value.code == 2, "Arguments the benchmark cannot run are a usage error."
    assert message in capsys.readouterr().err, f"The message should say {message!r}."


def test_generated_fleet_passes_validation_with_every_identity_mode(
    small_graph: offline.Graph,
) -> None:
    """The generated stack validates and registers every identity mode's credentials."""
    types = collections.Counter(r.type for r in small_graph.resources)
    assert types["azure-native:containerregistry:Registry"] == SMALL[0] * SMALL[1]
    for wanted in (
        "azuread:index/applicationPassword:ApplicationPassword",
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:managedidentity:FederatedIdentityCredential",
        "harness:platform/dockerConnector:DockerConnector",
    ):
        assert types[wanted] > 0, f"The generated fleet should register a {wanted}."
    auth_types = {
        r.plain_inputs()["credentials"]["type"]
        for r in small_graph.by_type(
            "harness:platform/azureCloudProviderConnector:AzureCloudProviderConnector"
        )
    }
    assert auth_types == {"ManualConfig", "OidcAuthentication", "InheritFromDelegate"}, (
        f"Every Azure connector auth type should appear; got {auth_types}."
    )


def test_generated_fleet_passes_every_mandatory_rule(small_graph: offline.Graph) -> None:
    """Every registration of a generated fleet passes the policy pack's mandatory rules."""
    now = datetime.datetime(2026, 12, 3, tzinfo=datetime.UTC)
    found = [
        f"{registration.urn}: [{name}] {message}"
        for registration in small_graph.resources
        for name, message in rules.violations(resource_of(registration), now)
    ]
    assert not found, "The generated fleet breaks mandatory policies:\n" + "\n".join(found)


def _input_shape(value: Any) -> Any:
    """The keys of a wire-form input, all the way down, with each leaf's type."""
    if isinstance(value, dict):
        return {key: _input_shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_input_shape(item) for item in value]
    return type(value).__name__


def _shapes(graph: offline.Graph) -> collections.Counter[tuple[str, str]]:
    """How many custom resources of each type register inputs of each shape."""
    return collections.Counter(
        (r.type, repr(_input_shape(r.masked_inputs()))) for r in graph.resources if r.custom
    )


def _baseline(extra: dict[str, str] | None = None) -> offline.Graph:
    """The baseline's graph for the small generated fleet."""
    text = fleet.render(fleet.generate(*SMALL), *SMALL, 1)
    config, secret_keys = offline.config_from_mapping(yaml.safe_load(text)["config"])
    outcome = offline.execute(
        "bench", {**config, **(extra or {})}, secret_keys, program=bench.BASELINE
    )
    assert outcome.error is None, f"The baseline failed: {outcome.error}"
    return outcome.graph


def test_baseline_registers_the_programs_resources_with_the_same_inputs(
    small_graph: offline.Graph,
) -> None:
    """The baseline registers the same custom resources, with inputs of the same shape."""
    bare = _baseline()
    assert _shapes(bare) == _shapes(small_graph), (
        "The baseline should register what the program does; it lacks "
        f"{dict(_shapes(small_graph) - _shapes(bare))} and adds "
        f"{dict(_shapes(bare) - _shapes(small_graph))}."
    )
    assert all(r.custom for r in bare.resources if r.type != "pulumi:pulumi:Stack"), (
        "The baseline should register no component."
    )


def test_trimmed_baseline_drops_exactly_the_api_version_aliases() -> None:
    """Only the trimmed baseline loses azure-native's API-version aliases."""
    assert api_version_aliases(_baseline()), "The bare baseline should keep the SDK's aliases."
    trimmed = _baseline({"bench:dropApiVersionAliases": "true"})
    assert not api_version_aliases(trimmed), (
        "The trimmed baseline should drop every API-version alias."
    )


@dataclasses.dataclass
class _Node:
    urn: str
    type: str
    custom: bool = True
    dependencies: list[str] = dataclasses.field(default_factory=list)
    property_dependencies: dict[str, list[str]] = dataclasses.field(default_factory=dict)


def test_longest_chain_follows_dependencies_not_parents_or_providers() -> None:
    """The chain counts explicit and input dependencies, and skips components and providers."""
    nodes = [
        _Node("p", "pulumi:providers:azure-native"),
        _Node("component", "acrfleet:fleet:SubscriptionRegistries", custom=False),
        _Node("a", "x:y:A", dependencies=["p", "component"]),
        _Node("b", "x:y:B", property_dependencies={"scope": ["a"]}),
        _Node("c", "x:y:C", dependencies=["b"]),
        _Node("d", "x:y:D", dependencies=["a"]),
    ]
    assert bench.longest_chain(nodes) == ["a", "b", "c"]


def test_fleet_chain_does_not_grow_with_the_fleet(small_graph: offline.Graph) -> None:
    """A larger generated fleet has a longest chain as long as a small one's, at most 4."""
    small = bench.longest_chain(small_graph.resources)
    larger = bench.longest_chain(run_generated(10, 4).resources)
    assert len(small) == len(larger) <= 4, (
        f"The chain should stay the same and at most 4 long; got {small} and {larger}."
    )


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_dependencies_are_explained(
    graphs: dict[str, offline.Graph], stack: str
) -> None:
    """Every kind of dependency in a committed stack has a stated reason, and no chain exceeds 4."""
    resources = graphs[stack].resources
    kinds = bench.dependency_kinds(resources)
    assert not bench.unexplained(kinds), (
        f"Explain these dependencies in tools.bench.DEPENDENCY_REASONS: {bench.unexplained(kinds)}."
    )
    chain = bench.longest_chain(resources)
    assert len(chain) <= 4, f"The longest chain of {stack} is {len(chain)} long: {chain}."


def test_every_stated_reason_is_a_dependency_of_a_committed_stack(
    graphs: dict[str, offline.Graph],
) -> None:
    """Each reason in DEPENDENCY_REASONS explains an edge some committed stack has."""
    kinds = {kind for graph in graphs.values() for kind in bench.dependency_kinds(graph.resources)}
    stale = sorted(set(bench.DEPENDENCY_REASONS) - kinds)
    assert not stale, f"No committed stack has these dependencies any more: {stale}."


def test_report_lists_every_dependency_with_its_reason() -> None:
    """BENCHMARKS.md's section names every explained dependency, measured or not."""
    sample = {"resources": 2, "chain": ["a"], "kinds": {"Registry -> ResourceGroup": 1}}
    figures = bench.Figures(wall=1.0, run=1.0, rss=1.0, sample=sample)
    text = bench.report([((1, 1), dict.fromkeys(bench.PROGRAMS, figures))], repeat=1)
    for (dependent, dependency), why in bench.DEPENDENCY_REASONS.items():
        assert f"| {dependent} | {dependency} |" in text, (
            f"The report should list {dependent} -> {dependency}."
        )
        assert why in text, f"The report should give why {dependent} depends on {dependency}."


def test_dependency_kinds_catch_an_unexplained_edge() -> None:
    """An edge between types that no reason covers is reported."""
    nodes = [_Node("a", "x:y:Registry"), _Node("b", "x:y:Thing", dependencies=["a"])]
    assert bench.unexplained(bench.dependency_kinds(nodes)) == [("Thing", "Registry")]
