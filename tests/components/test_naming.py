"""Naming functions: hostile input and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import naming

HOSTILE = [
    "team-acr",
    "Team_ACR",
    "1registry",
    "x" * 200,
    "org",
    "ACCOUNT",
    "stepGroup",
    "regístry-ü",
    "名前",
    "a b\tc",
    "$dollar",
    "--",
]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("team-acr", "a hyphen"),
        ("acr", "3 characters"),
        ("a" * 51, "51 characters"),
        ("acr_with_underscore", "'_'"),
        ("régistry01", "'é'"),
        ("", "0 characters"),
    ],
)
def test_acr_name_rejects_invalid_names(name: str, reason: str) -> None:
    """An invalid ACR name is rejected with the reason it breaks the rule."""
    problem = naming.acr_name_problem(name)
    assert problem is not None, f"{name!r} should be rejected as an ACR name."
    assert reason in problem, f"The problem for {name!r} should mention {reason!r}: {problem}"


@pytest.mark.parametrize("name", ["acr01", "A" * 50, "MixedCase123"])
def test_acr_name_accepts_valid_names(name: str) -> None:
    """A 5-50 character alphanumeric name is a valid ACR name."""
    assert naming.acr_name_problem(name) is None


@pytest.mark.parametrize("raw", HOSTILE)
def test_harness_identifier_is_always_valid(raw: str) -> None:
    """Every hostile key yields an identifier Harness accepts."""
    identifier = naming.harness_identifier("acr", raw)
    assert naming.harness_identifier_problem(identifier) is None, (
        f"{identifier!r} built from {raw!r} should be a valid Harness identifier."
    )


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("team-acr",), "team_acr"),
        (("1registry",), "_1registry"),
        (("org",), "org_"),
        (("Account",), "Account_"),
        (("regístry",), "registry"),
        (("a  b", "c"), "a_b_c"),
    ],
)
def test_harness_identifier_examples(parts: tuple[str, ...], expected: str) -> None:
    """Sanitising follows the documented rules on known inputs."""
    assert naming.harness_identifier(*parts) == expected


def test_harness_identifier_rejects_input_without_letters_or_digits() -> None:
    """Input with nothing usable raises instead of inventing an identifier."""
    with pytest.raises(ValueError, match="no letters or digits"):
        naming.harness_identifier("名前", "--")


def test_long_identifiers_are_shortened_and_stay_distinct() -> None:
    """Two 200-character keys differing only at the end give distinct 128-character ids."""
    first = naming.harness_identifier("x" * 199 + "a")
    second = naming.harness_identifier("x" * 199 + "b")
    assert len(first) == len(second) == 128
    assert first != second, "Shortening must keep distinct inputs distinct."


@pytest.mark.parametrize(
    ("identifier", "accepted"),
    [
        ("valid_id", True),
        ("_leading", True),
        ("with$dollar", True),
        ("9starts", False),
        ("has-hyphen", False),
        ("null", False),
        ("liteEngineTask", False),
        ("x" * 129, False),
        ("", False),
    ],
)
def test_harness_identifier_problem(identifier: str, accepted: bool) -> None:
    """The identifier check matches Harness' pattern and reserved words."""
    assert (naming.harness_identifier_problem(identifier) is None) is accepted


@given(st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=4))
def test_harness_identifier_property(parts: list[str]) -> None:
    """For any input, the result is valid or the input had nothing usable."""
    try:
        identifier = naming.harness_identifier(*parts)
    except ValueError:
        return
    assert naming.harness_identifier_problem(identifier) is None
    assert identifier == naming.harness_identifier(*parts), "Identifiers must be deterministic."


@given(
    st.from_regex(naming.KEY_PATTERN, fullmatch=True),
    st.from_regex(naming.KEY_PATTERN, fullmatch=True),
)
def test_identifiers_from_valid_keys_are_valid(subscription: str, registry: str) -> None:
    """Identifiers derived from any valid keys are valid Harness identifiers."""
    for identifier in (
        naming.azure_connector_identifier(subscription),
        naming.docker_connector_identifier(subscription, registry),
        naming.client_secret_identifier(subscription),
    ):
        assert naming.harness_identifier_problem(identifier) is None, identifier


@pytest.mark.parametrize(
    ("key", "accepted"),
    [
        ("shared-dev", True),
        ("A_b-1", True),
        ("1abc", False),
        ("a" * 41, False),
        ("é", False),
        ("", False),
    ],
)
def test_key_problem(key: str, accepted: bool) -> None:
    """Logical keys start with a letter and use letters, digits, '-' and '_'."""
    assert (naming.key_problem(key) is None) is accepted


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("rg-acr", True),
        ("rg.(x)_1", True),
        ("ends.", False),
        ("x" * 91, False),
        ("has space", False),
        ("", False),
    ],
)
def test_resource_group_problem(name: str, accepted: bool) -> None:
    """Resource group names follow Azure's character and length rules."""
    assert (naming.resource_group_problem(name) is None) is accepted


@pytest.mark.parametrize(
    ("slot", "name"),
    [("a", "shared-dev-identity-password"), ("b", "shared-dev-identity-password-b")],
)
def test_password_resource_name(slot: str, name: str) -> None:
    """Slot a keeps the single password's name; slot b gets a suffix."""
    assert naming.password_resource_name("shared-dev-identity", slot) == name


def test_resource_group_id_uses_the_lower_cased_subscription() -> None:
    """A resource group's ARM id names the subscription in lower case and the group as given."""
    assert naming.resource_group_id("0000000A-0000-0000-0000-000000000001", "RG-Images") == (
        "/subscriptions/0000000a-0000-0000-0000-000000000001/resourceGroups/RG-Images"
    )


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("ACR Shared services dev client secret", True),
        ("Azure payments_prod-eu", True),
        ("ACR Shared services (dev) client secret", False),
        ("x" * 65, False),
        ("   ", False),
        ("", False),
        ("Zahlungsverkehr ü", False),
    ],
)
def test_harness_name_problem(name: str, accepted: bool) -> None:
    """Harness names take letters, digits, spaces, '-' and '_', 64 characters at most."""
    assert (naming.harness_name_problem(name) is None) is accepted


@given(st.from_regex(naming.DISPLAY_NAME_PATTERN, fullmatch=True))
def test_harness_names_from_valid_display_names_are_valid(display_name: str) -> None:
    """Every valid display name gives secret and connector names Harness accepts."""
    assert naming.display_name_problem(display_name) is None
    for name in (
        naming.client_secret_name(display_name),
        naming.azure_connector_name(display_name),
    ):
        assert naming.harness_name_problem(name) is None, name
