"""The offline difference: real previews of modified stack files, compared."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from tests.conftest import run_config, stack_config
from tools import diff, offline, preview

REGISTRY = diff.REGISTRY
ROLE_ASSIGNMENT = diff.ROLE_ASSIGNMENT


@pytest.fixture(scope="module")
def base_config() -> dict[str, Any]:
    """The committed dev stack's configuration."""
    return stack_config("dev")


@pytest.fixture(scope="module")
def base_document(base_config: dict[str, Any]) -> dict[str, Any]:
    """The offline preview document of the committed dev stack, run once."""
    return run_config(base_config, "dev").to_document()


def preview_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The offline preview document of a modified dev stack file."""
    return run_config(raw, "dev").to_document()


def registries(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The registry list of the first subscription of a stack config."""
    return raw["acr-fleet:subscriptions"][0]["registries"]


def urns_of(items: Any, type_token: str) -> list[str]:
    """URNs of the reported resources of one type."""
    return [item.urn for item in items if item.type == type_token]


def test_identical_documents_have_no_difference(base_document: dict[str, Any]) -> None:
    """A document compared with itself reports nothing and flags nothing."""
    difference = diff.compare(base_document, copy.deepcopy(base_document))
    assert difference.empty
    assert not difference.flags
    assert "No changes." in diff.render_markdown(difference)


def test_added_registry_is_reported_and_not_flagged(
    base_config: dict[str, Any], base_document: dict[str, Any]
) -> None:
    """A registry added to the stack file shows as added, with its role assignment."""
    raw = copy.deepcopy(base_config)
    registries(raw).append(
        {
            "name": "acrfleetdevnew01",
            "resourceGroup": "rg-acr-dev",
            "sku": "Basic",
            "access": "pull",
        }
    )
    difference = diff.compare(base_document, preview_of(raw))
    added = urns_of(difference.added, REGISTRY)
    assert len(added) == 1, f"One registry should be reported as added (got {added})."
    assert added[0].endswith("::shared-dev-acrfleetdevnew01")
    assert urns_of(difference.added, ROLE_ASSIGNMENT), "Its role assignment should be added too."
    assert not difference.removed
    assert not difference.moved
    assert not difference.flags, "Adding a registry should flag nothing."
    text = diff.render_markdown(difference)
    assert "**Added**" in text
    assert added[0] in text


def test_removed_registry_is_flagged_and_blocks(
    base_config: dict[str, Any], base_document: dict[str, Any]
) -> None:
    """A registry dropped from the stack file is reported removed, flagged and blocking."""
    raw = copy.deepcopy(base_config)
    del registries(raw)[1]
    difference = diff.compare(base_document, preview_of(raw))
    removed = urns_of(difference.removed, REGISTRY)
    assert len(removed) == 1
    assert removed[0].endswith("::shared-dev-acrfleetdevbase01")
    flagged = {(flag.resource.type, flag.reason, flag.protected) for flag in difference.flags}
    assert (REGISTRY, "removed", True) in flagged, "A removed registry should be flagged."
    assert (ROLE_ASSIGNMENT, "removed", False) in flagged, (
        "Its role assignment should be flagged too, though it is not protected."
    )
    assert [flag.resource.urn for flag in difference.blocking] == removed, (
        "Only the registry, protected by its protect option, should block."
    )
    assert f"PROTECTED registry removed: `{removed[0]}`" in diff.render_markdown(difference)


def test_changed_sku_lists_the_input(
    base_config: dict[str, Any], base_document: dict[str, Any]
) -> None:
    """A changed SKU is a change of the registry with sku.name listed, and no flag."""
    raw = copy.deepcopy(base_config)
    registries(raw)[0]["sku"] = "Premium"
    difference = diff.compare(base_document, preview_of(raw))
    assert not difference.added
    assert not difference.removed
    assert not difference.moved
    (change,) = difference.changed
    assert change.after.type == REGISTRY
    assert change.inputs == (diff.InputChange("sku.name", '"Basic"', '"Premium"'),)
    assert not difference.flags, "A SKU change replaces nothing and should flag nothing."
    assert '`sku.name`: `"Basic"` -> `"Premium"`' in diff.render_markdown(difference)


def test_renamed_key_is_a_flagged_urn_change(
    base_config: dict[str, Any], base_document: dict[str, Any]
) -> None:
    """Renaming a registry's key pairs the old and new URNs by registryName and flags both
    the registry and its role assignment as replaced."""
    raw = copy.deepcopy(base_config)
    registries(raw)[1]["key"] = "base"
    difference = diff.compare(base_document, preview_of(raw))
    moved = {change.after.type: change for change in difference.moved}
    registry = moved[REGISTRY]
    assert registry.before.urn.endswith("::shared-dev-acrfleetdevbase01")
    assert registry.after.urn.endswith("::shared-dev-base")
    assert registry.identity == "registryName=acrfleetdevbase01"
    assert ROLE_ASSIGNMENT in moved, "The role assignment keeps its GUID name, so it pairs too."
    assert not urns_of(difference.removed, REGISTRY), "A paired registry is not also 'removed'."
    assert not urns_of(difference.added, REGISTRY), "A paired registry is not also 'added'."
    reasons = {(flag.resource.type, flag.reason) for flag in difference.flags}
    assert (REGISTRY, "URN changed / replaced") in reasons
    assert (ROLE_ASSIGNMENT, "URN changed / replaced") in reasons
    assert [flag.resource.type for flag in difference.blocking] == [REGISTRY]
    text = diff.render_markdown(difference)
    assert "PROTECTED registry URN changed / replaced" in text
    assert f"-> `{registry.after.urn}`" in text


def test_renamed_registry_under_the_same_key_is_flagged_replaced(
    base_config: dict[str, Any], base_document: dict[str, Any]
) -> None:
    """A new ACR name under a kept key keeps the URN, but Azure replaces the registry."""
    raw = copy.deepcopy(base_config)
    registries(raw)[0]["key"] = "acrfleetdevapps01"
    registries(raw)[0]["name"] = "acrfleetdevapps02"
    difference = diff.compare(base_document, preview_of(raw))
    flags = [flag for flag in difference.flags if flag.resource.type == REGISTRY]
    assert [flag.reason for flag in flags] == ["replaced (registryName changed)"]
    assert flags[0].protected, "A registry protected before and after cannot be replaced."
    assert [flag.resource.type for flag in difference.blocking] == [REGISTRY]
    assert "PROTECTED registry replaced (registryName changed)" in diff.render_markdown(difference)


def test_protect_field_makes_any_removal_blocking(base_document: dict[str, Any]) -> None:
    """A resource whose old document says protect: true blocks when it is removed."""
    old = copy.deepcopy(base_document)
    group = next(r for r in old["resources"] if r["type"] == "azure-native:resources:ResourceGroup")
    group["protect"] = True
    new = copy.deepcopy(base_document)
    new["resources"] = [r for r in new["resources"] if r["urn"] != group["urn"]]
    difference = diff.compare(old, new)
    assert [(f.resource.urn, f.reason) for f in difference.blocking] == [(group["urn"], "removed")]


def test_secrets_stay_masked(base_config: dict[str, Any], base_document: dict[str, Any]) -> None:
    """A change that touches secrets reports no secret value, only masks."""
    raw = copy.deepcopy(base_config)
    raw["acr-fleet:identity"]["passwordEndDate"] = "2027-09-30T00:00:00Z"
    new = preview_of(raw)
    difference = diff.compare(base_document, new)
    paths = {entry.path for change in difference.changed for entry in change.inputs}
    assert "endDate" in paths, "The password's end date should be a listed change."
    text = diff.render_markdown(difference) + json.dumps(difference.to_document())
    for marker in ("mock-password-", offline.SECURE_PLACEHOLDER, "AAABAFake"):
        assert marker not in text, f"{marker!r} leaked into the difference."


def test_plain_text_secrets_in_a_saved_document_stay_hidden(
    base_document: dict[str, Any],
) -> None:
    """A saved document holding secrets in plain or wire form shows none of them."""
    old = copy.deepcopy(base_document)
    by_type = {resource["type"]: resource for resource in old["resources"]}
    by_type["harness:platform/secretText:SecretText"]["inputs"]["value"] = "leak-plain-text"
    by_type["pulumi:providers:harness"]["inputs"]["platformApiKey"] = {
        offline.SIG_KEY: offline.SECRET_SIG,
        "value": "leak-wire-form",
    }
    by_type["azuread:index/applicationPassword:ApplicationPassword"]["inputs"]["value"] = {
        "nested": "leak-secret-output"
    }
    difference = diff.compare(old, base_document)
    text = diff.render_markdown(difference) + json.dumps(difference.to_document())
    for leak in ("leak-plain-text", "leak-wire-form", "leak-secret-output"):
        assert leak not in text, f"{leak!r} from the saved document reached the difference."


def test_markdown_keeps_hostile_tags_inside_code_spans(
    base_config: dict[str, Any], base_document: dict[str, Any]
) -> None:
    """A tag whose name or value holds backticks, a line break or HTML stays in its code spans."""
    raw = copy.deepcopy(base_config)
    registries(raw)[0]["tags"] = {"a`b\n### heading": "x` <!-- hidden"}
    text = diff.render_markdown(diff.compare(base_document, preview_of(raw)))
    tokens = MarkdownIt("commonmark").parse(text)
    headings = [token for token in tokens if token.type == "heading_open"]
    assert len(headings) == 1, f"Only the title should be a heading:\n{text}"
    inline = [child for token in tokens for child in token.children or []]
    assert not [t for t in inline if t.type == "html_inline"], f"No HTML should pass:\n{text}"
    spans = {child.content for child in inline if child.type == "code_inline"}
    assert {"tags.a`b\\n### heading", '"x` <!-- hidden"'} <= spans, (
        f"The tag's name and value should each read as one code span:\n{text}"
    )


def test_flatten_indexes_lists_of_objects_only() -> None:
    """Nested inputs flatten to dotted paths; scalar lists stay one value."""
    rows = diff.flatten({"sku": {"name": "Basic"}, "tags": ["a", "b"], "rules": [{"ip": "1"}]})
    assert rows == {"sku.name": '"Basic"', "tags": '["a", "b"]', "rules[0].ip": '"1"'}


def test_empty_base_reports_everything_added(base_document: dict[str, Any]) -> None:
    """A stack new in this change is compared with an empty document: all added."""
    difference = diff.compare(diff.empty_document("dev"), base_document)
    assert len(difference.added) == len(base_document["resources"])
    assert not difference.flags


def test_command_exits_3_when_a_protected_resource_goes(
    capsys: pytest.CaptureFixture[str], base_config: dict[str, Any], tmp_path: Path
) -> None:
    """`--diff` against a saved document with an extra registry prints the flag and exits 3."""
    raw = copy.deepcopy(base_config)
    registries(raw).append(
        {
            "name": "acrfleetdevold01",
            "resourceGroup": "rg-acr-dev",
            "sku": "Basic",
            "access": "pull",
        }
    )
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps(preview_of(raw)))
    status = preview.main(["dev", "--diff", str(saved)])
    out = capsys.readouterr().out
    assert status == preview.PROTECTED_REMOVAL
    assert "PROTECTED registry removed" in out
    assert "acrfleetdevold01" in out


def test_command_rejects_a_document_it_cannot_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`--diff` with a file that is not a preview document fails before running anything."""
    saved = tmp_path / "old.json"
    saved.write_text('{"not": "a preview"}')
    assert preview.main(["dev", "--diff", str(saved)]) == preview.INVALID_DOCUMENT
    assert "not an offline preview document" in capsys.readouterr().err


def test_command_rejects_a_preview_of_another_stack(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`--diff` with a saved preview of another stack exits 2 instead of comparing the two."""
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps(diff.empty_document("prod")))
    assert preview.main(["dev", "--diff", str(saved)]) == preview.INVALID_DOCUMENT, (
        "Every URN names its stack, so another stack's preview shares none to compare."
    )
    assert "is a preview of stack prod, not dev" in capsys.readouterr().err


def test_command_rejects_a_document_whose_urns_name_another_stack(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A saved document without a stack field is still refused when its URNs name another
    stack, instead of reporting every resource of that stack as removed."""
    saved = tmp_path / "old.json"
    urn = f"urn:pulumi:prod::acr-fleet::{REGISTRY}::prod-registry"
    resource = {"urn": urn, "type": REGISTRY, "name": "prod-registry", "protect": True}
    saved.write_text(json.dumps({"resources": [resource]}))
    assert preview.main(["dev", "--diff", str(saved)]) == preview.INVALID_DOCUMENT
    assert "is a preview of stack prod, not dev" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"resources": [{"urn": "x"}]}', "resources[0] has no 'type', 'name'"),
        ('{"resources": ["x"]}', "resources[0] is not an object"),
        (
            '{"resources": [{"urn": "x", "type": "t", "name": "n", "aliases": "y"}]}',
            "resources[0].aliases of x has the wrong type",
        ),
        ("[1, 2]", "not an offline preview document"),
        ("{not json", "Expecting property name"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_command_rejects_a_malformed_document_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, expected: str
) -> None:
    """An old or hand-made document exits 2 with one message and no traceback."""
    saved = tmp_path / "old.json"
    saved.write_text(text)
    assert preview.main(["dev", "--diff", str(saved)]) == preview.INVALID_DOCUMENT
    err = capsys.readouterr().err
    assert expected in err, f"The message should say {expected!r} (got {err!r})."
    assert "Traceback" not in err


def test_compare_rejects_a_resource_without_a_type() -> None:
    """The library call raises DocumentError, not KeyError, for a resource missing fields."""
    with pytest.raises(diff.DocumentError, match=r"resources\[0\] has no 'type', 'name'"):
        diff.compare({"resources": [{"urn": "x"}]}, diff.empty_document())


def test_json_form_lists_every_section(
    base_config: dict[str, Any], base_document: dict[str, Any]
) -> None:
    """The JSON difference names its sections and counts the blocking flags."""
    raw = copy.deepcopy(base_config)
    registries(raw)[1]["key"] = "base"
    document = diff.compare(base_document, preview_of(raw)).to_document()
    assert set(document) == {
        "stack",
        "added",
        "removed",
        "changed",
        "renamed",
        "urnChanged",
        "flags",
        "blocking",
    }
    assert document["blocking"] == 1
    moved = {item["type"]: item for item in document["urnChanged"]}
    assert moved[REGISTRY]["previousUrn"].endswith("::shared-dev-acrfleetdevbase01")
    json.dumps(document)


def test_decommissioning_in_two_steps_never_blocks(
    base_config: dict[str, Any], base_document: dict[str, Any]
) -> None:
    """The README's procedure passes: unprotecting and unlocking changes the registry in
    place, then removing it is flagged (not as PROTECTED) without blocking."""
    unprotected = copy.deepcopy(base_config)
    registries(unprotected)[1].update(protect=False, lock=False)
    step_one = preview_of(unprotected)
    first = diff.compare(base_document, step_one)
    assert not first.flags, f"Unprotecting should flag nothing (got {first.flags})."
    assert any(entry.path == "(protect)" for change in first.changed for entry in change.inputs), (
        "Step 1 should list the protect option as changed."
    )

    removed = copy.deepcopy(unprotected)
    del registries(removed)[1]
    second = diff.compare(step_one, preview_of(removed))
    registry_flags = [flag for flag in second.flags if flag.resource.type == REGISTRY]
    assert [(flag.reason, flag.protected) for flag in registry_flags] == [("removed", False)]
    assert not second.blocking, "Removing an unprotected registry should not block."
    text = diff.render_markdown(second)
    assert "registry removed (not protected" in text
    assert "PROTECTED" not in text, "Nothing here is protected, so nothing says so."


@pytest.fixture(scope="module")
def renamed_prod() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The prod stack's config with shared-prod renamed to platform-prod through
    previousKey, and the documents before and after."""
    raw = stack_config("prod")
    old = run_config(raw, "prod").to_document()
    renamed = copy.deepcopy(raw)
    renamed["acr-fleet:subscriptions"][0].update(key="platform-prod", previousKey="shared-prod")
    renamed["acr-fleet:harnessImageMirror"]["subscription"] = "platform-prod"
    return renamed, old, run_config(renamed, "prod").to_document()


def test_aliased_rename_is_an_update_in_place(
    renamed_prod: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    """Every old URN an alias covers pairs with its new resource as a rename: nothing
    added, removed or replaced, nothing flagged."""
    _, old, new = renamed_prod
    difference = diff.compare(old, new)
    assert not difference.added, f"Nothing should be added (got {difference.added})."
    assert not difference.removed, f"Nothing should be removed (got {difference.removed})."
    assert not difference.moved, "Aliased resources are renames, not URN changes."
    assert not difference.flags, f"An aliased rename should flag nothing (got {difference.flags})."
    renamed = {change.after.type for change in difference.renamed}
    assert {REGISTRY, ROLE_ASSIGNMENT} <= renamed
    for change in difference.renamed:
        if change.after.type in (REGISTRY, ROLE_ASSIGNMENT):
            assert not change.inputs, (
                f"{change.after.urn} keeps its inputs, mock principal ids included "
                f"(got {change.inputs})."
            )
    assert "**Renamed (aliased: updates in place)**" in diff.render_markdown(difference)


def test_command_exits_0_for_an_aliased_rename(
    renamed_prod: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """`--diff` across a previousKey rename of a prod subscription exits 0."""
    raw, old, _ = renamed_prod
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps(old))
    # The renamed stack file goes through --file, as a reviewer would run it.
    renamed = tmp_path / "Pulumi.prod.yaml"
    renamed.write_text(yaml.safe_dump({"config": raw}))
    assert preview.main(["prod", "--file", str(renamed), "--diff", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "PROTECTED" not in out
    assert "0 added, 0 removed" in out
