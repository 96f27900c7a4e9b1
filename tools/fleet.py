"""Write a valid stack file for a synthetic fleet of S subscriptions x R registries.

    python -m tools.fleet 50 20                       # to standard output
    python -m tools.fleet 50 20 --seed 7 -o build/Pulumi.fleet.yaml
    python -m tools.preview fleet --file build/Pulumi.fleet.yaml

The fleet mixes what real stacks mix: the three SKUs, pull and push, ABAC-mode
and listable registries, Docker connectors where the identity has a secret, and
every identity mode (a service principal with a client secret, with OIDC, with
OIDC and a Docker-only secret; a managed identity with OIDC or through the
delegate), across two tenants. The same arguments always give the same file,
byte for byte: choices come from a ``random.Random`` seeded from ``--seed``,
never from the clock. Every id in it is obviously fake.

The benchmark (``tools.bench``) previews these files; a test checks that they
pass the program's validation and the policy pack.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

SKUS = ("Basic", "Standard", "Premium")
LOCATIONS = ("westeurope", "northeurope", "eastus2", "swedencentral")
TENANTS = ("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222")

# (kind, auth, dockerSecret): every identity mode the program supports.
IDENTITY_MODES: tuple[tuple[str, str, bool], ...] = (
    ("servicePrincipal", "secret", False),
    ("servicePrincipal", "oidc", True),
    ("servicePrincipal", "oidc", False),
    ("managedIdentity", "oidc", False),
    ("managedIdentity", "delegate", False),
)

MAX_SUBSCRIPTIONS = 0xFFFF
"""Subscription numbers go into one four-digit hex group of the fake GUIDs."""
MAX_REGISTRIES = 999
"""Registry numbers are three digits of the ACR name."""
MAX_SEED = 2**32 - 1
"""The seed is part of every ACR name, which holds at most 50 characters."""


def _subscription_id(index: int) -> str:
    return f"00000000-0000-0000-0000-0000{index:04x}b0b0"


PASSWORDS: dict[str, Any] = {
    "passwordEndDate": "2027-06-30T00:00:00Z",
    "rotation": {
        "startDate": "2026-01-01T00:00:00Z",
        "periodDays": 90,
        "overlapDays": 14,
        "epoch": 3,
    },
}
"""Client secret settings of every identity that issues one: two rotating slots."""


def _identity(kind: str, auth: str, docker_secret: bool, group: str) -> dict[str, Any]:
    # A subscription's identity block replaces the stack's whole, so each one
    # that issues a client secret carries its own end date and rotation.
    identity: dict[str, Any] = {"kind": kind, "auth": auth}
    if docker_secret:
        identity["dockerSecret"] = True
    if kind == "managedIdentity":
        identity["resourceGroup"] = group
    if kind == "servicePrincipal" and (auth == "secret" or docker_secret):
        identity.update(PASSWORDS)
    return identity


def registry_name(seed: int, subscription: int, index: int) -> str:
    """A generated ACR name: globally unique in Azure, letters and digits only."""
    return f"acrbench{seed}s{subscription:04d}r{index:03d}"


def _registry(
    rng: random.Random, seed: int, subscription: int, index: int, group: str, has_secret: bool
) -> dict[str, Any]:
    sku = SKUS[rng.randrange(len(SKUS))]
    registry: dict[str, Any] = {
        "name": registry_name(seed, subscription, index),
        "resourceGroup": group,
        "sku": sku,
        "access": rng.choice(("pull", "push")),
    }
    if has_secret and rng.random() < 0.5:
        registry["dockerConnector"] = True
    if rng.random() < 0.15:
        registry["abac"] = True
    if rng.random() < 0.15:
        registry["listable"] = True
    if sku == "Premium" and rng.random() < 0.3:
        registry["retentionDays"] = 7
    return registry


def check_arguments(subscriptions: int, registries: int, seed: int) -> None:
    """Raise ValueError, with the accepted range, for sizes or a seed the fake ids
    and names cannot hold."""
    if not 1 <= subscriptions <= MAX_SUBSCRIPTIONS:
        raise ValueError(f"subscriptions must be 1 to {MAX_SUBSCRIPTIONS} (got {subscriptions})")
    if not 1 <= registries <= MAX_REGISTRIES:
        raise ValueError(f"registries must be 1 to {MAX_REGISTRIES} (got {registries})")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be 0 to {MAX_SEED} (got {seed})")


def generate(subscriptions: int, registries: int, seed: int = 1) -> dict[str, Any]:
    """A stack file's document for ``subscriptions`` x ``registries`` registries."""
    check_arguments(subscriptions, registries, seed)
    rng = random.Random(seed)
    entries = []
    for number in range(subscriptions):
        kind, auth, docker_secret = IDENTITY_MODES[number % len(IDENTITY_MODES)]
        has_secret = kind == "servicePrincipal" and (auth == "secret" or docker_secret)
        groups = [
            {"name": f"rg-bench-{number:04d}-{letter}", "location": rng.choice(LOCATIONS)}
            for letter in ("a", "b")
        ]
        entries.append(
            {
                "key": f"sub{number:04d}",
                "subscriptionId": _subscription_id(number),
                "tenantId": TENANTS[number % len(TENANTS)],
                "displayName": f"Benchmark subscription {number}",
                "identity": _identity(kind, auth, docker_secret, groups[0]["name"]),
                "resourceGroups": groups,
                "registries": [
                    _registry(rng, seed, number, index, groups[index % 2]["name"], has_secret)
                    for index in range(registries)
                ],
            }
        )
    return {
        "config": {
            "pulumi:disable-default-providers": ["azure-native", "azuread", "harness"],
            "acr-fleet:harnessApiKey": {"secure": "AAABAFakeCipherTextForTheBenchmarkStack0000"},
            "acr-fleet:harness": {
                "accountId": "FakeAccountBench0000001",
                "orgId": "platform",
                "projectId": "registries_bench",
                "delegateSelectors": ["acr-bench-delegate"],
            },
            "acr-fleet:tags": {"environment": "bench", "costCenter": "cc-0000"},
            "acr-fleet:subscriptions": entries,
            "acr-fleet:pipelineTemplate": {
                "identifier": "acr_fleet_registries",
                "versionLabel": "v1",
            },
        }
    }


def render(document: dict[str, Any], subscriptions: int, registries: int, seed: int) -> str:
    """The stack file's text, with a header saying how it was made."""
    header = (
        f"# Generated by `python -m tools.fleet {subscriptions} {registries} --seed {seed}`:\n"
        f"# {subscriptions} subscriptions x {registries} registries. Every id is fake.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, width=100)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.fleet", description=__doc__.split("\n")[0]
    )
    parser.add_argument("subscriptions", type=int, help="number of subscriptions")
    parser.add_argument("registries", type=int, help="registries per subscription")
    parser.add_argument("--seed", type=int, default=1, help="seed of the choices (default 1)")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    try:
        document = generate(args.subscriptions, args.registries, args.seed)
    except ValueError as error:
        parser.error(str(error))
    text = render(document, args.subscriptions, args.registries, args.seed)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text)
        except OSError as error:
            parser.error(f"cannot write {args.output}: {error.strerror or error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
