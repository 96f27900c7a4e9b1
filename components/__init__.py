"""acr-fleet's components, configuration loader and naming rules."""
