"""The live test's skip logic: it names everything that is missing."""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Callable, Mapping

import pytest

from tests.conftest import PROJECT_DIR, run_config
from tests.live import requirements
from tools.offline import Graph

COMPLETE = {
    "ACR_FLEET_LIVE": "1",
    "ARM_SUBSCRIPTION_ID": "sub",
    "ARM_TENANT_ID": "tenant",
    "ARM_CLIENT_ID": "client",
    "ARM_CLIENT_SECRET": "secret",
    "HARNESS_ACCOUNT_ID": "account",
    "HARNESS_PLATFORM_API_KEY": "key",
}


def on_path(*tools: str) -> Callable[[str], str | None]:
    """A `which` that finds only the named tools."""
    return lambda name: f"/usr/bin/{name}" if name in tools else None


def test_nothing_missing_gives_no_reason() -> None:
    """With the opt-in, the CLI and every variable, the test runs."""
    assert requirements.skip_reason(COMPLETE, on_path("pulumi")) == ""


def test_reason_names_every_gap() -> None:
    """An empty environment names the opt-in, the CLI, each variable and the credentials."""
    reason = requirements.skip_reason({}, on_path())
    for expected in (
        "ACR_FLEET_LIVE=1",
        "pulumi CLI on PATH",
        "ARM_SUBSCRIPTION_ID",
        "ARM_TENANT_ID",
        "HARNESS_ACCOUNT_ID",
        "HARNESS_PLATFORM_API_KEY",
        "Azure credentials",
    ):
        assert expected in reason, f"The skip reason should name {expected}."


@pytest.mark.parametrize("variable", sorted(COMPLETE))
def test_each_variable_is_required(variable: str) -> None:
    """Dropping any one variable is reported by name (the client id and secret as
    credentials)."""
    environ = {k: v for k, v in COMPLETE.items() if k != variable}
    reason = requirements.skip_reason(environ, on_path("pulumi"))
    assert reason, f"Without {variable} the live test should skip."
    assert variable in reason or "Azure credentials" in reason


def test_az_login_stands_in_for_a_client_id() -> None:
    """The az CLI on PATH is accepted instead of ARM_CLIENT_ID."""
    environ = {k: v for k, v in COMPLETE.items() if not k.startswith("ARM_CLIENT_")}
    assert requirements.skip_reason(environ, on_path("pulumi", "az")) == ""


def test_client_id_alone_is_not_credentials() -> None:
    """ARM_CLIENT_ID without a secret or OIDC skips, naming both ways to complete it."""
    environ = {k: v for k, v in COMPLETE.items() if k != "ARM_CLIENT_SECRET"}
    reason = requirements.skip_reason(environ, on_path("pulumi"))
    assert "ARM_CLIENT_ID is set without ARM_CLIENT_SECRET or ARM_USE_OIDC=true" in reason


def test_client_id_with_oidc_is_credentials() -> None:
    """ARM_CLIENT_ID with ARM_USE_OIDC=true is enough, without a secret."""
    environ = {k: v for k, v in COMPLETE.items() if k != "ARM_CLIENT_SECRET"}
    assert requirements.skip_reason({**environ, "ARM_USE_OIDC": "true"}, on_path("pulumi")) == ""


def test_this_machine_skips_with_a_reason() -> None:
    """Here, without the opt-in, the reason names the opt-in at least."""
    if os.environ.get("ACR_FLEET_LIVE") == "1":
        pytest.skip("the live opt-in is set on this machine")
    assert "ACR_FLEET_LIVE=1" in requirements.skip_reason(os.environ, shutil.which)


RUN_ID = "0a1b2c3d"
FAKE_IDS = {
    "ARM_SUBSCRIPTION_ID": "00000000-0000-0000-0000-0000000000aa",
    "ARM_TENANT_ID": "11111111-1111-1111-1111-111111111111",
    "HARNESS_ACCOUNT_ID": "FakeAccountLive00000001",
}


def throwaway_graph(extra: Mapping[str, str] | None = None) -> Graph:
    """The throwaway stack of run RUN_ID, with fake ids, on the mock engine."""
    environ = {**FAKE_IDS, **(extra or {})}
    config = requirements.throwaway_config(RUN_ID, environ, datetime.date(2026, 1, 1))
    return run_config(config, f"live-{RUN_ID}")


def test_throwaway_config_is_valid_offline() -> None:
    """The throwaway stack file passes the program's own validation on the mock engine."""
    graph = throwaway_graph(
        {k: v for k, v in os.environ.items() if k.startswith("ACR_FLEET_LIVE_")}
    )
    names = [r.plain_inputs().get("registryName") for r in graph.resources]
    assert f"acrfleetlive{RUN_ID}" in names


def test_throwaway_registry_is_not_protected() -> None:
    """The throwaway stack turns protectRegistries off, so destroy needs no state editing."""
    graph = throwaway_graph()
    assert not any(r.protect for r in graph.resources), "Nothing in a throwaway stack is protected."


def test_readme_names_what_a_killed_run_leaves_behind() -> None:
    """The README's clean-up names the run's resource group, registry and application as
    the program names them, and a pattern every Harness identifier of the run contains."""
    graph = throwaway_graph()
    readme = (PROJECT_DIR / "README.md").read_text()
    section = readme[readme.index("### Live tests (opt-in)") :]
    naming_input = {
        "azure-native:resources:ResourceGroup": "resourceGroupName",
        "azure-native:containerregistry:Registry": "registryName",
        "azuread:index/application:Application": "displayName",
    }
    named = {
        str(resource.plain_inputs()[naming_input[resource.type]]).replace(RUN_ID, "<id>")
        for resource in graph.resources
        if resource.type in naming_input
    }
    assert len(named) == len(naming_input), "The run creates a group, a registry and an app."
    for name in sorted(named):
        assert f"`{name}`" in section, f"The README's clean-up should name `{name}`."
    identifiers = [
        str(resource.plain_inputs()["identifier"]).replace(RUN_ID, "<id>")
        for resource in graph.resources
        if resource.type.startswith("harness:")
    ]
    assert identifiers, "The run creates Harness entities."
    for identifier in identifiers:
        assert "live<id>" in identifier, f"{identifier} should contain `live<id>`."
    assert "identifiers contain `live<id>`" in section
