"""Workload identity federation with Harness: the exact strings Entra ID matches.

Entra ID compares issuer, subject and audience of a federated credential with
the claims of the token Harness presents, character for character: a trailing
slash on the issuer or a different case in the subject fails the exchange with
an AADSTS error at run time, long after ``pulumi up`` succeeded. So every one
of these strings is built here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import re

# The audience Entra ID expects in tokens exchanged for its own access tokens.
AUDIENCE = "api://AzureADTokenExchange"

# The host of Harness' SaaS cluster; accounts on another cluster set their own.
DEFAULT_HOST = "app.harness.io"

# A bare DNS host name in lower case: no scheme, no port, no path, no trailing
# slash or dot. Harness' issuers carry no port (SaaS and self-managed alike
# publish https://<host>/ng/api/oidc/account/<id>), and an explicit one, even
# the default :443, would not match the token's iss claim exactly.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_PATTERN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_PORT_PATTERN = re.compile(r":([0-9]*)$")


@dataclasses.dataclass(frozen=True)
class Federation:
    """The claims a federated identity credential trusts."""

    name: str
    """Name of the credential on the application or managed identity."""
    issuer: str
    """URL of the token issuer, exactly as in the token's iss claim."""
    subject: str
    """The token's sub claim."""
    audience: str
    """The token's aud claim."""


def host_problem(host: str) -> str | None:
    """Why ``host`` is not a bare Harness host name, or None when it is."""
    if HOST_PATTERN.fullmatch(host):
        return None
    reasons = []
    if "://" in host:
        reasons.append(f"a scheme {host.split('://', 1)[0] + '://'!r}")
    if host.endswith("/"):
        reasons.append("a trailing '/'")
    elif "/" in host.split("://", 1)[-1]:
        reasons.append("a path")
    if host != host.lower():
        reasons.append("upper-case letters")
    port = _PORT_PATTERN.search(host.split("://", 1)[-1].split("/", 1)[0])
    if port is not None:
        reasons.append(f"a port {port.group(0)!r}, which Harness' issuer never carries")
    detail = f" (got {', '.join(reasons)})" if reasons else ""
    return (
        "must be a bare lower-case host name like app.harness.io, without a scheme, "
        f"port, path or trailing slash{detail}"
    )


def issuer(host: str, account_id: str) -> str:
    """Issuer of the OIDC tokens Harness mints for ``account_id`` on ``host``."""
    problem = host_problem(host)
    if problem is not None:
        raise ValueError(f"Harness host {host!r} {problem}")
    return f"https://{host}/ng/api/oidc/account/{account_id}"


def subject(account_id: str) -> str:
    """Subject of the OIDC tokens Harness mints for connectors of ``account_id``."""
    return f"Provider:Harness:Account:{account_id}"


def credential_name(account_id: str) -> str:
    """Name of the federated credential trusting one Harness account.

    Entra ID wants 3-120 letters, digits, '-' and '_', starting with a letter
    or digit; account ids are letters, digits, '-' and '_', 64 at most.
    """
    return f"harness-{account_id}"


def for_harness(host: str, account_id: str) -> Federation:
    """The federation that lets Harness connectors of ``account_id`` sign in."""
    return Federation(
        name=credential_name(account_id),
        issuer=issuer(host, account_id),
        subject=subject(account_id),
        audience=AUDIENCE,
    )
