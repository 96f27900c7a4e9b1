"""Azure public-cloud location names acr-fleet accepts.

Azure rejects an unknown location only at deploy time; checking here moves that
failure into the preview. The list errs on the side of accepting: it includes
announced regions that may not yet take registries in every subscription.
When Azure opens a region that is missing, add its programmatic name
(`az account list-locations --query "[].name"`).
"""

from __future__ import annotations

AZURE_LOCATIONS = frozenset(
    (
        *("eastus", "eastus2", "westus", "westus2", "westus3", "centralus"),
        *("northcentralus", "southcentralus", "westcentralus", "canadacentral"),
        *("canadaeast", "brazilsouth", "brazilsoutheast", "mexicocentral", "chilecentral"),
        *("northeurope", "westeurope", "uksouth", "ukwest", "francecentral"),
        *("francesouth", "germanywestcentral", "germanynorth", "switzerlandnorth"),
        *("switzerlandwest", "norwayeast", "norwaywest", "swedencentral", "swedensouth"),
        *("polandcentral", "italynorth", "spaincentral", "austriaeast", "belgiumcentral"),
        *("denmarkeast", "eastasia", "southeastasia", "japaneast", "japanwest"),
        *("koreacentral", "koreasouth", "australiaeast", "australiasoutheast"),
        *("australiacentral", "australiacentral2", "centralindia", "southindia"),
        *("westindia", "jioindiawest", "jioindiacentral", "uaenorth", "uaecentral"),
        *("southafricanorth", "southafricawest", "qatarcentral", "israelcentral"),
        *("newzealandnorth", "indonesiacentral", "malaysiawest", "taiwannorth"),
        *("taiwannorthwest", "saudiarabiacentral", "eastus2euap", "centraluseuap"),
    )
)
