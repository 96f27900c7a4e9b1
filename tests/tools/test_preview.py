"""The offline preview command: its JSON document, its text, and secrecy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR, STACKS, run_config, stack_config
from tools import fleet, offline, preview

SECRET_MARKERS = ("mock-password-", offline.SECURE_PLACEHOLDER, "AAABAFake")


def run_preview(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the preview's main in-process and capture what it prints."""
    status = preview.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("stack", STACKS)
def test_json_document_shape(capsys: pytest.CaptureFixture[str], stack: str) -> None:
    """--json prints one document with resources and outputs in the documented shape."""
    status, out, _ = run_preview(capsys, stack, "--json")
    assert status == 0
    document = json.loads(out)
    assert document["stack"] == stack
    assert document["resources"], "The document should list resources."
    by_urn = {resource["urn"]: resource for resource in document["resources"]}
    for resource in document["resources"]:
        assert set(resource) >= {
            "urn",
            "type",
            "name",
            "parent",
            "provider",
            "inputs",
            "dependencies",
        }
        parent = by_urn.get(resource["parent"])
        chain = f"{parent['urn'].split('::')[2]}${resource['type']}" if parent else resource["type"]
        assert resource["urn"] == f"urn:pulumi:{stack}::acr-fleet::{chain}::{resource['name']}"
    assert "subscriptions" in document["outputs"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_secret_in_text_or_json(capsys: pytest.CaptureFixture[str], stack: str) -> None:
    """Neither format prints a password, the API key placeholder or ciphertext."""
    graph = offline.run_stack(stack)
    passwords = [
        r.state["value"]
        for r in graph.by_type("azuread:index/applicationPassword:ApplicationPassword")
    ]
    assert passwords, "The stack should create passwords to check for."
    for argv in ((stack,), (stack, "--json")):
        status, out, err = run_preview(capsys, *argv)
        assert status == 0
        for marker in (*SECRET_MARKERS, *passwords):
            assert marker not in out + err, f"{marker!r} leaked into the output of {argv}."
        assert "[secret]" in out, "Masked secrets should be shown as [secret]."


def test_text_tree_shows_parents_and_providers(capsys: pytest.CaptureFixture[str]) -> None:
    """The text output nests resources under their components and names providers."""
    status, out, _ = run_preview(capsys, "dev")
    assert status == 0
    assert "acrfleet:fleet:SubscriptionRegistries shared-dev" in out
    assert "provider shared-dev-azure" in out
    assert 'principalType "ServicePrincipal"' in out
    assert "Outputs" in out


def test_bad_config_fails_with_the_config_error(
    capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch
) -> None:
    """A stack file with bad configuration exits 1 and prints the problems."""
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][0]["registries"][0]["name"] = "bad-name"
    (project / "stacks" / "Pulumi.broken.yaml").write_text(yaml.safe_dump({"config": raw}))
    monkeypatch.setattr(
        offline,
        "stack_file",
        lambda stack, project_dir=None: project / "stacks" / f"Pulumi.{stack}.yaml",
    )
    status, _, err = run_preview(capsys, "broken")
    assert status == 1
    assert (
        "subscriptions[0].registries[0].name: must be 5-50 letters and digits (got a hyphen)" in err
    )


def test_unknown_stack_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Previewing a stack without a stack file fails with a clear message."""
    status, _, err = run_preview(capsys, "nope")
    assert status == 1
    assert "no stack file" in err


def test_file_previews_a_stack_file_outside_stacks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--file previews a generated stack file under the stack name given."""
    path = tmp_path / "Pulumi.fleet.yaml"
    path.write_text(fleet.render(fleet.generate(2, 3), 2, 3, 1))
    status, out, _ = run_preview(capsys, "fleet", "--file", str(path), "--json")
    assert status == 0, "A generated fleet should preview."
    document = json.loads(out)
    registries = [r for r in document["resources"] if r["type"].endswith(":Registry")]
    assert len(registries) == 6, "Every generated registry should be in the preview."
    assert {r["urn"].split("::")[0] for r in registries} == {"urn:pulumi:fleet"}, (
        "The resources should belong to the stack named on the command line."
    )


def test_command_line_entry_point() -> None:
    """`python -m tools.preview dev --json` works as a command and prints valid JSON."""
    result = subprocess.run(
        [sys.executable, "-m", "tools.preview", "dev", "--json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stack"] == "dev"


def test_default_provider_use_fails_the_run() -> None:
    """With default providers disabled, a resource without a provider fails the run."""
    raw = stack_config("dev")
    raw["pulumi:disable-default-providers"] = ["*"]
    graph = run_config(raw)  # the program itself names every provider
    assert graph.resources
    outcome = offline.execute(
        "test",
        {"pulumi:disable-default-providers": '["azure-native"]'},
        [],
        project_dir=_program_dir_with(
            "from pulumi_azure_native import resources\n"
            "resources.ResourceGroup('rg', resource_group_name='rg', location='westeurope')\n"
        ),
    )
    assert isinstance(outcome.error, offline.OfflineError)
    assert "default providers for 'azure-native' are disabled" in str(outcome.error)


def test_duplicate_urns_fail_the_run() -> None:
    """Two resources with one type and name fail the run, as the engine would."""
    outcome = offline.execute(
        "test",
        {},
        [],
        project_dir=_program_dir_with(
            "import pulumi\n"
            "pulumi.ComponentResource('acrfleet:test:Thing', 'same')\n"
            "pulumi.ComponentResource('acrfleet:test:Thing', 'same')\n"
        ),
    )
    assert isinstance(outcome.error, offline.OfflineError)
    assert "duplicate resource URN" in str(outcome.error)


def test_runs_do_not_leak_registrations() -> None:
    """A run after a failed and a larger run holds only its own registrations."""
    raw = stack_config("dev")
    raw["acr-fleet:subscriptions"][0]["registries"][0]["name"] = "bad-name"
    failed = run_preview_outcome(raw)
    assert failed.error is not None
    offline.run_stack("prod")
    dev = offline.run_stack("dev")
    stacks = {r.urn.split("::")[0] for r in dev.resources}
    assert stacks == {"urn:pulumi:dev"}, "Only dev URNs may appear in the dev graph."
    assert not [r for r in dev.resources if "prod" in r.name], "No prod resource may leak into dev."
    assert len(dev.resources) == len({r.urn for r in dev.resources})


def run_preview_outcome(raw: dict) -> offline.Outcome:
    """Execute a config mapping and return its outcome."""
    config, secret_keys = offline.config_from_mapping(raw)
    return offline.execute("dev", config, secret_keys)


def _program_dir_with(source: str) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="acr-fleet-program-"))
    (directory / "__main__.py").write_text(source)
    return directory


def _stack_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    return path


def test_unquoted_dates_and_on_stay_strings(tmp_path: Path) -> None:
    """Stack files read as the CLI reads them: dates and 'on' are strings."""
    path = _stack_file(
        tmp_path,
        "config:\n  acr-fleet:identity:\n    passwordEndDate: 2027-06-30T00:00:00Z\n"
        "  acr-fleet:flag: on\n",
    )
    config, _ = offline.read_stack_file(path)
    assert json.loads(config["acr-fleet:identity"]) == {"passwordEndDate": "2027-06-30T00:00:00Z"}
    assert config["acr-fleet:flag"] == "on"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("config:\n  - a\n", "'config:' must be a mapping"),
        ("config: {a: [\n", "is not valid YAML"),
        ("config:\n  subscriptions: []\n", "has no namespace"),
    ],
)
def test_malformed_stack_files_fail_clearly(tmp_path: Path, text: str, fragment: str) -> None:
    """A stack file that is not a mapping of namespaced keys fails with one clear message."""
    with pytest.raises(offline.OfflineError, match=fragment):
        offline.read_stack_file(_stack_file(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "config:\n  acr-fleet:lockRegistries: true\n  acr-fleet:lockRegistries: false\n",
            "key 'acr-fleet:lockRegistries' is given twice in one mapping (lines 2 and 3)",
        ),
        (
            "config:\n  acr-fleet:subscriptions:\n    - key: a\n      registries:\n"
            "        - name: acrone01\n          access: push\n          'access': pull\n",
            "key 'access' is given twice in one mapping (lines 6 and 7)",
        ),
        ("config: {}\nconfig: {}\n", "key 'config' is given twice in one mapping (lines 1 and 2)"),
    ],
)
def test_a_key_given_twice_is_refused(tmp_path: Path, text: str, message: str) -> None:
    """A key given twice in one mapping fails, as in the CLI, instead of the last one winning."""
    with pytest.raises(offline.OfflineError, match=re.escape(message)):
        offline.read_stack_file(_stack_file(tmp_path, text))


def test_a_merge_key_may_be_overridden(tmp_path: Path) -> None:
    """Keys merged from an anchor may be overridden in the mapping that merges them."""
    path = _stack_file(
        tmp_path,
        "config:\n  acr-fleet:tags: &base {environment: dev, team: a}\n"
        "  acr-fleet:other:\n    <<: *base\n    team: b\n",
    )
    config, _ = offline.read_stack_file(path)
    assert json.loads(config["acr-fleet:other"]) == {"environment": "dev", "team": "b"}, (
        "An explicit key should override the merged one."
    )


def test_a_stack_file_that_is_not_utf8_fails_clearly(tmp_path: Path) -> None:
    """A stack file that is not UTF-8 fails with one message, not a traceback."""
    path = tmp_path / "Pulumi.x.yaml"
    path.write_bytes(b"config:\n  acr-fleet:tags: \xff\n")
    with pytest.raises(offline.OfflineError, match="is not UTF-8 text"):
        offline.read_stack_file(path)


def test_a_stack_file_nested_too_deeply_fails_clearly(tmp_path: Path) -> None:
    """A stack file nested deeper than the YAML reader can follow fails with one message."""
    text = "config:\n  acr-fleet:tags: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(offline.OfflineError, match="is nested too deeply"):
        offline.read_stack_file(_stack_file(tmp_path, text))


def test_a_stack_file_expanding_without_bound_fails_clearly(tmp_path: Path) -> None:
    """Aliases that expand a small file into millions of values fail before expansion."""
    lines = ["config:", "  acr-fleet:l0: &l0 [a, a, a, a, a, a, a, a, a, a]"]
    lines += [f"  acr-fleet:l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 7)]
    with pytest.raises(offline.OfflineError, match="expands to more than 1000000 values"):
        offline.read_stack_file(_stack_file(tmp_path, "\n".join(lines) + "\n"))


def test_stack_file_that_cannot_be_read_fails_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack file the system refuses to read exits 1 with one message, not a traceback."""
    path = _stack_file(tmp_path, "config: {}\n")

    def refuse(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    # Tests may run as root, whom no file mode refuses.
    monkeypatch.setattr(Path, "read_bytes", refuse)
    status, _, err = run_preview(capsys, "x", "--file", str(path))
    assert status == 1, "An unreadable stack file should fail the preview."
    assert f"{path} cannot be read: Permission denied" in err, (
        f"The message should name the file and the reason (got {err!r})."
    )


def test_urns_follow_the_engine_format(graphs) -> None:
    """URNs carry the parent's whole type chain and no root stack type."""
    graph = graphs["dev"]
    (assignment, *_) = graph.by_type("azure-native:authorization:RoleAssignment")
    assert assignment.urn == (
        "urn:pulumi:dev::acr-fleet::acrfleet:fleet:SubscriptionRegistries"
        "$acrfleet:access:RegistryAccess$azure-native:authorization:RoleAssignment"
        f"::{assignment.name}"
    )
    (harness,) = graph.by_type("pulumi:providers:harness")
    assert harness.urn == "urn:pulumi:dev::acr-fleet::pulumi:providers:harness::harness"
