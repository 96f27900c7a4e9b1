"""acr-fleet: one stack's registries, identities, role assignments and Harness
connectors. Composition only: load config, build components, export."""

import pulumi
import pulumi_azuread as azuread
import pulumi_harness as harness

from components import naming
from components.config import load_fleet
from components.pipeline_template import (
    PipelineTemplate,
    PipelineTemplateArgs,
    connector_references,
)
from components.provider_aliases import without_api_version_aliases
from components.subscription import SubscriptionRegistries, SubscriptionRegistriesArgs

fleet = load_fleet()
# Before any resource: azure-native's API-version aliases never match this
# program's state and cost most of a large fleet's evaluation time.
pulumi.runtime.register_stack_transformation(without_api_version_aliases)
config = pulumi.Config("acr-fleet")

# Default providers are disabled in every stack file; these are the only ones.
harness_provider = harness.Provider(
    "harness",
    account_id=fleet.harness.account_id,
    endpoint=fleet.harness.endpoint,
    # None lets the provider read HARNESS_PLATFORM_API_KEY from the environment.
    platform_api_key=config.get_secret("harnessApiKey"),
)
tenant_providers = {
    tenant_id: azuread.Provider(f"azuread-{tenant_id}", tenant_id=tenant_id)
    for tenant_id in sorted({sub.tenant_id for sub in fleet.subscriptions})
}

subscriptions = {
    sub.key: SubscriptionRegistries(
        sub.key,
        SubscriptionRegistriesArgs(
            subscription=sub,
            identity=fleet.identity_for(sub),
            harness=fleet.harness,
            pipeline_scope=fleet.harness.pipeline_scope_or_default,
            application_display_name=naming.application_display_name(
                pulumi.get_project(), pulumi.get_stack(), sub.key
            ),
            tags=naming.merge_tags(
                fleet.tags, {"managed-by": "acr-fleet", "stack": pulumi.get_stack()}
            ),
            connector_scope=fleet.connector_scope_for(sub),
            mirror=fleet.mirror_for(sub),
            protect_registries=fleet.protect_registries,
            lock_registries=fleet.lock_registries,
        ),
        opts=pulumi.ResourceOptions(
            providers={"azuread": tenant_providers[sub.tenant_id], "harness": harness_provider},
            # A renamed key keeps every resource's identity: the engine derives
            # each child's old URN from this one (children are named after it).
            aliases=[pulumi.Alias(name=sub.previous_key)] if sub.previous_key else None,
        ),
    )
    for sub in fleet.subscriptions
}

pulumi.export(
    "subscriptions",
    {
        key: {
            "registries": component.registries,
            "clientId": component.client_id,
            "azureConnectorRef": component.azure_connector_ref,
            "dockerConnectorRefs": component.docker_connector_refs,
        }
        for key, component in subscriptions.items()
    },
)

# The template lives where the stack's connectors do and loops over all of them.
if fleet.pipeline_template is not None:
    template = PipelineTemplate(
        "pipeline-template",
        PipelineTemplateArgs(
            spec=fleet.pipeline_template,
            scope=fleet.harness.scope,
            connector_references=connector_references(fleet),
        ),
        opts=pulumi.ResourceOptions(providers={"harness": harness_provider}),
    )
    pulumi.export("pipelineTemplateRef", template.template_ref)
