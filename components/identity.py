"""RegistryIdentity: the Entra application a subscription's connectors use."""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_azuread as azuread

from components import naming, rotation
from components.federation import Federation


@dataclasses.dataclass(frozen=True)
class RegistryIdentityArgs:
    """Inputs of one subscription's application identity."""

    display_name: str
    """Display name of the Entra application."""
    passwords: rotation.PasswordPolicy | None
    """How client secrets are issued; None for no client secret at all."""
    federation: Federation | None = None
    """Harness OIDC tokens the application trusts; None for no federation."""


class RegistryIdentity(pulumi.ComponentResource):
    """An Entra application and its service principal, with application
    passwords (one, or two rotating slots), a federated credential, or both."""

    client_id: pulumi.Output[str]
    """Application (client) id: the user name registries and Harness see."""
    principal_id: pulumi.Output[str]
    """Object id of the service principal: what role assignments name."""
    client_secret: pulumi.Output[str] | None
    """The newer password's value, always a Pulumi secret; None without passwords."""
    federated_credential: pulumi.Resource | None
    """The federated identity credential; None without federation."""

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
        self.client_secret = None
        if args.passwords is not None:
            self.client_secret = self._create_passwords(name, application, args.passwords)
        self.federated_credential = None
        if args.federation is not None:
            self.federated_credential = azuread.ApplicationFederatedIdentityCredential(
                f"{name}-federation",
                application_id=application.id,
                display_name=args.federation.name,
                description="Harness connectors sign in with OIDC tokens; managed by acr-fleet.",
                issuer=args.federation.issuer,
                subject=args.federation.subject,
                audiences=[args.federation.audience],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.client_id = application.client_id
        # The service principal's object id, never the application's client id
        # (FAULTS 2): Azure resolves role assignments against the principal.
        self.principal_id = principal.object_id
        outputs: dict[str, pulumi.Output[str]] = {
            "client_id": self.client_id,
            "principal_id": self.principal_id,
        }
        if self.client_secret is not None:
            outputs["client_secret"] = self.client_secret
        self.register_outputs(outputs)

    def _create_passwords(
        self, name: str, application: azuread.Application, policy: rotation.PasswordPolicy
    ) -> pulumi.Output[str]:
        """Register the password slots; return the newer slot's value as a secret.

        Without rotation there is one password, as before rotation existed. With
        rotation each slot carries its generation in ``rotate_when_changed``, so
        raising the epoch replaces exactly one slot (see components/rotation.py).
        """
        rotating = policy.schedule is not None
        newer: pulumi.Output[str] | None = None
        for slot in rotation.password_slots(policy):
            password = azuread.ApplicationPassword(
                naming.password_resource_name(name, slot.slot),
                application_id=application.id,
                display_name=f"acr-fleet slot {slot.slot}" if rotating else "acr-fleet",
                end_date=slot.end_date,
                rotate_when_changed=(
                    {"slot": slot.slot, "generation": str(slot.generation)} if rotating else None
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            if slot.newer:
                newer = password.value
        warning = rotation.expiry_warning(policy)
        if warning is not None:
            pulumi.log.warn(warning, resource=self)
        assert newer is not None, "password_slots marks exactly one slot newer"
        return pulumi.Output.secret(newer)
