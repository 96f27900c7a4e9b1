"""What the live test needs, and the throwaway stack it brings up.

Kept apart from the test so the skip logic is tested without the cloud.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

OPT_IN = "ACR_FLEET_LIVE"
REQUIRED_VARIABLES = (
    "ARM_SUBSCRIPTION_ID",
    "ARM_TENANT_ID",
    "HARNESS_ACCOUNT_ID",
    "HARNESS_PLATFORM_API_KEY",
)


def missing(environ: Mapping[str, str], which: Callable[[str], str | None]) -> list[str]:
    """Everything the live test needs and this machine lacks, in words."""
    gaps = []
    if environ.get(OPT_IN) != "1":
        gaps.append(f"{OPT_IN}=1 (the opt-in)")
    if which("pulumi") is None:
        gaps.append("the pulumi CLI on PATH")
    gaps.extend(name for name in REQUIRED_VARIABLES if not environ.get(name))
    gap = azure_credentials_gap(environ, which)
    if gap:
        gaps.append(gap)
    return gaps


def azure_credentials_gap(environ: Mapping[str, str], which: Callable[[str], str | None]) -> str:
    """What is missing for Azure credentials, in words; '' when there are some.

    A client id is usable only with a client secret or OIDC (what the providers
    read); without a client id, the az CLI's login is used.
    """
    if environ.get("ARM_CLIENT_ID"):
        if environ.get("ARM_CLIENT_SECRET") or environ.get("ARM_USE_OIDC") == "true":
            return ""
        return (
            "Azure credentials (ARM_CLIENT_ID is set without ARM_CLIENT_SECRET "
            "or ARM_USE_OIDC=true)"
        )
    if which("az") is not None:
        return ""
    return (
        "Azure credentials (ARM_CLIENT_ID with ARM_CLIENT_SECRET or ARM_USE_OIDC=true, "
        "or the az CLI after az login)"
    )


def skip_reason(environ: Mapping[str, str], which: Callable[[str], str | None]) -> str:
    """The reason to skip, naming what is missing; '' when nothing is."""
    gaps = missing(environ, which)
    return f"live test needs {', '.join(gaps)}" if gaps else ""


def throwaway_config(
    run_id: str, environ: Mapping[str, str], today: datetime.date
) -> dict[str, Any]:
    """A stack file's ``config:`` for one subscription, one group, one registry.

    Every name carries ``run_id``, so runs never collide and leftovers are easy
    to find. The password ends 30 days after ``today``: long enough for a run,
    short enough to expire on its own if a run is killed.
    """
    harness: dict[str, Any] = {"accountId": environ["HARNESS_ACCOUNT_ID"]}
    if environ.get("ACR_FLEET_LIVE_HARNESS_ORG"):
        harness["orgId"] = environ["ACR_FLEET_LIVE_HARNESS_ORG"]
        if environ.get("ACR_FLEET_LIVE_HARNESS_PROJECT"):
            harness["projectId"] = environ["ACR_FLEET_LIVE_HARNESS_PROJECT"]
    end = datetime.datetime.combine(today + datetime.timedelta(days=30), datetime.time())
    group = f"rg-acrfleet-live-{run_id}"
    return {
        "pulumi:disable-default-providers": ["azure-native", "azuread", "harness"],
        # The documented switch for throwaway stacks: destroy may delete the registry.
        "acr-fleet:protectRegistries": False,
        "acr-fleet:harness": harness,
        "acr-fleet:identity": {"passwordEndDate": end.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "acr-fleet:tags": {"purpose": "acr-fleet-live-test", "run": run_id},
        "acr-fleet:subscriptions": [
            {
                "key": f"live{run_id}",
                "subscriptionId": environ["ARM_SUBSCRIPTION_ID"],
                "tenantId": environ["ARM_TENANT_ID"],
                "resourceGroups": [
                    {
                        "name": group,
                        "location": environ.get("ACR_FLEET_LIVE_LOCATION") or "westeurope",
                    }
                ],
                "registries": [
                    {
                        "name": f"acrfleetlive{run_id}",
                        "resourceGroup": group,
                        "sku": "Basic",
                        "access": "pull",
                        "dockerConnector": True,
                    }
                ],
            }
        ],
    }
