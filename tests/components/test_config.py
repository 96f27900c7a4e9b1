"""The stack configuration loader: every problem at once, with key paths."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import SECRET_KEYS, TOP_LEVEL_KEYS, ConfigError, FleetSpec, parse_fleet
from tests.conftest import STACKS, execute_config, stack_config
from tools import offline


def raw_fleet(stack: str = "dev") -> dict[str, Any]:
    """A committed stack's acr-fleet keys, without the namespace, as parse_fleet takes them."""
    return {
        key.split(":", 1)[1]: value
        for key, value in stack_config(stack).items()
        if key.startswith("acr-fleet:") and key != "acr-fleet:harnessApiKey"
    }


def problems_of(raw: dict[str, Any]) -> dict[str, str]:
    """Parse ``raw`` expecting failure; map each problem's key path to its message."""
    with pytest.raises(ConfigError) as caught:
        parse_fleet(raw)
    problems: dict[str, str] = {}
    for path, message in caught.value.problems:
        problems[path] = f"{problems[path]}\n{message}" if path in problems else message
    return problems


def assert_reported(mutate: Any, path: str, fragment: str) -> None:
    """Apply ``mutate`` to the dev config and check ``path`` is reported with ``fragment``."""
    raw = raw_fleet()
    mutate(raw)
    problems = problems_of(raw)
    assert path in problems, f"{path} should be reported; got {sorted(problems)}."
    assert fragment in problems[path], f"{path}: {problems[path]!r} should mention {fragment!r}."


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


def test_problems_at_one_path_are_listed_in_the_same_order_every_run() -> None:
    """Several problems at one key path are listed by message, whatever order they came in."""
    messages = [f"problem {letter}" for letter in "jihgfedcba"]
    error = ConfigError([("harness.secretManager", message) for message in messages])
    assert [message for _, message in error.problems] == sorted(messages), (
        "Problems at one key path should be listed in a fixed order, so the same "
        "configuration gives the same message."
    )


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


@pytest.mark.parametrize("namespace", ["acrfleet", "acr_fleet", "ACR-Fleet"])
def test_key_in_a_misspelt_namespace_is_refused(namespace: str) -> None:
    """A key whose namespace misspells acr-fleet is an error and registers nothing."""
    raw = stack_config("prod")
    raw[f"{namespace}:lockRegistries"] = raw.pop("acr-fleet:lockRegistries")
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert outcome.graph.resources == [], "A refused configuration must register nothing."
    assert (
        f"  - {namespace}:lockRegistries: is in namespace {namespace!r}, which nothing reads; "
        "write acr-fleet:lockRegistries" in str(outcome.error)
    ), str(outcome.error)


def test_keys_of_provider_namespaces_are_left_to_the_providers() -> None:
    """Keys in Pulumi's or a provider's own namespace are not mistaken for typos."""
    raw = stack_config("dev")
    raw["azure-native:location"] = "westeurope"
    raw["harness:endpoint"] = "https://app.harness.io/gateway"
    assert execute_config(raw).error is None


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
    assert_reported(mutate, path, fragment)


def test_secret_values_are_never_echoed() -> None:
    """A secret pasted into a wrong place is reported once, at its key, without its value."""
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][0]["subscriptionId"] = {"secure": "cipher"}
    config, secret_keys = offline.config_from_mapping(raw)
    outcome = offline.execute("test", config, secret_keys)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert offline.SECURE_PLACEHOLDER not in str(outcome.error)
    assert [p for p, _ in outcome.error.problems] == ["subscriptions"], (
        "Only the 'holds a secret' problem is reported for a key holding a secret."
    )


def _secure(value: str = "cipher") -> dict[str, str]:
    return {"secure": value}


def _mirror_on_secure_subscription(raw: dict[str, Any]) -> None:
    raw["acr-fleet:harnessImageMirror"] = {"subscription": _secure(), "registry": "apps"}


def _two_secure_subscription_ids(raw: dict[str, Any]) -> None:
    subs = raw["acr-fleet:subscriptions"]
    subs[0]["subscriptionId"] = _secure()
    subs[1]["subscriptionId"] = _secure()
    # Values echoed by the resource-group and adoption checks, were they run.
    subs[0]["registries"][0]["resourceGroup"] = _secure()
    subs[0]["registries"].append(
        {"name": "acrfleetdevold01", "existing": True, "access": "pull", "resourceId": _secure()}
    )


# Per top-level key: a secure: value where the checks would otherwise quote it.
SECRET_PLACEMENTS: dict[str, Any] = {
    "harness": lambda r: r["acr-fleet:harness"].update(
        accountId=_secure(), pipelineScope={"orgId": _secure()}
    ),
    "identity": lambda r: r["acr-fleet:identity"].update(
        kind="managedIdentity", auth="oidc", resourceGroup=_secure(), passwordEndDate=None
    ),
    "subscriptions": _two_secure_subscription_ids,
    "tags": lambda r: r["acr-fleet:tags"].update(costCenter=_secure()),
    "harnessImageMirror": _mirror_on_secure_subscription,
    "pipelineTemplate": lambda r: r["acr-fleet:pipelineTemplate"].update(image=_secure()),
    "protectRegistries": lambda r: r.update({"acr-fleet:protectRegistries": _secure()}),
    "lockRegistries": lambda r: r.update({"acr-fleet:lockRegistries": _secure()}),
}


def test_every_top_level_key_has_a_secret_placement() -> None:
    """The secret-placement table covers every plain top-level key."""
    assert set(SECRET_PLACEMENTS) == set(TOP_LEVEL_KEYS - SECRET_KEYS)


@pytest.mark.parametrize("key", sorted(SECRET_PLACEMENTS))
def test_a_key_holding_a_secret_is_left_out_of_every_other_check(key: str) -> None:
    """A key holding a secret is reported only as such, and its values appear in no error."""
    raw = stack_config("dev")
    SECRET_PLACEMENTS[key](raw)
    config, secret_keys = offline.config_from_mapping(raw)
    outcome = offline.execute("test", config, secret_keys)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    message = str(outcome.error)
    assert offline.SECURE_PLACEHOLDER not in message, f"A secret value leaked:\n{message}"
    assert outcome.error.problems == [
        (
            key,
            "holds a secret (set with --secret or containing secure: values), but this key "
            "is not secret; set it in plain text",
        )
    ], f"Only {key} should be reported:\n{message}"
    assert outcome.graph.resources == [], "Invalid configuration must register nothing."


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (
            lambda r: r["subscriptions"][0]["registries"][0].update(dockerConnector="yes"),
            "subscriptions[0].registries[0].dockerConnector",
            "true or false (got 'yes')",
        ),
        (
            lambda r: r["subscriptions"][0]["resourceGroups"][0].update(existing="false"),
            "subscriptions[0].resourceGroups[0].existing",
            "true or false",
        ),
        (
            lambda r: r["identity"].update(passwordEndDate=1893456000),
            "identity.passwordEndDate",
            "RFC 3339 date-time string",
        ),
        (
            lambda r: r["subscriptions"][0].update(key=2024),
            "subscriptions[0].key",
            "a string (quote it in YAML)",
        ),
        (
            lambda r: r["harness"].update(delegateSelectors="acr-dev-delegate"),
            "harness.delegateSelectors",
            "must be a list",
        ),
        (lambda r: r.update(harness=["x"]), "harness", "a mapping of keys to values"),
        (
            lambda r: r["subscriptions"][0]["resourceGroups"][0].update(location="mars"),
            "subscriptions[0].resourceGroups[0].location",
            "is not an Azure location",
        ),
        (
            lambda r: r["subscriptions"][0]["resourceGroups"][0].update(location="westeurop"),
            "subscriptions[0].resourceGroups[0].location",
            "did you mean 'westeurope'",
        ),
        (
            lambda r: r["subscriptions"][0].update(displayName="x" * 47),
            "subscriptions[0].displayName",
            "1-46 characters",
        ),
        (
            lambda r: r["subscriptions"][0].update(displayName="Shared services (dev)"),
            "subscriptions[0].displayName",
            "letters, digits, spaces, '-' and '_'",
        ),
        (
            lambda r: r["subscriptions"][0].update(displayName="<script>\n"),
            "subscriptions[0].displayName",
            "letters, digits, spaces",
        ),
        (
            lambda r: r["subscriptions"][0]["registries"][0].update(tags={"managed-by": "me"}),
            "subscriptions[0].registries[0].tags",
            "set by acr-fleet itself",
        ),
        (
            lambda r: r["tags"].update(Environment="x"),
            "tags",
            "differ only in case",
        ),
    ],
)
def test_strict_values(mutate: Any, path: str, fragment: str) -> None:
    """Values are taken as written: no coercion, no unknown locations, no odd names or tags."""
    assert_reported(mutate, path, fragment)


def test_fifty_tags_on_a_registry_are_accepted() -> None:
    """A registry's own tags, the stack's and acr-fleet's two may add up to Azure's 50."""
    raw = raw_fleet()
    stack_tags = len(raw["tags"])
    own = 50 - 2 - stack_tags
    raw["subscriptions"][0]["registries"][0]["tags"] = {f"team{i}": "x" for i in range(own)}
    registry = parse_fleet(raw).subscriptions[0].registries[0]
    assert len(registry.tags) == own


def test_subscription_keys_that_nest_are_rejected() -> None:
    """Keys where one is the other plus '-' are refused: their resource names can collide."""
    raw = raw_fleet("staging")
    raw["subscriptions"][0]["key"] = "a"
    raw["subscriptions"][1]["key"] = "a-rg-x"
    problems = problems_of(raw)
    assert "can collide" in problems["subscriptions[1].key"]


def test_a_key_may_nest_with_its_own_previous_key() -> None:
    """Renaming 'shared-dev' to 'shared-dev-we' with previousKey is a rename, not a clash."""
    raw = raw_fleet()
    raw["subscriptions"][0].update(key="shared-dev-we", previousKey="shared-dev")
    assert isinstance(parse_fleet(raw), FleetSpec), "A key may extend its own previous key."


def test_registry_keys_may_nest() -> None:
    """Registry keys like 'apps' and 'apps-base' are fine: their resource names cannot collide."""
    raw = raw_fleet()
    raw["subscriptions"][0]["registries"][0]["key"] = "apps"
    raw["subscriptions"][0]["registries"][1]["key"] = "apps-base"
    assert isinstance(parse_fleet(raw), FleetSpec)


@pytest.mark.parametrize("key", ["acr-fleet:tags", "acr-fleet:subscriptions", "acr-fleet:harness"])
def test_secure_values_outside_secret_keys_are_refused(key: str) -> None:
    """A secure: value in a key that is not secret is refused, never shown or deployed."""
    raw = stack_config("dev")
    if key == "acr-fleet:tags":
        raw[key]["costCenter"] = {"secure": "cipher"}
    elif key == "acr-fleet:subscriptions":
        raw[key][0]["displayName"] = {"secure": "cipher"}
    else:
        raw[key]["accountId"] = {"secure": "cipher"}
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError), f"Expected a ConfigError, got {outcome.error!r}."
    assert f"  - {key.split(':', 1)[1]}: holds a secret" in str(outcome.error)
    assert offline.SECURE_PLACEHOLDER not in str(outcome.error)
    assert outcome.graph.resources == []


def test_plain_text_api_key_is_refused() -> None:
    """The Harness API key must be stored encrypted, not in plain text."""
    raw = stack_config("dev")
    raw["acr-fleet:harnessApiKey"] = "pat.plain.text"
    outcome = execute_config(raw)
    assert isinstance(outcome.error, ConfigError)
    assert "pulumi config set --secret acr-fleet:harnessApiKey" in str(outcome.error)
    assert "pat.plain.text" not in str(outcome.error)


def sub_identity(raw: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """The identity block of subscription ``index``, created when missing."""
    return raw["subscriptions"][index].setdefault("identity", {})


@pytest.mark.parametrize(
    ("identity", "path", "fragment"),
    [
        (
            {"kind": "managedIdentity", "auth": "secret", "resourceGroup": "rg-acr-dev"},
            "subscriptions[0].identity.auth",
            "use 'oidc' or 'delegate', or kind 'servicePrincipal'",
        ),
        (
            {"auth": "delegate"},
            "subscriptions[0].identity.auth",
            "'delegate' needs kind 'managedIdentity'",
        ),
        (
            {"kind": "managedIdentity", "auth": "oidc"},
            "subscriptions[0].identity.resourceGroup",
            "is required for kind 'managedIdentity'",
        ),
        (
            {"kind": "managedIdentity", "auth": "oidc", "resourceGroup": "rg-elsewhere"},
            "subscriptions[0].identity.resourceGroup",
            "'rg-elsewhere' is not one of subscriptions[0].resourceGroups ('rg-acr-dev')",
        ),
        (
            {"auth": "oidc", "resourceGroup": "rg-acr-dev"},
            "subscriptions[0].identity.resourceGroup",
            "applies only to kind 'managedIdentity'",
        ),
        (
            {"passwordEndDate": "2027-01-01T00:00:00Z", "dockerSecret": True},
            "subscriptions[0].identity.dockerSecret",
            "applies only to kind 'servicePrincipal' with auth 'oidc'",
        ),
        (
            {"auth": "secret"},
            "subscriptions[0].identity.passwordEndDate",
            "is required because this identity issues a client secret",
        ),
        (
            {"auth": "oidc", "passwordEndDate": "2027-01-01T00:00:00Z"},
            "subscriptions[0].identity.passwordEndDate",
            "has no effect: kind 'servicePrincipal' with auth 'oidc' issues no client secret",
        ),
        (
            {"kind": "servicePrincipal", "auth": "token"},
            "subscriptions[0].identity.auth",
            "'secret', 'oidc' or 'delegate'",
        ),
        (
            {"kind": "app", "auth": "oidc"},
            "subscriptions[0].identity.kind",
            "'servicePrincipal' or 'managedIdentity'",
        ),
    ],
)
def test_identity_problems(identity: dict[str, Any], path: str, fragment: str) -> None:
    """Each impossible identity block is reported at its key path with the fix."""
    raw = raw_fleet()
    raw["subscriptions"][0]["registries"][0]["dockerConnector"] = False
    raw["subscriptions"][0]["identity"] = identity
    problems = problems_of(raw)
    assert path in problems, f"{path} should be reported; got {problems}."
    assert fragment in problems[path], f"{path}: {problems[path]!r} should mention {fragment!r}."


def test_delegate_auth_needs_delegate_selectors() -> None:
    """Auth 'delegate' without delegate selectors anywhere is an error."""
    raw = raw_fleet("prod")
    del raw["harness"]["delegateSelectors"]
    del raw["subscriptions"][3]["identity"]["delegateSelectors"]
    problems = problems_of(raw)
    assert (
        "is required for auth 'delegate'" in problems["subscriptions[3].identity.delegateSelectors"]
    )


def test_numeric_bounds_are_reported_in_the_loaders_words() -> None:
    """A number out of range names the bound it breaks and the value given."""
    raw = raw_fleet("prod")
    raw["identity"]["rotation"].update(periodDays=366, epoch=-1)
    raw["subscriptions"][0]["registries"][0]["retentionDays"] = -5
    problems = problems_of(raw)
    assert problems["identity.rotation.periodDays"] == "must be at most 365 (got 366)"
    assert problems["identity.rotation.epoch"] == "must be at least 0 (got -1)"
    assert problems["subscriptions[0].registries[0].retentionDays"] == (
        "must be at least 0 (got -5)"
    )
    leaked = [m for m in problems.values() if "Input should" in m]
    assert leaked == [], f"Messages should not use pydantic's wording: {leaked}."


def test_delegate_selectors_fall_back_to_the_harness_block() -> None:
    """Auth 'delegate' accepts the stack's harness.delegateSelectors."""
    raw = raw_fleet("prod")
    del raw["subscriptions"][3]["identity"]["delegateSelectors"]
    assert isinstance(parse_fleet(raw), FleetSpec)


@pytest.mark.parametrize(
    ("rotation", "path", "fragment"),
    [
        (
            {"periodDays": 30, "overlapDays": 31},
            "identity.rotation.overlapDays",
            "must not exceed periodDays (30) (got 31)",
        ),
        ({"periodDays": 0}, "identity.rotation.periodDays", "must be at least 1 (got 0)"),
        ({"epoch": -1}, "identity.rotation.epoch", "must be at least 0 (got -1)"),
        (
            {"startDate": "2026-06-01T00:00:00"},
            "identity.rotation.startDate",
            "time zone",
        ),
        (
            {"epoch": 10},
            "identity.passwordEndDate",
            "must be after the start of rotation epoch 10 (2028-05-23T00:00:00Z)",
        ),
    ],
)
def test_rotation_problems(rotation: dict[str, Any], path: str, fragment: str) -> None:
    """Each impossible rotation block is reported at its key path."""
    raw = raw_fleet("staging")
    raw["identity"]["rotation"].update(rotation)
    problems = problems_of(raw)
    assert path in problems, f"{path} should be reported; got {problems}."
    assert fragment in problems[path], f"{path}: {problems[path]!r} should mention {fragment!r}."


def test_identity_problems_are_reported_with_field_problems() -> None:
    """A wrong identity combination and a malformed field elsewhere fail in one message."""
    raw = raw_fleet()
    raw["subscriptions"][0]["subscriptionId"] = "not-a-guid"
    raw["identity"]["auth"] = "delegate"
    problems = problems_of(raw)
    assert set(problems) >= {"subscriptions[0].subscriptionId", "identity.auth"}


def test_unused_stack_identity_block_is_still_checked() -> None:
    """The stack's identity block is checked even when every subscription overrides it."""
    raw = raw_fleet()
    raw["identity"] = {"kind": "managedIdentity", "auth": "secret", "resourceGroup": "rg-acr-dev"}
    for sub in raw["subscriptions"]:
        sub["identity"] = {"passwordEndDate": "2027-01-01T00:00:00Z"}
    problems = problems_of(raw)
    assert "identity.auth" in problems


@pytest.mark.parametrize(
    ("host", "fragment"),
    [
        ("https://app.harness.io", "(got a scheme 'https://')"),
        ("app.harness.io/", "(got a trailing '/')"),
    ],
)
def test_oidc_host_must_be_bare(host: str, fragment: str) -> None:
    """harness.oidcHost with a scheme or a trailing slash is reported with the reason."""
    raw = raw_fleet()
    raw["harness"]["oidcHost"] = host
    assert fragment in problems_of(raw)["harness.oidcHost"]
