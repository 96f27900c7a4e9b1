"""Entry point the Pulumi CLI runs for ``pulumi preview --policy-pack policy``.

It serves the pack over gRPC and never returns, so nothing imports it: tests
import ``policy.rules`` and ``policy.pack`` instead.
"""

import sys
from pathlib import Path

# The CLI runs this file from the pack's directory; the project root holds the
# ``policy`` package it imports.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import PACK_NAME, policies

PolicyPack(
    name=PACK_NAME,
    policies=policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
)
