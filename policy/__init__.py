"""acr-fleet's policy pack: mandatory rules (rules.py) served through pulumi-policy."""
