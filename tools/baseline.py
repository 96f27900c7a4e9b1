"""The benchmark's baseline: a bare Pulumi program for a generated fleet.

It registers what acr-fleet registers for a stack file from ``tools.fleet``
(the same resource types, in the same counts, with the same providers, the same
input properties and the same input wiring between them) straight from the raw
configuration, with no components, no validation and no naming logic. What it
costs on the mock engine is what the Pulumi SDK and the provider SDKs cost for
that graph; the benchmark compares acr-fleet against it, and a test fails when
their custom resources differ in type, count or the shape of their inputs.

With the config key ``bench:dropApiVersionAliases`` it also drops azure-native's
API-version aliases as acr-fleet does, so the benchmark can show acr-fleet's
own overhead apart from that choice.

It knows only the features the generator uses (no locks, replications, mirror
or adopted registries). Run through ``tools.offline.execute(..., program=...)``,
never by ``pulumi up``.
"""

import uuid
from typing import Any

import pulumi
import pulumi_azure_native as azure_native
import pulumi_azuread as azuread
import pulumi_harness as harness
from pulumi_azure_native import authorization, containerregistry, managedidentity, resources

from components.provider_aliases import without_api_version_aliases

ROLES = {
    ("pull", False): "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    ("push", False): "8311e382-0749-4cb8-b61a-304f252e45ec",
    ("pull", True): "b93aa761-3e63-49ed-ac28-beffa264f7ac",
    ("push", True): "2a1e307c-b015-4ebd-883e-5b7698a07328",
}
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
DEFINITION = "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{}"
OIDC_NOTE = "Harness connectors sign in with OIDC tokens; managed by acr-fleet."
AUDIENCE = "api://AzureADTokenExchange"


def assignment_name(
    scope: pulumi.Output[str], definition: str, principal: pulumi.Output[str]
) -> pulumi.Output[str]:
    """A GUID from the scope, role and principal, computed as the program does."""
    return pulumi.Output.all(scope, principal).apply(
        lambda values: str(uuid.uuid5(uuid.NAMESPACE_URL, f"{values[0]}|{definition}|{values[1]}"))
    )


# The benchmark's second baseline makes the program's one choice about the SDK:
# azure-native's API-version aliases dropped (components/provider_aliases.py).
if pulumi.Config("bench").get_bool("dropApiVersionAliases"):
    pulumi.runtime.register_stack_transformation(without_api_version_aliases)

config = pulumi.Config("acr-fleet")
account = config.require_object("harness")
tags = {**(config.get_object("tags") or {}), "managed-by": "acr-fleet", "stack": pulumi.get_stack()}
harness_tags = ["managed-by:acr-fleet"]
subscriptions: list[dict[str, Any]] = config.require_object("subscriptions")
scope = {"org_id": account["orgId"], "project_id": account["projectId"]}
selectors = account.get("delegateSelectors", [])
issuer = f"https://app.harness.io/ng/api/oidc/account/{account['accountId']}"
subject = f"Provider:Harness:Account:{account['accountId']}"

harness_provider = harness.Provider(
    "harness",
    account_id=account["accountId"],
    endpoint="https://app.harness.io/gateway",
    platform_api_key=config.get_secret("harnessApiKey"),
)
tenants = {
    tenant: azuread.Provider(f"azuread-{tenant}", tenant_id=tenant)
    for tenant in sorted({sub["tenantId"] for sub in subscriptions})
}
on_harness = pulumi.ResourceOptions(provider=harness_provider)

connector_refs = []
for sub in subscriptions:
    key, sub_id, identity = sub["key"], sub["subscriptionId"], sub.get("identity", {})
    azure = azure_native.Provider(f"{key}-azure", subscription_id=sub_id, tenant_id=sub["tenantId"])
    on_azure = pulumi.ResourceOptions(provider=azure)
    on_tenant = pulumi.ResourceOptions(provider=tenants[sub["tenantId"]])
    groups = {
        group["name"]: resources.ResourceGroup(
            f"{key}-rg-{group['name']}",
            resource_group_name=group["name"],
            location=group["location"],
            tags=tags,
            opts=on_azure,
        )
        for group in sub["resourceGroups"]
    }
    registries = {
        registry["name"]: containerregistry.Registry(
            f"{key}-{registry['name']}",
            registry_name=registry["name"],
            resource_group_name=groups[registry["resourceGroup"]].name,
            location=groups[registry["resourceGroup"]].location,
            sku=containerregistry.SkuArgs(name=registry["sku"]),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            public_network_access="Enabled",
            zone_redundancy="Disabled",
            network_rule_bypass_options="AzureServices",
            policies=containerregistry.PoliciesArgs(
                retention_policy=containerregistry.RetentionPolicyArgs(
                    days=registry["retentionDays"], status="enabled"
                )
            )
            if "retentionDays" in registry
            else None,
            tags=tags,
            opts=on_azure,
        )
        for registry in sub["registries"]
    }

    secret = None
    federation: list[pulumi.Resource] = []
    if identity.get("kind") == "managedIdentity":
        group = groups[identity["resourceGroup"]]
        msi = managedidentity.UserAssignedIdentity(
            f"{key}-msi",
            resource_name_=f"acr-fleet-{key}",
            resource_group_name=group.name,
            location=group.location,
            tags=tags,
            opts=on_azure,
        )
        principal_id, client_id = msi.principal_id, msi.client_id
        if identity.get("auth") == "oidc":
            federation.append(
                managedidentity.FederatedIdentityCredential(
                    f"{key}-federation",
                    resource_name_=msi.name,
                    resource_group_name=group.name,
                    federated_identity_credential_resource_name="harness",
                    issuer=issuer,
                    subject=subject,
                    audiences=[AUDIENCE],
                    opts=on_azure,
                )
            )
    else:
        app = azuread.Application(f"{key}-app", display_name=f"acr-fleet-{key}", opts=on_tenant)
        sp = azuread.ServicePrincipal(f"{key}-sp", client_id=app.client_id, opts=on_tenant)
        principal_id, client_id = sp.object_id, app.client_id
        if identity.get("auth") == "oidc":
            federation.append(
                azuread.ApplicationFederatedIdentityCredential(
                    f"{key}-federation",
                    application_id=app.id,
                    display_name="harness",
                    description=OIDC_NOTE,
                    issuer=issuer,
                    subject=subject,
                    audiences=[AUDIENCE],
                    opts=on_tenant,
                )
            )
        if identity.get("auth") == "secret" or identity.get("dockerSecret"):
            slots = ("a", "b") if "rotation" in identity else ("a",)
            passwords = [
                azuread.ApplicationPassword(
                    f"{key}-password-{slot}",
                    application_id=app.id,
                    display_name=f"slot {slot}",
                    end_date=identity["passwordEndDate"],
                    rotate_when_changed={"slot": slot, "generation": "0"},
                    opts=on_tenant,
                )
                for slot in slots
            ]
            secret = harness.platform.SecretText(
                f"{key}-secret",
                identifier=f"acr_{key}_client_secret",
                name=f"{key} client secret",
                description="Entra application password, managed by acr-fleet.",
                tags=[*harness_tags, f"subscription:{key}"],
                value_type="Inline",
                value=passwords[-1].value,
                secret_manager_identifier="harnessSecretManager",
                opts=on_harness,
                **scope,
            )

    listed = set()
    connector_fields: dict[str, Any] = {
        "tags": [*harness_tags, f"subscription:{key}"],
        "execute_on_delegate": True,
        "delegate_selectors": selectors,
        **scope,
    }
    for registry in sub["registries"]:
        target = registries[registry["name"]]
        role = ROLES[(registry["access"], bool(registry.get("abac")))]
        definition = DEFINITION.format(sub_id, role)
        authorization.RoleAssignment(
            f"{key}-role-{registry['name']}",
            role_assignment_name=assignment_name(target.id, definition, principal_id),
            scope=target.id,
            role_definition_id=definition,
            principal_id=principal_id,
            principal_type="ServicePrincipal",
            opts=on_azure,
        )
        if registry.get("listable") and registry["resourceGroup"] not in listed:
            listed.add(registry["resourceGroup"])
            group_id = groups[registry["resourceGroup"]].id
            reader = DEFINITION.format(sub_id, READER)
            authorization.RoleAssignment(
                f"{key}-reader-{registry['resourceGroup']}",
                role_assignment_name=assignment_name(group_id, reader, principal_id),
                scope=group_id,
                role_definition_id=reader,
                principal_id=principal_id,
                principal_type="ServicePrincipal",
                opts=on_azure,
            )
        if registry.get("dockerConnector") and secret is not None:
            harness.platform.DockerConnector(
                f"{key}-docker-{registry['name']}",
                identifier=f"acr_{key}_{registry['name']}",
                name=f"ACR {registry['name']}",
                description="Docker registry access to an ACR, managed by acr-fleet.",
                type="Other",
                url=target.login_server.apply(lambda server: f"https://{server}"),
                credentials=harness.platform.DockerConnectorCredentialsArgs(
                    username=client_id, password_ref=secret.identifier
                ),
                opts=on_harness,
                **connector_fields,
            )

    platform = harness.platform
    if identity.get("auth") == "oidc":
        credentials = platform.AzureCloudProviderConnectorCredentialsArgs(
            type="OidcAuthentication",
            azure_oidc_spec=platform.AzureCloudProviderConnectorCredentialsAzureOidcSpecArgs(
                application_id=client_id, tenant_id=sub["tenantId"], audience=AUDIENCE
            ),
        )
    elif identity.get("auth") == "delegate":
        credentials = platform.AzureCloudProviderConnectorCredentialsArgs(
            type="InheritFromDelegate",
            azure_inherit_from_delegate_details=platform.AzureCloudProviderConnectorCredentialsAzureInheritFromDelegateDetailsArgs(
                auth=platform.AzureCloudProviderConnectorCredentialsAzureInheritFromDelegateDetailsAuthArgs(
                    type="UserAssignedManagedIdentity",
                    azure_msi_auth_ua=platform.AzureCloudProviderConnectorCredentialsAzureInheritFromDelegateDetailsAuthAzureMsiAuthUaArgs(
                        client_id=client_id
                    ),
                )
            ),
        )
    else:
        assert secret is not None, f"{key}: auth 'secret' without a password"
        credentials = platform.AzureCloudProviderConnectorCredentialsArgs(
            type="ManualConfig",
            azure_manual_details=platform.AzureCloudProviderConnectorCredentialsAzureManualDetailsArgs(
                application_id=client_id,
                tenant_id=sub["tenantId"],
                auth=platform.AzureCloudProviderConnectorCredentialsAzureManualDetailsAuthArgs(
                    type="Secret",
                    azure_client_secret_key=platform.AzureCloudProviderConnectorCredentialsAzureManualDetailsAuthAzureClientSecretKeyArgs(
                        secret_ref=secret.identifier
                    ),
                ),
            ),
        )
    harness.platform.AzureCloudProviderConnector(
        f"{key}-azure-connector",
        identifier=f"azure_{key}",
        name=f"Azure {key}",
        description="Azure access for the subscription's registries, managed by acr-fleet.",
        credentials=credentials,
        azure_environment_type="AZURE",
        opts=pulumi.ResourceOptions(provider=harness_provider, depends_on=federation),
        **connector_fields,
    )
    connector_refs.append(f"azure_{key}")

if config.get_object("pipelineTemplate") is not None:
    harness.platform.Template(
        "pipeline-template",
        identifier="acr_fleet_registries",
        name="acr-fleet registries",
        version="v1",
        is_stable=True,
        tags=harness_tags,
        template_yaml="template:\n  connectors: [" + ", ".join(connector_refs) + "]\n",
        opts=on_harness,
        **scope,
    )
