"""Drop the API-version type aliases azure-native attaches to every resource.

azure-native gives each resource one alias per Azure API version it was ever
published under (``azure-native:containerregistry/v20190501:Registry`` and 23
more for a registry). They let the engine find a resource that a stack created
under one of those versioned tokens. acr-fleet has only ever used the
unversioned tokens (``azure-native:containerregistry:Registry``), so in its
stacks these aliases can never match anything.

They are not free. The Python SDK turns every alias into a URN as the resource is
constructed, three Outputs each, and each waits for the URN of the resource's
parent (pulumi/pulumi#10010). Under a component they stay pending until that
component is registered, and the SDK re-checks every pending Output each time
any Output resolves. At 1,000 registries they were most of the program's
evaluation time (BENCHMARKS.md). A stack transformation removes them before the
SDK sees them.

Only aliases that change nothing but the type to a versioned azure-native token
are dropped. A rename alias (``previousKey``), an alias to another parent, and a
type alias to an unversioned token (what a future module move in azure-native
would add) are kept.
"""

from __future__ import annotations

import copy
import re

import pulumi

API_VERSION_TOKEN = re.compile(r"^azure-native:[A-Za-z0-9]+/v\d{8}[A-Za-z0-9]*:[A-Za-z0-9]+$")
"""A type token pinned to one Azure API version, like
``azure-native:containerregistry/v20230701:Registry``."""


def is_api_version_alias(alias: object) -> bool:
    """True for an alias that only points at a versioned azure-native type token."""
    return (
        isinstance(alias, pulumi.Alias)
        and isinstance(alias.type_, str)
        and API_VERSION_TOKEN.match(alias.type_) is not None
        and alias.name is ...
        and alias.parent is ...
        and alias.stack is ...
        and alias.project is ...
    )


def without_api_version_aliases(
    args: pulumi.ResourceTransformationArgs,
) -> pulumi.ResourceTransformationResult | None:
    """A stack transformation: the resource's options without its API-version
    aliases; None (no change) when it has none."""
    aliases = args.opts.aliases
    if not aliases:
        return None
    kept = [alias for alias in aliases if not is_api_version_alias(alias)]
    if len(kept) == len(aliases):
        return None
    # A shallow copy: the options object may be shared with the caller.
    opts = copy.copy(args.opts)
    opts.aliases = kept
    return pulumi.ResourceTransformationResult(props=args.props, opts=opts)
