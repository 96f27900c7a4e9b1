"""The pulumi-policy adapter: the pack's policies call the rules as the engine would."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import pack, rules


def run_policy(name: str, type_token: str, props: dict[str, Any], **options: Any) -> list[str]:
    """Call the pack's policy ``name`` as the analyzer does and collect its violations."""
    (policy,) = [p for p in pack.policies() if p.name == name]
    opts = PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=options.get("additional_secret_outputs", []),
    )
    args = ResourceValidationArgs(
        type_token,
        unknown_checking_proxy(props),
        f"urn:pulumi:prod::acr-fleet::{type_token}::example",
        "example",
        opts,
        None,
        {},
    )
    reported: list[str] = []
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_one_policy_per_rule_at_its_enforcement_level() -> None:
    """The pack has one policy per rule, under the rule's name and at its level."""
    policies = pack.policies()
    assert [p.name for p in policies] == [rule.name for rule in rules.RULES]
    levels = {p.name: p.enforcement_level for p in policies}
    assert levels.pop("application-password-expiry-warning") == EnforcementLevel.ADVISORY, (
        "The expiry warning should be advisory."
    )
    assert set(levels.values()) == {EnforcementLevel.MANDATORY}, (
        f"Every other policy should be mandatory: {levels}."
    )


def test_pack_reports_a_violation() -> None:
    """A registry with the admin user on is reported through the pack."""
    reported = run_policy(
        "registry-admin-and-anonymous-pull-off",
        rules.REGISTRY_TYPE,
        {"adminUserEnabled": True, "anonymousPullEnabled": False},
    )
    assert any("adminUserEnabled" in message for message in reported), (
        f"The admin user should be reported; the pack reported {reported}."
    )


def test_pack_skips_values_unknown_during_preview() -> None:
    """A role assignment whose scope is still unknown is not reported during preview."""
    reported = run_policy(
        "role-assignments-least-privilege",
        rules.ROLE_ASSIGNMENT_TYPE,
        {
            "scope": UNKNOWN_STRING_VALUE,
            "roleDefinitionId": UNKNOWN_STRING_VALUE,
            "principalType": "ServicePrincipal",
        },
    )
    assert reported == [], f"Unknown values should not be reported: {reported}."


def test_pack_checks_secret_outputs() -> None:
    """The pack passes a secret whose value is a secret output and flags one that is not."""
    props = {"valueType": "Inline", "value": "v"}
    name = "harness-secret-value-is-secret"
    assert (
        run_policy(name, rules.SECRET_TEXT_TYPE, props, additional_secret_outputs=["value"]) == []
    )
    assert run_policy(name, rules.SECRET_TEXT_TYPE, props), "A plain value output must be reported."
