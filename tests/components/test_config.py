"""The stack configuration loader: every problem at once, with key paths."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.config import ConfigError, FleetSpec, parse_fleet
from tests.conftest import STACKS, execute_config, stack_config
from tools import offline


def raw_fleet(stack: str = "dev") -> dict[str, Any]:
    """A committed stack's acr-fleet keys, without the namespace, as parse_fleet takes them."""
    return {
        key.split(":", 1)[1]: value
        for key, value in stack_config(stack).items()
        if key.startswith("acr-fleet:")
    }


def problems_of(raw: dict[str, Any]) -> dict[str, str]:
    """Parse ``raw`` expecting failure; map each problem's key path to its message."""
    with pytest.raises(ConfigError) as caught:
        parse_fleet(raw)
    problems: dict[str, str] = {}
    for path, message in caught.value.problems:
        problems[path] = f"{problems[path]}\n{message}" if path in problems else message
    return problems


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_parse(stack: str) -> None:
    """Every committed stack file is valid configuration."""
    assert isinstance(parse_fleet(raw_fleet(stack)), FleetSpec)


def test_four_problems_reported_together_and_nothing_registered() -> None:
    """A bad name, unknown SKU, duplicate registry and bad subscription id fail in one message."""
    raw = stack_config("dev")
    sub = raw["acr-fleet:subscriptions"][0]
    sub["subscriptionId"] = "not-a-guid"
    sub["registries"][0]["name"] = "team-acr"
    sub["registries"][1]["sku"] = "Ultra"
    sub["registries"].append(dict(sub["registries"][1], sku="Basic"))

    outcome = execute_config(raw)

    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    message = str(outcome.error)
    for path in (
        "subscriptions[0].subscriptionId",
        "subscriptions[0].registries[0].name",
        "subscriptions[0].registries[1].sku",
        "subscriptions[0].registries[2].name",
    ):
        assert f"  - {path}: " in message, f"The message should name {path}:\n{message}"
    assert "must be 5-50 letters and digits (got a hyphen)" in message
    assert "'Basic', 'Standard' or 'Premium'" in message
    assert "already used at subscriptions[0].registries[1].name" in message
    assert message.count("\n  - ") == 4, f"Exactly four problems are expected:\n{message}"
    registered = [r for r in outcome.graph.resources]
    assert registered == [], f"Bad configuration must register nothing, got {registered}."


def test_unknown_key_is_reported_with_a_suggestion() -> None:
    """A typo in a key is an error that suggests the intended key."""
    raw = raw_fleet()
    raw["subscriptions"][0]["registries"][0]["dockerConector"] = True
    problems = problems_of(raw)
    message = problems["subscriptions[0].registries[0].dockerConector"]
    assert "did you mean 'dockerConnector'" in message


def test_unknown_top_level_key_is_reported() -> None:
    """An unknown acr-fleet:* key is an error, not silently ignored."""
    raw = raw_fleet()
    raw["subscription"] = []
    problems = problems_of(raw)
    assert "did you mean 'subscriptions'" in problems["subscription"]


def test_missing_required_keys_are_named() -> None:
    """Missing required keys are each reported with their path."""
    raw = raw_fleet()
    del raw["harness"]["accountId"]
    del raw["subscriptions"][0]["tenantId"]
    problems = problems_of(raw)
    assert problems["harness.accountId"].startswith("is required: Harness account id")
    assert problems["subscriptions[0].tenantId"].startswith("is required: Entra tenant")


def test_resource_group_reference_must_exist() -> None:
    """A registry's resource group must be one of the subscription's groups."""
    raw = raw_fleet()
    raw["subscriptions"][0]["registries"][0]["resourceGroup"] = "rg-missing"
    problems = problems_of(raw)
    assert (
        "'rg-missing' is not one of this subscription's resourceGroups ('rg-acr-dev')"
        in (problems["subscriptions[0].registries[0].resourceGroup"])
    )


def test_identifier_collision_after_sanitising_is_reported() -> None:
    """Keys that differ only in '-' versus '_' collide as Harness identifiers."""
    raw = raw_fleet("staging")
    raw["subscriptions"][1]["key"] = "shared_staging"
    problems = problems_of(raw)
    assert (
        "'azure_shared_staging' is already used at subscriptions[0].key"
        in (problems["subscriptions[1].key"])
    )


def test_joined_resource_names_must_not_collide() -> None:
    """Subscription and registry keys that join to the same resource name are rejected."""
    raw = raw_fleet("staging")
    raw["subscriptions"][0]["key"] = "a-b"
    raw["subscriptions"][0]["registries"][0]["key"] = "c"
    raw["subscriptions"][1]["key"] = "a"
    raw["subscriptions"][1]["registries"][0]["key"] = "b-c"
    problems = problems_of(raw)
    assert "resource name 'a-b-c' is already used" in problems["subscriptions[1].registries[0].key"]


def test_duplicate_subscription_ids_and_keys() -> None:
    """Two subscriptions may not share a key or a subscription id."""
    raw = raw_fleet("staging")
    raw["subscriptions"][1]["key"] = raw["subscriptions"][0]["key"].upper()
    raw["subscriptions"][1]["subscriptionId"] = raw["subscriptions"][0]["subscriptionId"].upper()
    problems = problems_of(raw)
    assert "already used at subscriptions[0].key" in problems["subscriptions[1].key"]
    assert (
        "already used at subscriptions[0].subscriptionId"
        in problems["subscriptions[1].subscriptionId"]
    )


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (
            lambda r: r["harness"].update(projectId="p", orgId=None),
            "harness.projectId",
            "needs harness.orgId",
        ),
        (lambda r: r["harness"].update(orgId="org"), "harness.orgId", "reserves"),
        (
            lambda r: r["harness"].update(secretManager="9sm"),
            "harness.secretManager",
            "must start with",
        ),
        (
            lambda r: r["identity"].update(passwordEndDate="2027-01-01T00:00:00"),
            "identity.passwordEndDate",
            "time zone",
        ),
        (
            lambda r: r["subscriptions"][0]["resourceGroups"][0].update(location="West Europe"),
            "subscriptions[0].resourceGroups[0].location",
            "lower case",
        ),
        (
            lambda r: r["subscriptions"][0]["registries"][0].update(access="admin"),
            "subscriptions[0].registries[0].access",
            "'pull' or 'push'",
        ),
        (
            lambda r: r["subscriptions"][0].update(registries=[]),
            "subscriptions[0].registries",
            "must not be empty",
        ),
        (lambda r: r.update(subscriptions=[]), "subscriptions", "must not be empty"),
        (lambda r: r["harness"].update(endpoint="http://insecure"), "harness.endpoint", "https://"),
        (
            lambda r: r["harness"].update(pipelineScope={"orgId": "other"}),
            "harness.pipelineScope",
            "cannot reference connectors",
        ),
        (lambda r: r.pop("identity"), "subscriptions[0].identity", "top-level identity"),
        (
            lambda r: r["subscriptions"][0]["registries"][0].update(dockerConnector="sometimes"),
            "subscriptions[0].registries[0].dockerConnector",
            "must be true or false",
        ),
    ],
)
def test_field_problems(mutate: Any, path: str, fragment: str) -> None:
    """Each invalid field is reported at its key path with what would be accepted."""
    raw = raw_fleet()
    mutate(raw)
    problems = problems_of(raw)
    assert path in problems, f"{path} should be reported; got {sorted(problems)}."
    assert fragment in problems[path], f"{path}: {problems[path]!r} should mention {fragment!r}."


def test_secret_values_are_never_echoed() -> None:
    """A secret pasted into a wrong place is reported without its value."""
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][0]["subscriptionId"] = {"secure": "cipher"}
    config, secret_keys = offline.config_from_mapping(raw)
    outcome = offline.execute("test", config, secret_keys)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert offline.SECURE_PLACEHOLDER not in str(outcome.error)
    assert re.search(r"subscriptions\[0\]\.subscriptionId: must be a GUID", str(outcome.error))
