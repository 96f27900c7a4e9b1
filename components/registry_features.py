"""Settings of a managed registry that depend on its SKU, as data.

The configuration loader rejects every combination the SKU does not support
(geo-replication, zone redundancy, retention, closed public access and IP rules
all need Premium), so what reaches this module is valid. Settings left out of
the configuration are sent as the values Azure defaults to, so adding this
module changes nothing for registries that use none of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pulumi_azure_native import containerregistry

from components.config import RegistrySpec


@dataclasses.dataclass(frozen=True)
class Replica:
    """One geo-replication."""

    location: str
    """Azure location of the replica."""
    zone_redundancy: bool
    """Zone redundancy of the replica."""
    region_endpoint_enabled: bool
    """Whether pulls are routed to the replica."""


@dataclasses.dataclass(frozen=True)
class RegistryFeatures:
    """SKU-gated settings of one registry."""

    replicas: Sequence[Replica] = ()
    """Geo-replications (Premium)."""
    zone_redundancy: bool = False
    """Zone redundancy in the home region (Premium)."""
    retention_days: int | None = None
    """Days untagged manifests are kept (Premium); None leaves the policy off."""
    public_network_access: bool = True
    """False closes the public endpoint (Premium)."""
    ip_allow_list: Sequence[str] = ()
    """IPv4 addresses or ranges let in; the rest is denied (Premium)."""

    @classmethod
    def from_spec(cls, spec: RegistrySpec) -> RegistryFeatures:
        """The features a validated registry entry asks for."""
        return cls(
            replicas=tuple(
                Replica(r.location, r.zone_redundancy, r.region_endpoint_enabled)
                for r in spec.replications
            ),
            zone_redundancy=spec.zone_redundancy,
            retention_days=spec.retention_days,
            public_network_access=spec.public_network_access,
            ip_allow_list=tuple(spec.ip_allow_list),
        )


def _enabled(flag: bool) -> str:
    return "Enabled" if flag else "Disabled"


def registry_properties(features: RegistryFeatures) -> dict[str, Any]:
    """Keyword arguments of ``containerregistry.Registry`` for ``features``."""
    properties: dict[str, Any] = {
        "zone_redundancy": _enabled(features.zone_redundancy),
        "public_network_access": _enabled(features.public_network_access),
    }
    if features.retention_days is not None:
        properties["policies"] = containerregistry.PoliciesArgs(
            retention_policy=containerregistry.RetentionPolicyArgs(
                days=features.retention_days, status="enabled"
            )
        )
    if features.ip_allow_list:
        # An allow-list means: deny by default, allow these. Trusted Azure
        # services keep their bypass (the SDK's default, set here explicitly).
        properties["network_rule_set"] = containerregistry.NetworkRuleSetArgs(
            default_action="Deny",
            ip_rules=[
                containerregistry.IPRuleArgs(i_p_address_or_range=cidr, action="Allow")
                for cidr in features.ip_allow_list
            ],
        )
        properties["network_rule_bypass_options"] = "AzureServices"
    return properties
