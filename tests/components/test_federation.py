"""The federation strings Entra ID matches exactly, and the Harness host check."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import federation

ACCOUNT = "Ab12_cd-34"


def test_issuer_is_exact() -> None:
    """The issuer is https://<host>/ng/api/oidc/account/<account id>, nothing more."""
    assert federation.issuer("app.harness.io", ACCOUNT) == (
        "https://app.harness.io/ng/api/oidc/account/Ab12_cd-34"
    )


def test_subject_is_exact() -> None:
    """The subject is Provider:Harness:Account:<account id>, case preserved."""
    assert federation.subject(ACCOUNT) == "Provider:Harness:Account:Ab12_cd-34"


def test_audience_is_exact() -> None:
    """The audience is Entra ID's token exchange audience."""
    assert federation.AUDIENCE == "api://AzureADTokenExchange"


def test_for_harness_combines_the_strings() -> None:
    """A federation for a host and account carries its name, issuer, subject and audience."""
    assert federation.for_harness("app3.harness.io", ACCOUNT) == federation.Federation(
        name="harness-Ab12_cd-34",
        issuer="https://app3.harness.io/ng/api/oidc/account/Ab12_cd-34",
        subject="Provider:Harness:Account:Ab12_cd-34",
        audience="api://AzureADTokenExchange",
    )


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("https://app.harness.io", "a scheme 'https://'"),
        ("app.harness.io/", "a trailing '/'"),
        ("https://app.harness.io/", "a scheme 'https://', a trailing '/'"),
        ("app.harness.io/gateway", "a path"),
        ("App.Harness.io", "upper-case letters"),
        ("", "without a scheme, port, path or trailing slash"),
        ("app..harness.io", "without a scheme, port, path or trailing slash"),
        ("app.harness.io:443", "a port ':443'"),
        ("harness.example.com:8443", "a port ':8443'"),
        ("app.harness.io:99999", "a port ':99999'"),
        ("app.harness.io:", "a port ':'"),
    ],
)
def test_issuer_rejects_a_host_that_is_not_bare(host: str, reason: str) -> None:
    """A host with a scheme, port, path, trailing slash or capitals is refused."""
    with pytest.raises(ValueError, match=f"must be a bare .*{re.escape(reason)}"):
        federation.issuer(host, ACCOUNT)


@pytest.mark.parametrize("host", ["app.harness.io", "app3.harness.io", "harness.example.com"])
def test_bare_hosts_are_accepted(host: str) -> None:
    """Lower-case DNS names without a port are bare hosts."""
    assert federation.host_problem(host) is None


@given(st.text())
def test_an_accepted_host_makes_a_clean_issuer(host: str) -> None:
    """Any accepted host yields an issuer with exactly one scheme and no trailing slash."""
    if federation.host_problem(host) is not None:
        return
    issuer = federation.issuer(host, ACCOUNT)
    assert issuer.count("://") == 1
    assert not issuer.endswith("/")
    assert issuer == f"https://{host}/ng/api/oidc/account/{ACCOUNT}"
