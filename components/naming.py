"""Every resource name and identifier acr-fleet uses, derived by pure functions.

Names come only from stable configuration keys (never from values known after
apply, never from random or the clock), so the same configuration always gives
the same URNs and the same Azure and Harness identifiers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping

# Azure: 5-50 alphanumerics, globally unique, case-insensitive, no hyphens.
ACR_NAME_PATTERN = re.compile(r"^[A-Za-z0-9]{5,50}$")

# Azure resource group names: 1-90 of letters, digits, '_', '-', '.', '(' and ')';
# they cannot end with a period.
RESOURCE_GROUP_PATTERN = re.compile(r"^[-\w.()]{0,89}[-\w()]$", re.ASCII)

# Harness entity names (secrets, connectors): letters, digits, spaces, '-' and
# '_', 64 characters at most (NGEntityName in harness-core; newer releases also
# take '.' and '/', older ones do not).
HARNESS_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_ -]{1,64}$")
HARNESS_NAME_MAX = 64

# Display names end up in Harness entity names, the longest being
# "ACR <name> client secret", which must stay a name Harness accepts.
DISPLAY_NAME_MAX = HARNESS_NAME_MAX - len("ACR  client secret")
DISPLAY_NAME_PATTERN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9 _-]{{0,{DISPLAY_NAME_MAX - 1}}}$")

# Tags acr-fleet sets on every resource; configuration may not override them.
RESERVED_TAGS = frozenset({"managed-by", "stack"})

# Logical keys name things in URNs and identifiers, so they are kept plain.
KEY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")

# Azure user-assigned identity names: 3-128 letters, digits, '-' and '_',
# starting with a letter or digit.
MANAGED_IDENTITY_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$")

# Harness: starts with a letter or '_', then letters, digits, '_' or '$'; 128 max.
HARNESS_IDENTIFIER_PATTERN = re.compile(r"^[a-zA-Z_][0-9a-zA-Z_$]{0,127}$")
HARNESS_IDENTIFIER_MAX = 128

# Harness rejects these as identifiers. They are compared case-insensitively
# here: being stricter than Harness costs nothing, a rejected apply costs a run.
HARNESS_RESERVED_WORDS = frozenset(
    word.lower()
    for word in (
        *("or", "and", "eq", "ne", "lt", "gt", "le", "ge", "div", "mod", "not"),
        *("null", "true", "false", "new", "var", "return", "step", "parallel"),
        *("stepGroup", "org", "account", "status", "liteEngineTask"),
    )
)


def acr_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid ACR name, or None when it is."""
    if ACR_NAME_PATTERN.fullmatch(name):
        return None
    reasons = []
    if not 5 <= len(name) <= 50:
        reasons.append(f"{len(name)} characters")
    if "-" in name:
        reasons.append("a hyphen")
    others = sorted({c for c in name if not (c.isascii() and c.isalnum()) and c != "-"})
    if others:
        reasons.append("the characters " + " ".join(repr(c) for c in others))
    return "must be 5-50 letters and digits (got " + ", ".join(reasons) + ")"


def resource_group_problem(name: str) -> str | None:
    """Why ``name`` is not a valid resource group name, or None when it is."""
    if RESOURCE_GROUP_PATTERN.fullmatch(name):
        return None
    return "must be 1-90 letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'"


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid logical key, or None when it is."""
    if KEY_PATTERN.fullmatch(key):
        return None
    return (
        "must start with a letter and contain only letters, digits, '-' and '_', "
        "40 characters at most"
    )


def display_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a display name, or None when it can."""
    if DISPLAY_NAME_PATTERN.fullmatch(name):
        return None
    return (
        f"must be 1-{DISPLAY_NAME_MAX} characters: letters, digits, spaces, '-' and '_', "
        "starting with a letter or digit (Harness names the secret "
        f"'ACR <displayName> client secret', {HARNESS_NAME_MAX} characters at most)"
    )


def harness_name_problem(name: str) -> str | None:
    """Why Harness would reject ``name`` as an entity name, or None when it would not."""
    if HARNESS_NAME_PATTERN.fullmatch(name) and name.strip():
        return None
    return f"must be 1-{HARNESS_NAME_MAX} letters, digits, spaces, '-' and '_', not only spaces"


def managed_identity_name_problem(name: str) -> str | None:
    """Why Azure would reject ``name`` for a user-assigned identity, or None."""
    if MANAGED_IDENTITY_NAME_PATTERN.fullmatch(name):
        return None
    return "must be 3-128 letters, digits, '-' and '_', starting with a letter or digit"


def key_prefix_clash(first: str, second: str) -> bool:
    """True when one key is the other followed by '-': every resource name of
    the longer one then starts like a name of the shorter one, and the two can
    collide ('a' + '-rg-x-y' and 'a-rg-x' + '-y')."""
    shorter, longer = sorted((first.lower(), second.lower()), key=len)
    return shorter != longer and longer.startswith(shorter + "-")


def merge_tags(*layers: Mapping[str, str]) -> dict[str, str]:
    """Merge tag maps, later layers winning; names compare case-insensitively,
    as Azure compares them."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged[name.lower()] = (name, value)
    return dict(merged.values())


def harness_identifier_problem(identifier: str) -> str | None:
    """Why Harness would reject ``identifier``, or None when it would accept it."""
    if not HARNESS_IDENTIFIER_PATTERN.fullmatch(identifier):
        return (
            "must start with a letter or '_' and contain only letters, digits, "
            "'_' and '$', 128 characters at most"
        )
    if identifier.lower() in HARNESS_RESERVED_WORDS:
        return "is a word Harness reserves"
    return None


def harness_identifier(*parts: str) -> str:
    """Build a valid Harness identifier from logical keys.

    Joins the parts with '_', folds accents to ASCII, turns every run of other
    characters into one '_', prefixes '_' where the result would start with a
    digit, appends '_' to a reserved word, and shortens anything over 128
    characters to a prefix plus a hash of the whole, so distinct inputs stay
    distinct. Raises ValueError when nothing usable is left.
    """
    folded = unicodedata.normalize("NFKD", "_".join(parts))
    ascii_only = folded.encode("ascii", "ignore").decode("ascii")
    identifier = re.sub(r"[^0-9A-Za-z_]+", "_", ascii_only)
    identifier = re.sub(r"_{2,}", "_", identifier).strip("_")
    if not identifier:
        raise ValueError(f"no letters or digits to build an identifier from {parts!r}")
    if identifier[0].isdigit():
        identifier = "_" + identifier
    if identifier.lower() in HARNESS_RESERVED_WORDS:
        identifier += "_"
    if len(identifier) > HARNESS_IDENTIFIER_MAX:
        digest = hashlib.sha256(identifier.encode()).hexdigest()[:8]
        identifier = identifier[: HARNESS_IDENTIFIER_MAX - 9] + "_" + digest
    return identifier


def azure_connector_identifier(subscription_key: str) -> str:
    """Harness identifier of a subscription's Azure cloud provider connector."""
    return harness_identifier("azure", subscription_key)


def docker_connector_identifier(subscription_key: str, registry_key: str) -> str:
    """Harness identifier of one registry's Docker connector."""
    return harness_identifier("acr", subscription_key, registry_key)


def client_secret_identifier(subscription_key: str) -> str:
    """Harness identifier of the secret holding a subscription identity's password."""
    return harness_identifier("acr", subscription_key, "client_secret")


def client_secret_name(display_name: str) -> str:
    """Harness name of the secret holding a subscription identity's password."""
    return f"ACR {display_name} client secret"


def azure_connector_name(display_name: str) -> str:
    """Harness name of a subscription's Azure cloud provider connector."""
    return f"Azure {display_name}"


def docker_connector_name(registry_name: str) -> str:
    """Harness name of one registry's Docker connector."""
    return f"ACR {registry_name}"


def resource_name(*parts: str) -> str:
    """Pulumi logical name: the parts joined with '-'."""
    return "-".join(parts)


def previous_name(parent_name: str, key: str, previous_key: str | None) -> str | None:
    """The name ``resource_name(parent_name, key)`` had when the key was
    ``previous_key``, or None when there was no rename."""
    if previous_key is None or previous_key == key:
        return None
    return resource_name(parent_name, previous_key)


def registry_key(registry_name: str) -> str:
    """Default logical key of a registry: its ACR name, lower-cased (ACR names
    are case-insensitive, so two spellings are one registry)."""
    return registry_name.lower()


def application_display_name(project: str, stack: str, subscription_key: str) -> str:
    """Display name of the Entra application a subscription's connectors use."""
    return f"{project}-{stack}-{subscription_key}"


def password_resource_name(identity_name: str, slot: str) -> str:
    """Pulumi name of one application password slot.

    Slot 'a' keeps the name the single password had before rotation existed,
    so an identity without rotation keeps its URN.
    """
    if slot == "a":
        return f"{identity_name}-password"
    return f"{identity_name}-password-{slot}"


def resource_group_id(subscription_id: str, group_name: str) -> str:
    """ARM id of a resource group this program uses but does not create."""
    return f"/subscriptions/{subscription_id.lower()}/resourceGroups/{group_name}"


def registry_resource_id(subscription_id: str, resource_group: str, registry_name: str) -> str:
    """ARM id of an ACR, as Azure spells it (the import id of a Registry)."""
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.ContainerRegistry/registries/{registry_name}"
    )


# The account-level Docker connector Harness CI pulls its own images through.
# It exists in every account; acr-fleet imports it, never creates it.
HARNESS_IMAGE_CONNECTOR = "harnessImage"


def mirror_secret_identifier(subscription_key: str) -> str:
    """Harness identifier of the account-level secret the harnessImage connector uses."""
    return harness_identifier("acr", subscription_key, "mirror_client_secret")


def mirror_secret_name(subscription_key: str) -> str:
    """Harness name of the account-level secret the harnessImage connector uses."""
    return f"mirror client secret {subscription_key}"


def cache_rule_name(upstream_namespace: str) -> str:
    """Azure name of the cache rule mirroring one Docker Hub namespace (5-50
    letters, digits and '-')."""
    return f"dockerhub-{upstream_namespace}"
