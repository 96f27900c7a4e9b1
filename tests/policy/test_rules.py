"""The policy pack's rules: each one's passing and violating case, and every
committed stack's offline graph against all of them."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest

from components import roles
from policy import rules
from policy.rules import Resource
from tests.conftest import STACKS
from tools import mermaid, offline
from tools.offline import Graph, Registration

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
SUB = "/subscriptions/00000000-0000-0000-0000-00000000f001"
GROUP = f"{SUB}/resourceGroups/rg-acr"
REGISTRY = f"{GROUP}/providers/Microsoft.ContainerRegistry/registries/acrfleet01"


def urn(stack: str, type_token: str) -> str:
    """A URN of a resource of ``type_token`` in ``stack``."""
    return f"urn:pulumi:{stack}::acr-fleet::{type_token}::example"


def resource(type_token: str, stack: str = "dev", **props: Any) -> Resource:
    """A resource with the given inputs, none of them known to be secret."""
    return Resource(type=type_token, props=props, urn=urn(stack, type_token), secret_inputs=None)


def role_assignment(role: str, scope: Any, **extra: Any) -> Resource:
    """A role assignment of ``role`` (a GUID) on ``scope``."""
    props = {
        "scope": scope,
        "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        "principalId": "p",
        "principalType": "ServicePrincipal",
        **extra,
    }
    return resource(rules.ROLE_ASSIGNMENT_TYPE, **props)


def secret_text(secret_inputs: frozenset[str] | None, secret_outputs: frozenset[str]) -> Resource:
    """An inline Harness text secret."""
    return Resource(
        type=rules.SECRET_TEXT_TYPE,
        props={"identifier": "acr_x_client_secret", "valueType": "Inline", "value": "v"},
        urn=urn("dev", rules.SECRET_TEXT_TYPE),
        secret_inputs=secret_inputs,
        secret_outputs=secret_outputs,
    )


DOCKER = "harness:platform/dockerConnector:DockerConnector"
JDBC = "harness:platform/connectorJdbc:ConnectorJdbc"
RANCHER = "harness:platform/connectorRancher:ConnectorRancher"
SPOT = "harness:platform/spotConnector:SpotConnector"
VAULT_CONNECTOR = "harness:platform/vaultConnector:VaultConnector"
VAULT = f"{GROUP}/providers/Microsoft.KeyVault/vaults/kv-acrfleet"
KEY_VAULT_SECRETS_USER = roles.Role.KEY_VAULT_SECRETS_USER.value
AZURE = "harness:platform/azureCloudProviderConnector:AzureCloudProviderConnector"
PULL, READER = roles.Role.ACR_PULL.value, roles.Role.READER.value
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"

CASES = [
    # (rule, resource, fragment of the violation or None when it passes)
    pytest.param(
        "registry-admin-and-anonymous-pull-off",
        resource(rules.REGISTRY_TYPE, adminUserEnabled=False, anonymousPullEnabled=False),
        None,
        id="registry-locked-down-passes",
    ),
    pytest.param(
        "registry-admin-and-anonymous-pull-off",
        resource(rules.REGISTRY_TYPE, adminUserEnabled=True, anonymousPullEnabled=False),
        "adminUserEnabled must be set to false",
        id="registry-admin-user-violates",
    ),
    pytest.param(
        "registry-admin-and-anonymous-pull-off",
        resource(rules.REGISTRY_TYPE, adminUserEnabled=False, anonymousPullEnabled=True),
        "anonymousPullEnabled must be set to false",
        id="registry-anonymous-pull-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, REGISTRY),
        None,
        id="acrpull-on-registry-passes",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(READER, GROUP),
        None,
        id="reader-on-resource-group-passes",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, SUB),
        "never at subscription scope",
        id="acrpull-on-subscription-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, "/providers/Microsoft.Management/managementGroups/mg"),
        "never at management group scope",
        id="acrpull-on-management-group-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, GROUP),
        "AcrPull may only be assigned at registry scope",
        id="acrpull-on-resource-group-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(READER, REGISTRY),
        "Reader may only be assigned at resource group scope",
        id="reader-on-registry-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(OWNER, REGISTRY),
        "is not one of the roles acr-fleet grants",
        id="owner-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, REGISTRY, principalType=None),
        "principalType must be ServicePrincipal (got None)",
        id="missing-principal-type-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, REGISTRY.replace("00000000f001", "00000000f002", 1)),
        "built in the scope's subscription",
        id="definition-in-another-subscription-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(KEY_VAULT_SECRETS_USER, VAULT),
        None,
        id="key-vault-secrets-user-on-vault-passes",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(KEY_VAULT_SECRETS_USER, REGISTRY),
        "Key Vault Secrets User may only be assigned at key vault scope",
        id="key-vault-secrets-user-on-registry-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(
            PULL,
            REGISTRY,
            roleDefinitionId=f"/providers/Microsoft.Authorization/roleDefinitions/{PULL}",
        ),
        "is in the tenant form; acr-fleet builds /subscriptions/<subscription>/",
        id="tenant-form-definition-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, None),
        "scope must be set",
        id="missing-scope-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, REGISTRY, principalType=" "),
        "principalType must be ServicePrincipal (got ' ')",
        id="blank-principal-type-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(PULL, REGISTRY, principalType="User"),
        "principalType must be ServicePrincipal (got 'User')",
        id="user-principal-type-violates",
    ),
    pytest.param(
        "application-password-max-lifetime",
        resource(rules.PASSWORD_TYPE, endDate="2027-06-30T00:00:00Z"),
        None,
        id="password-within-a-year-passes",
    ),
    pytest.param(
        "application-password-max-lifetime",
        resource(rules.PASSWORD_TYPE, endDate="2028-06-30T00:00:00Z"),
        "more than 365 days ahead",
        id="password-too-long-violates",
    ),
    pytest.param(
        "application-password-max-lifetime",
        resource(rules.PASSWORD_TYPE),
        "endDate must be set",
        id="password-without-end-date-violates",
    ),
    pytest.param(
        "application-password-max-lifetime",
        resource(rules.PASSWORD_TYPE, endDateRelative="87600h"),
        "endDateRelative must not be used",
        id="password-relative-end-date-violates",
    ),
    pytest.param(
        "application-password-max-lifetime",
        resource(rules.PASSWORD_TYPE, endDate="2027-06-30t00:00:00.5z"),
        None,
        id="password-lower-case-z-passes",
    ),
    pytest.param(
        "application-password-max-lifetime",
        resource(rules.PASSWORD_TYPE, endDate="2027-06-30T02:00:00+02:00"),
        None,
        id="password-with-offset-passes",
    ),
    pytest.param(
        "application-password-max-lifetime",
        resource(rules.PASSWORD_TYPE, endDate="2027-06-30T00:00:00"),
        "endDate must be an RFC 3339 date-time with a time zone",
        id="password-without-time-zone-violates",
    ),
    pytest.param(
        "application-password-max-lifetime",
        resource(rules.PASSWORD_TYPE, endDate="2027-06-30"),
        "endDate must be an RFC 3339 date-time with a time zone",
        id="password-date-only-violates",
    ),
    pytest.param(
        "application-password-not-expired",
        resource(rules.PASSWORD_TYPE, endDate="2026-12-01T00:00:01z"),
        None,
        id="password-ending-after-now-passes",
    ),
    pytest.param(
        "application-password-not-expired",
        resource(rules.PASSWORD_TYPE, endDate="2020-01-01T00:00:00Z"),
        "endDate 2020-01-01T00:00:00Z has passed",
        id="password-expired-violates",
    ),
    pytest.param(
        "application-password-not-expired",
        resource(rules.PASSWORD_TYPE, endDate="2026-12-01T01:00:00+02:00"),
        "has passed",
        id="password-expired-by-offset-violates",
    ),
    pytest.param(
        "application-password-expiry-warning",
        resource(rules.PASSWORD_TYPE, endDate="2027-01-31T00:00:00Z"),
        None,
        id="password-two-months-away-passes-the-warning",
    ),
    pytest.param(
        "application-password-expiry-warning",
        resource(rules.PASSWORD_TYPE, endDate="2026-12-20T00:00:00Z"),
        "is less than 30 days away",
        id="password-within-thirty-days-warns",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(DOCKER, credentials={"username": "u", "passwordRef": "acr_x_client_secret"}),
        None,
        id="docker-connector-with-secret-reference-passes",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(DOCKER, credentials={"username": "u", "password": "hunter2"}),
        "credentials.password holds a credential inline",
        id="docker-connector-with-inline-password-violates",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(
            AZURE,
            credentials={
                "azureManualDetails": {
                    "auth": {"azureClientSecretKey": {"secretRef": "account.x y"}},
                }
            },
        ),
        "must reference a Harness secret by identifier",
        id="azure-connector-with-malformed-reference-violates",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(DOCKER, credentials={"username": "u", "password": ["hunter2"]}),
        "credentials.password[0] holds a credential inline",
        id="password-in-a-list-violates",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(DOCKER, credentials={"token": {"value": "abc"}}),
        "credentials.token.value holds a credential inline",
        id="token-in-an-object-violates",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(DOCKER, credentials={"apiKey": [{"value": 1234}]}),
        "credentials.apiKey[0].value holds a credential inline",
        id="number-in-a-list-of-objects-violates",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(DOCKER, credentials={"username": "u", "passwordRef": ["acr_x_client_secret"]}),
        "credentials.passwordRef must reference a Harness secret",
        id="reference-field-holding-a-list-violates",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(
            JDBC,
            url="jdbc:sqlserver://db:1433",
            credentials={"usernamePassword": {"username": "sa", "password": "hunter2"}},
        ),
        "credentials.usernamePassword.password holds a credential inline",
        id="jdbc-connector-with-inline-password-violates",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(
            JDBC,
            url="jdbc:sqlserver://db:1433",
            credentials={"usernamePassword": {"username": "sa", "passwordRef": "account.db"}},
        ),
        None,
        id="jdbc-connector-with-username-and-reference-passes",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(
            SPOT,
            permanentToken={"spotAccountId": "act-1", "apiTokenRef": "account.spot_token"},
        ),
        None,
        id="identifier-inside-a-credential-object-passes",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(VAULT_CONNECTOR, authToken="account.vault_token", secretEngineName="kv"),
        None,
        id="vault-auth-token-reference-passes",
    ),
    pytest.param(
        "harness-connectors-reference-secrets",
        resource(VAULT_CONNECTOR, authToken="hvs.not a reference"),
        "authToken must reference a Harness secret",
        id="vault-auth-token-literal-violates",
    ),
    pytest.param(
        "harness-prod-connectors-use-delegates",
        resource(DOCKER, stack="prod", delegateSelectors=["d"], executeOnDelegate=True),
        None,
        id="prod-connector-with-delegates-passes",
    ),
    pytest.param(
        "harness-prod-connectors-use-delegates",
        resource(DOCKER, stack="dev", delegateSelectors=[]),
        None,
        id="dev-connector-without-delegates-passes",
    ),
    pytest.param(
        "harness-prod-connectors-use-delegates",
        resource(AZURE, stack="prod", delegateSelectors=[], executeOnDelegate=False),
        "delegateSelectors must name at least one delegate in the prod stack",
        id="prod-connector-without-delegates-violates",
    ),
    pytest.param(
        "harness-prod-connectors-use-delegates",
        resource(DOCKER, stack="prod", delegateSelectors=[""], executeOnDelegate=True),
        "delegateSelectors[0] must name a delegate tag (got '')",
        id="prod-connector-with-empty-selector-violates",
    ),
    pytest.param(
        "harness-prod-connectors-use-delegates",
        resource(DOCKER, stack="prod", delegateSelectors=["d", "  "]),
        "delegateSelectors[1] must name a delegate tag (got '  ')",
        id="prod-connector-with-blank-selector-violates",
    ),
    pytest.param(
        "harness-prod-connectors-use-delegates",
        resource(DOCKER, stack="prod", delegateSelectors=rules.UNKNOWN, executeOnDelegate=False),
        "executeOnDelegate must not be false in the prod stack",
        id="prod-connector-off-delegates-with-unknown-selectors-violates",
    ),
    pytest.param(
        "harness-prod-connectors-use-delegates",
        resource(DOCKER, stack="prod", delegateSelectors=rules.UNKNOWN, executeOnDelegate=True),
        None,
        id="prod-connector-with-unknown-selectors-passes",
    ),
    pytest.param(
        "harness-prod-connectors-use-delegates",
        resource(RANCHER, stack="prod", delegateSelectors=[]),
        "delegateSelectors must name at least one delegate",
        id="prod-rancher-connector-without-delegates-violates",
    ),
    pytest.param(
        "harness-secret-value-is-secret",
        secret_text(frozenset({"value"}), frozenset({"value"})),
        None,
        id="secret-value-secret-passes",
    ),
    pytest.param(
        "harness-secret-value-is-secret",
        secret_text(frozenset(), frozenset({"value"})),
        "value must be a Pulumi secret",
        id="secret-value-plain-input-violates",
    ),
    pytest.param(
        "harness-secret-value-is-secret",
        secret_text(None, frozenset()),
        "registered as a secret output",
        id="secret-value-not-a-secret-output-violates",
    ),
]


def rule_named(name: str) -> rules.Rule:
    """The rule called ``name``."""
    (rule,) = [rule for rule in rules.RULES if rule.name == name]
    return rule


@pytest.mark.parametrize(("name", "subject", "fragment"), CASES)
def test_rule(name: str, subject: Resource, fragment: str | None) -> None:
    """A rule passes a compliant resource and names the problem in a violating one."""
    found = rule_named(name).violations(subject, {}, NOW)
    if fragment is None:
        assert found == [], f"{name} should pass {subject.props}, but reported {found}."
    else:
        assert any(fragment in message for message in found), (
            f"{name} should report {fragment!r} for {subject.props}; it reported {found}."
        )


def test_every_rule_has_a_passing_and_a_violating_case() -> None:
    """The table holds at least one passing and one violating case per rule."""
    passing = {case.values[0] for case in CASES if case.values[2] is None}
    violating = {case.values[0] for case in CASES if case.values[2] is not None}
    names = {rule.name for rule in rules.RULES}
    assert passing == names, f"Rules without a passing case: {names - passing}."
    assert violating == names, f"Rules without a violating case: {names - violating}."


def test_password_maximum_comes_from_config() -> None:
    """maxLifetimeDays in the policy config moves the latest allowed end date."""
    subject = resource(rules.PASSWORD_TYPE, endDate="2027-06-30T00:00:00Z")
    rule = rule_named("application-password-max-lifetime")
    assert rule.violations(subject, {"maxLifetimeDays": 90}, NOW), (
        "An end date seven months ahead breaks a 90-day maximum."
    )


def test_expiry_warning_days_come_from_config() -> None:
    """warningDays in the policy config widens the advisory window."""
    subject = resource(rules.PASSWORD_TYPE, endDate="2027-01-31T00:00:00Z")
    rule = rule_named("application-password-expiry-warning")
    assert rule.violations(subject, {"warningDays": 90}, NOW), (
        "An end date two months ahead falls inside a 90-day warning window."
    )


def test_advisory_rules_are_not_mandatory_violations() -> None:
    """rules.violations reports mandatory rules only, not the expiry warning."""
    subject = resource(rules.PASSWORD_TYPE, endDate="2026-12-20T00:00:00Z")
    assert rules.violations(subject, NOW) == [], (
        "A password ending in three weeks is valid; only the advisory rule mentions it."
    )


def sdk_platform_types() -> dict[str, str]:
    """Every resource type token of pulumi-harness's platform module, mapped to the
    SDK's Python module name (the SDK files themselves, not a list kept here)."""
    import pulumi_harness

    directory = Path(pulumi_harness.__file__).parent / "platform"
    token = re.compile(r"__init__\(\s*'(harness:platform/[A-Za-z0-9]+:[A-Za-z0-9]+)'")
    found = {}
    for source in directory.glob("*.py"):
        match = token.search(source.read_text())
        if match and not source.stem.startswith("get_"):
            found[match[1]] = source.stem
    return found


@pytest.mark.parametrize(
    "is_connector", [rules.is_connector, mermaid.is_connector], ids=["policy", "mermaid"]
)
def test_every_sdk_connector_type_is_a_connector(is_connector: Any) -> None:
    """Exactly the SDK's connector resource types count as connectors."""
    types = sdk_platform_types()
    assert len(types) > 100, f"The SDK scan found only {len(types)} platform types."
    wrong = {
        token
        for token, module in types.items()
        if is_connector(token) != ("connector" in module.split("_"))
    }
    assert not wrong, f"These types are misclassified: {sorted(wrong)}."
    for named in ("ConnectorJdbc", "ConnectorRancher", "ConnectorAzureArtifacts", "ConnectorPdc"):
        assert any(t.endswith(f":{named}") and is_connector(t) for t in types), (
            f"{named} should be in the SDK and count as a connector."
        )


def test_unknown_values_are_left_to_the_update() -> None:
    """A value not known during preview is not reported; the engine checks it at update."""
    subject = role_assignment(PULL, rules.UNKNOWN)
    assert rule_named("role-assignments-least-privilege").violations(subject, {}, NOW) == []


def test_policy_allows_every_role_the_program_defines() -> None:
    """Every role in components.roles is one the policy allows."""
    missing = {role.name for role in roles.Role if role.value not in rules.ALLOWED_ROLES}
    assert not missing, f"The policy does not allow {missing}; update policy/rules.py."


def resource_of(registration: Registration) -> Resource:
    """What the engine would hand the policy pack for one offline registration."""
    return Resource(
        type=registration.type,
        props=registration.plain_inputs(),
        urn=registration.urn,
        secret_inputs=frozenset(k for k, v in registration.inputs.items() if offline.is_secret(v)),
        secret_outputs=frozenset(registration.secret_outputs),
    )


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stack_passes_every_mandatory_rule(graphs: dict[str, Graph], stack: str) -> None:
    """Every registration of a committed stack passes every mandatory rule."""
    # A fixed moment, not the clock: the stack files' dates were last reviewed
    # then, and CI must not start failing on a calendar day. A real preview
    # checks against the real time.
    now = datetime.datetime(2026, 12, 3, tzinfo=datetime.UTC)
    found = [
        f"{registration.urn}: [{name}] {message}"
        for registration in graphs[stack].resources
        for name, message in rules.violations(resource_of(registration), now)
    ]
    assert not found, "The stack breaks mandatory policies:\n" + "\n".join(found)


@pytest.mark.parametrize("stack", STACKS)
def test_every_rule_sees_the_committed_stacks(graphs: dict[str, Graph], stack: str) -> None:
    """Each rule applies to at least one registration of every stack, so none passes vacuously."""
    types = {registration.type for registration in graphs[stack].resources}
    idle = [rule.name for rule in rules.RULES if not any(rule.applies(t) for t in types)]
    assert not idle, f"In the {stack} stack these rules see nothing: {idle}."
