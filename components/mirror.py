"""HarnessImageMirror: Harness' CI images cached in one ACR, and the account's
``harnessImage`` connector pointed at it.

Harness CI pulls its own images (``harness/*`` and ``plugins/*`` on Docker Hub)
through the account-level Docker connector ``harnessImage``. That connector
exists in every account, so it is imported, never created, and kept in Harness
when the stack is destroyed (see the README for handing it back).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi_azure_native import containerregistry
from pulumi_harness import platform

from components import naming
from components.access import RegistryAccess, RegistryAccessArgs, RoleGrant
from components.config import CredentialSetSpec
from components.harness_scope import ACCOUNT, scope_reference
from components.roles import Role

# Docker Hub namespaces Harness CI images come from; each gets one cache rule
# whose target keeps the namespace, so <registry>/harness/ci-addon:tag works as
# harnessImage expects.
UPSTREAM_NAMESPACES = ("harness", "plugins")
UPSTREAM_REGISTRY = "docker.io"
CREDENTIAL_SET_NAME = "dockerhub"


@dataclasses.dataclass(frozen=True)
class HarnessImageMirrorArgs:
    """Inputs of the mirror."""

    subscription_key: str
    """Key of the subscription holding the mirror registry."""
    registry_name: pulumi.Input[str]
    """Name of the mirror registry (an output, so the rules wait for it)."""
    resource_group_name: str
    """Resource group of the mirror registry."""
    login_server: pulumi.Input[str]
    """Login server of the mirror registry: the connector's URL."""
    credential_set: CredentialSetSpec | None
    """Docker Hub credentials in Key Vault, or None for anonymous upstream pulls."""
    client_id: pulumi.Input[str]
    """Client id of the identity that pulls from the registry."""
    client_secret: pulumi.Input[str]
    """That identity's password; must be a Pulumi secret."""
    secret_manager: str
    """Secret manager reference as seen from the account scope."""
    delegate_selectors: Sequence[str]
    """Delegates that run the connector's checks and tasks."""
    tags: Sequence[str]
    """Harness tags, as 'key:value' strings."""


def _principal_id(identity: Any) -> str:
    """The principal id of a system-assigned identity Azure reports."""
    principal_id = getattr(identity, "principal_id", None)
    if not principal_id:
        raise ValueError("the credential set reported no system-assigned identity")
    return str(principal_id)


class HarnessImageMirror(pulumi.ComponentResource):
    """Cache rules for Harness' images, an optional Key Vault credential set, an
    account-level secret and the imported ``harnessImage`` connector.

    Its Azure children reach the subscription's provider through this
    component's ``providers`` option; the Harness ones through its parent's.
    """

    cache_rule_ids: pulumi.Output[list[str]]
    """ARM ids of the cache rules."""
    connector_ref: pulumi.Output[str]
    """Reference to the harnessImage connector (account scope)."""

    def __init__(
        self,
        name: str,
        args: HarnessImageMirrorArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acrfleet:mirror:HarnessImageMirror", name, None, opts)
        self._args = args
        credential_set_id = self._create_credential_set(name)
        rules = [
            containerregistry.CacheRule(
                f"{name}-rule-{namespace}",
                cache_rule_name=naming.cache_rule_name(namespace),
                registry_name=args.registry_name,
                resource_group_name=args.resource_group_name,
                source_repository=f"{UPSTREAM_REGISTRY}/{namespace}/*",
                target_repository=f"{namespace}/*",
                credential_set_resource_id=credential_set_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for namespace in UPSTREAM_NAMESPACES
        ]
        connector = self._create_connector(name)
        self.cache_rule_ids = pulumi.Output.all(*[rule.id for rule in rules])
        self.connector_ref = connector.identifier
        self.register_outputs(
            {"cache_rule_ids": self.cache_rule_ids, "connector_ref": self.connector_ref}
        )

    def _create_credential_set(self, name: str) -> pulumi.Output[str] | None:
        """The Docker Hub credential set, and its identity's read access to the
        Key Vault secrets, when configured."""
        spec = self._args.credential_set
        if spec is None:
            pulumi.log.warn(
                "harnessImageMirror has no credentialSet: the cache rules pull from Docker Hub "
                "anonymously, under its rate limits",
                resource=self,
            )
            return None
        credential_set = containerregistry.CredentialSet(
            f"{name}-credentials",
            credential_set_name=CREDENTIAL_SET_NAME,
            registry_name=self._args.registry_name,
            resource_group_name=self._args.resource_group_name,
            login_server=UPSTREAM_REGISTRY,
            auth_credentials=[
                containerregistry.AuthCredentialArgs(
                    name="Credential1",
                    username_secret_identifier=spec.username_secret_uri,
                    password_secret_identifier=spec.password_secret_uri,
                )
            ],
            # The registry reads the Key Vault secrets as this identity.
            identity=containerregistry.IdentityPropertiesArgs(
                type=containerregistry.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if spec.key_vault_resource_id is not None:
            principal_id = credential_set.identity.apply(_principal_id)
            RegistryAccess(
                f"{name}-keyvault",
                RegistryAccessArgs(
                    # Role definition ids are built in the vault's subscription.
                    subscription_id=spec.key_vault_resource_id.split("/")[2],
                    principal_id=principal_id,
                    grants=[
                        RoleGrant(
                            key="vault",
                            scope=spec.key_vault_resource_id,
                            role=Role.KEY_VAULT_SECRETS_USER,
                        )
                    ],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return credential_set.id

    def _create_connector(self, name: str) -> platform.DockerConnector:
        args = self._args
        secret = platform.SecretText(
            f"{name}-client-secret",
            identifier=naming.mirror_secret_identifier(args.subscription_key),
            name=naming.mirror_secret_name(args.subscription_key),
            description="Entra application password for the harnessImage mirror, "
            "managed by acr-fleet.",
            secret_manager_identifier=args.secret_manager,
            value_type="Inline",
            value=pulumi.Output.secret(args.client_secret),
            tags=list(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # harnessImage exists in every account: import it (its id at account
        # scope is the bare identifier) and leave it in Harness on destroy, where
        # CI would otherwise lose the connector it pulls every image through.
        return platform.DockerConnector(
            f"{name}-harness-image",
            identifier=naming.HARNESS_IMAGE_CONNECTOR,
            name="Harness Image",
            description="Harness CI images, pulled through an ACR mirror managed by acr-fleet.",
            type="Other",
            url=pulumi.Output.from_input(args.login_server).apply(lambda host: f"https://{host}"),
            credentials=platform.DockerConnectorCredentialsArgs(
                username=args.client_id,
                # The secret and the connector both live at the account.
                password_ref=scope_reference(
                    naming.mirror_secret_identifier(args.subscription_key), ACCOUNT, ACCOUNT
                ),
            ),
            delegate_selectors=list(args.delegate_selectors),
            execute_on_delegate=bool(args.delegate_selectors),
            tags=list(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[secret],
                import_=naming.HARNESS_IMAGE_CONNECTOR,
                retain_on_delete=True,
            ),
        )
