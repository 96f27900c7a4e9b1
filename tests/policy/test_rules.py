"""The policy pack's rules: each one's passing and violating case, and every
committed stack's offline graph against all of them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from components import roles
from policy import rules
from policy.rules import Resource
from tests.conftest import STACKS
from tools import offline
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
        "principalType must be set",
        id="missing-principal-type-violates",
    ),
    pytest.param(
        "role-assignments-least-privilege",
        role_assignment(
            PULL, REGISTRY.replace("00000000f001", "00000000f002", 1), principalType="User"
        ),
        "built in the scope's subscription",
        id="definition-in-another-subscription-violates",
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
    now = datetime.datetime.now(datetime.UTC)
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
