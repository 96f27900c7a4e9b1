"""ExistingRegistry: an ACR that exists already and is adopted, not managed."""

from __future__ import annotations

import dataclasses

import pulumi
from pulumi_azure_native import containerregistry


@dataclasses.dataclass(frozen=True)
class ExistingRegistryArgs:
    """How to find the adopted registry."""

    registry_name: str
    """The ACR's name."""
    resource_group_name: str
    """Resource group it lives in."""
    provider: pulumi.ProviderResource
    """The azure-native provider of the registry's subscription; the lookup uses it."""


class ExistingRegistry(pulumi.ComponentResource):
    """A registry acr-fleet uses but does not own: no Registry resource, only a
    lookup through the subscription's provider for its id and login server.

    Role assignments and connectors are still created for it; ``pulumi destroy``
    leaves the registry itself alone.
    """

    resource_id: pulumi.Output[str]
    """ARM resource id, as Azure reports it: the scope of role assignments."""
    login_server: pulumi.Output[str]
    """Host name clients log in to."""
    registry_name: pulumi.Output[str]
    """The registry's name as Azure reports it."""

    def __init__(
        self,
        name: str,
        args: ExistingRegistryArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:registry:ExistingRegistry", name, None, opts)
        # The invoke names its provider explicitly: a lookup through the CLI's
        # default subscription would find nothing, or the wrong registry.
        found = containerregistry.get_registry_output(
            registry_name=args.registry_name,
            resource_group_name=args.resource_group_name,
            opts=pulumi.InvokeOutputOptions(parent=self, provider=args.provider),
        )
        self.resource_id = found.id
        self.login_server = found.login_server
        self.registry_name = found.name
        self.register_outputs(
            {
                "resource_id": self.resource_id,
                "login_server": self.login_server,
                "registry_name": self.registry_name,
            }
        )
