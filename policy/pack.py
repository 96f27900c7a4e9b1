"""The rules of ``policy.rules`` as pulumi-policy ResourceValidationPolicies.

Kept apart from ``__main__`` (which serves the pack and never returns) so tests
can build the policies and call them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policy import rules

PACK_NAME = "acr-fleet"


def plain(value: Any) -> Any:
    """Copy pulumi-policy's property proxies into plain data, with rules.UNKNOWN
    where a value is not known yet (reading one raises in the proxy)."""
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key in value:
            try:
                copied[key] = plain(value[key])
            except UnknownValueError:
                copied[key] = rules.UNKNOWN
        return copied
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(rules.UNKNOWN)
        return items
    return value


def _validator(rule: rules.Rule) -> Any:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies(args.resource_type):
            return
        resource = rules.Resource(
            type=args.resource_type,
            props=plain(args.props),
            urn=args.urn,
            # pulumi-policy unwraps secrets before a policy sees them, so which
            # inputs were secret is unknown here (pulumi/pulumi-policy#241).
            secret_inputs=None,
            secret_outputs=frozenset(args.opts.additional_secret_outputs or ()),
        )
        config = {k: v for k, v in args.get_config().items() if k != "enforcementLevel"}
        now = datetime.datetime.now(datetime.UTC)
        for message in rule.violations(resource, config, now):
            report_violation(message, None)

    return validate


def policies() -> list[Policy]:
    """One ResourceValidationPolicy per rule, at the rule's enforcement level."""
    return [
        ResourceValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=_validator(rule),
            enforcement_level=(
                EnforcementLevel.ADVISORY
                if rule.enforcement == "advisory"
                else EnforcementLevel.MANDATORY
            ),
            config_schema=(
                PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config_schema.items()})
                if rule.config_schema
                else None
            ),
        )
        for rule in rules.RULES
    ]
