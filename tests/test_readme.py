"""The README's configuration reference keeps up with the configuration model."""

from __future__ import annotations

import re

import pydantic
import pytest

from components.config import ConfigError, FleetSpec, _model_of, parse_fleet
from tests.components.test_config import raw_fleet
from tests.conftest import PROJECT_DIR


def config_keys(model: type[pydantic.BaseModel]) -> set[str]:
    """Every camelCase key of ``model`` and of the models nested in it."""
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(field.alias or name)
        nested = _model_of(field.annotation)
        if isinstance(nested, type) and issubclass(nested, pydantic.BaseModel):
            keys |= config_keys(nested)
    return keys


def test_reference_names_every_config_key() -> None:
    """Every configuration key appears in the README's code spans."""
    readme = (PROJECT_DIR / "README.md").read_text()
    spans = re.findall(r"`([^`\n]+)`", readme)
    named = {word for span in spans for word in re.findall(r"[A-Za-z]+", span)}
    missing = sorted(config_keys(FleetSpec) - named)
    assert not missing, f"The README's configuration reference does not mention {missing}."


def test_docker_error_example_matches_the_program() -> None:
    """The Docker connector error quoted in the README is the one the loader gives."""
    raw = raw_fleet("staging")
    del raw["subscriptions"][1]["identity"]["dockerSecret"]
    del raw["subscriptions"][1]["identity"]["passwordEndDate"]
    with pytest.raises(ConfigError) as caught:
        parse_fleet(raw)
    (line,) = [line for line in str(caught.value).splitlines() if "dockerConnector" in line]
    readme = (PROJECT_DIR / "README.md").read_text()
    assert line in readme, f"The README should quote:\n{line}"
