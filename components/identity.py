"""RegistryIdentity: the Entra application a subscription's connectors use."""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_azuread as azuread


@dataclasses.dataclass(frozen=True)
class RegistryIdentityArgs:
    """Inputs of one subscription's identity."""

    display_name: str
    """Display name of the Entra application."""
    password_end_date: str
    """RFC 3339 end date of the application password, from config (never the clock)."""


class RegistryIdentity(pulumi.ComponentResource):
    """An Entra application, its service principal and one application password."""

    client_id: pulumi.Output[str]
    """Application (client) id: the user name registries and Harness see."""
    principal_id: pulumi.Output[str]
    """Object id of the service principal: what role assignments name."""
    client_secret: pulumi.Output[str]
    """The application password's value; always a Pulumi secret."""

    def __init__(
        self,
        name: str,
        args: RegistryIdentityArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:identity:RegistryIdentity", name, None, opts)
        application = azuread.Application(
            f"{name}-app",
            display_name=args.display_name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        principal = azuread.ServicePrincipal(
            f"{name}-sp",
            client_id=application.client_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        password = azuread.ApplicationPassword(
            f"{name}-password",
            application_id=application.id,
            display_name="acr-fleet",
            end_date=args.password_end_date,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.client_id = application.client_id
        # The service principal's object id, never the application's client id
        # (FAULTS 2): Azure resolves role assignments against the principal.
        self.principal_id = principal.object_id
        self.client_secret = pulumi.Output.secret(password.value)
        self.register_outputs(
            {
                "client_id": self.client_id,
                "principal_id": self.principal_id,
                "client_secret": self.client_secret,
            }
        )
