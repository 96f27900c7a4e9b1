"""The difference between two offline preview documents.

Pure functions over two ``tools.preview --json`` documents: what a change to the
program or a stack file would add, remove and change, resource by resource, and
which of those changes could lose a registry or a role assignment.

Pulumi identifies a resource by its URN, or by one of its aliases. A new
resource whose ``aliases`` name an old URN is that resource renamed: the engine
updates it in place, and it is reported as such. A URN that disappears
otherwise is a delete, even when a resource with a new URN stands for the same
Azure object: renaming a registry's logical key without ``previousKey`` removes
the old resource and adds a new one, and ``pulumi up`` deletes the registry and
creates it again. Such pairs are recognised here by the inputs that name the
cloud object (``registryName`` for a registry, the GUID name of a role
assignment, ...) and reported as "URN changed / replaced".

What blocks is what the engine refuses: deleting or replacing a resource whose
old document says ``protect: true``. Any other removal or replacement of a
registry or role assignment is flagged, and does not block.

Inputs in documents this tool saves are already masked: a secret reads
``[secret]`` on both sides, so a changed secret value does not show as a change.
A saved document is masked again on reading, and a value the other side (or
either side's ``secretOutputs``) calls secret is never shown: an older or
hand-made document may hold a secret in plain text.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tools import offline

REGISTRY = "azure-native:containerregistry:Registry"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"

WATCHED_TYPES: Mapping[str, str] = {REGISTRY: "registry", ROLE_ASSIGNMENT: "role assignment"}
"""Types whose removal or replacement is flagged, with the word used for them."""

REPLACE_INPUTS: Mapping[str, tuple[str, ...]] = {
    REGISTRY: ("registryName", "resourceGroupName", "location"),
    ROLE_ASSIGNMENT: ("roleAssignmentName", "scope", "roleDefinitionId", "principalId"),
}
"""Inputs whose change makes azure-native replace the resource instead of updating
it, for the watched types only. A registry's name and group are part of its ARM
id and its location cannot move; a role assignment cannot be edited at all, so
any of its four inputs means delete and create. Kept small and explicit rather
than read from the provider schema, which is not available offline."""

REQUIRED_FIELDS = ("urn", "type", "name")
OPTIONAL_FIELDS: Mapping[str, type | tuple[type, ...]] = {
    "parent": str,
    "provider": str,
    "importId": str,
    "protect": bool,
    "inputs": dict,
    "aliases": list,
}
"""Resource fields the difference reads, and the JSON type each must have."""

IDENTITY_INPUTS: Mapping[str, tuple[str, ...]] = {
    REGISTRY: ("registryName",),
    ROLE_ASSIGNMENT: ("roleAssignmentName",),
    "azure-native:resources:ResourceGroup": ("resourceGroupName",),
    "azure-native:managedidentity:UserAssignedIdentity": ("resourceGroupName", "resourceName"),
    "azuread:index/application:Application": ("displayName",),
    "pulumi:providers:azure-native": ("subscriptionId",),
    "pulumi:providers:azuread": ("tenantId",),
}
"""Inputs that name the cloud object a resource manages, per type. Harness
entities are named by identifier and scope (see ``identity_of``)."""

HARNESS_IDENTITY_INPUTS = ("identifier", "orgId", "projectId")
UNKNOWN = "[unknown]"


class DocumentError(ValueError):
    """A document that is not a ``tools.preview --json`` document, or is from an
    older version with fields missing."""


@dataclasses.dataclass(frozen=True)
class Resource:
    """A resource as the report names it."""

    urn: str
    type: str
    name: str


@dataclasses.dataclass(frozen=True)
class InputChange:
    """One input whose value differs; values are JSON text, ``None`` when absent."""

    path: str
    before: str | None
    after: str | None


@dataclasses.dataclass(frozen=True)
class Change:
    """A resource present on both sides, under one URN or under two."""

    before: Resource
    after: Resource
    inputs: tuple[InputChange, ...]
    """Changed inputs, and the engine-level fields ``(parent)``, ``(provider)``,
    ``(protect)`` and ``(importId)``."""
    identity: str = ""
    """For a URN change: the identity both URNs share, like ``registryName=acr01``."""


@dataclasses.dataclass(frozen=True)
class Flag:
    """A registry or role assignment that would be removed or replaced, or any
    resource with ``protect`` set that would be."""

    resource: Resource
    reason: str
    """``removed``, ``URN changed / replaced`` or ``replaced (<input> changed)``."""
    protected: bool
    """True when the engine would refuse: the old document sets ``protect`` (for a
    replacement, the new one too)."""
    new_urn: str = ""

    @property
    def kind(self) -> str:
        """The word for the resource's type: 'registry', 'role assignment', or the type."""
        return WATCHED_TYPES.get(self.resource.type, self.resource.type)


@dataclasses.dataclass(frozen=True)
class Difference:
    """Everything that differs between two documents."""

    stack: str
    added: tuple[Resource, ...]
    removed: tuple[Resource, ...]
    changed: tuple[Change, ...]
    """Same URN, different inputs or options."""
    moved: tuple[Change, ...]
    """A removed and an added resource of one type naming the same cloud object."""
    flags: tuple[Flag, ...]
    renamed: tuple[Change, ...] = ()
    """A new URN whose aliases name an old one: the engine updates it in place."""

    @property
    def blocking(self) -> tuple[Flag, ...]:
        """Flags on protected resources: the reason for a non-zero exit status."""
        return tuple(flag for flag in self.flags if flag.protected)

    @property
    def empty(self) -> bool:
        """True when the documents describe the same resources with the same inputs."""
        return not (self.added or self.removed or self.changed or self.moved or self.renamed)

    def to_document(self) -> dict[str, Any]:
        """The difference as one JSON-ready document."""

        def resource(item: Resource) -> dict[str, str]:
            return {"urn": item.urn, "type": item.type, "name": item.name}

        def change(item: Change) -> dict[str, Any]:
            return {
                "urn": item.after.urn,
                "previousUrn": item.before.urn if item.before.urn != item.after.urn else "",
                "type": item.after.type,
                "identity": item.identity,
                "inputs": [dataclasses.asdict(entry) for entry in item.inputs],
            }

        return {
            "stack": self.stack,
            "added": [resource(item) for item in self.added],
            "removed": [resource(item) for item in self.removed],
            "changed": [change(item) for item in self.changed],
            "renamed": [change(item) for item in self.renamed],
            "urnChanged": [change(item) for item in self.moved],
            "flags": [
                {
                    **resource(flag.resource),
                    "kind": flag.kind,
                    "reason": flag.reason,
                    "protected": flag.protected,
                    "newUrn": flag.new_urn,
                }
                for flag in self.flags
            ],
            "blocking": len(self.blocking),
        }


def empty_document(stack: str = "") -> dict[str, Any]:
    """A document with no resources: the base of a stack that did not exist yet."""
    return {"project": "", "stack": stack, "resources": [], "outputs": {}, "warnings": []}


def check_document(document: Any) -> Mapping[str, Any]:
    """``document`` itself when it has the shape the difference reads; otherwise
    a DocumentError naming the first field that is wrong."""
    hint = "save it again with `python -m tools.preview <stack> --json`"
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise DocumentError(f"not an offline preview document (no 'resources' list); {hint}")
    for index, item in enumerate(document["resources"]):
        if not isinstance(item, dict):
            raise DocumentError(f"resources[{index}] is not an object; {hint}")
        missing = [field for field in REQUIRED_FIELDS if not isinstance(item.get(field), str)]
        if missing:
            raise DocumentError(
                f"resources[{index}] has no {', '.join(repr(f) for f in missing)} "
                f"(an older or hand-made document?); {hint}"
            )
        for field, kind in OPTIONAL_FIELDS.items():
            if item.get(field) is not None and not isinstance(item[field], kind):
                raise DocumentError(
                    f"resources[{index}].{field} of {item['urn']} has the wrong type "
                    f"(got {type(item[field]).__name__}); {hint}"
                )
    return document


URN_STACK = re.compile(r"^urn:pulumi:(?P<stack>[^:]+)::")


def stacks_named(document: Mapping[str, Any]) -> set[str]:
    """Every stack a checked document names: its ``stack`` field, and the stack
    part of each resource's URN (a document may lack the field, not the URNs)."""
    named = {str(document["stack"])} if document.get("stack") not in ("", None) else set()
    for item in document["resources"]:
        match = URN_STACK.match(item["urn"])
        if match:
            named.add(match["stack"])
    return named


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested inputs as ``{"sku.name": '"Basic"', ...}`` with JSON-text values.

    Lists of scalars stay one value (tags, delegate selectors); lists that hold
    objects are indexed, ``credentials[0].username``.
    """
    if isinstance(value, dict) and value:
        rows: dict[str, str] = {}
        for key in sorted(value):
            rows.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        rows = {}
        for index, item in enumerate(value):
            rows.update(flatten(item, f"{prefix}[{index}]"))
        return rows
    if prefix == "" and value == {}:
        return {}
    return {prefix: json.dumps(value, sort_keys=True)}


def input_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[InputChange, ...]:
    """Inputs and engine options that differ between two versions of one resource;
    a value either side holds as a secret is shown masked on both."""
    old = flatten(offline.mask(before.get("inputs") or {}))
    new = flatten(offline.mask(after.get("inputs") or {}))
    secret = _secret_paths(old, new, [*_secret_outputs(before), *_secret_outputs(after)])
    old = {path: MASKED if path in secret else value for path, value in old.items()}
    new = {path: MASKED if path in secret else value for path, value in new.items()}
    for field in ("parent", "provider", "protect", "importId"):
        old_value, new_value = _option(before, field), _option(after, field)
        if old_value != new_value:
            old[f"({field})"] = json.dumps(old_value)
            new[f"({field})"] = json.dumps(new_value)
    return tuple(
        InputChange(path, old.get(path), new.get(path))
        for path in sorted(set(old) | set(new))
        if old.get(path) != new.get(path)
    )


MASKED = json.dumps(offline.MASK)
"""A masked value as ``flatten`` spells it."""


def _secret_outputs(resource: Mapping[str, Any]) -> list[str]:
    names = resource.get("secretOutputs")
    return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []


def _secret_paths(
    old: Mapping[str, str], new: Mapping[str, str], secret_names: Iterable[str]
) -> set[str]:
    """Flattened paths to mask: masked on either side, under a path masked on the
    other side (a plain-text secret object facing a mask), or named by a secret
    output."""
    roots = {path for path in (*old, *new) if MASKED in (old.get(path), new.get(path))}
    roots |= set(secret_names)
    return {
        path
        for path in (*old, *new)
        if any(path == root or path.startswith((f"{root}.", f"{root}[")) for root in roots)
    }


def _option(resource: Mapping[str, Any], field: str) -> Any:
    value = resource.get(field)
    if field == "provider" and isinstance(value, str):
        # 'urn::id': the id part is an engine detail; the provider's URN names it.
        return value.rsplit("::", 1)[0] if value else ""
    if field == "protect":
        return bool(value)
    return value or ""


def identity_of(resource: Mapping[str, Any]) -> str:
    """The inputs that name the cloud object a resource manages, as
    ``name=value`` text, or '' when the type has none or one is unknown."""
    type_token = str(resource.get("type", ""))
    inputs = resource.get("inputs") or {}
    if type_token.startswith("harness:"):
        keys: Sequence[str] = HARNESS_IDENTITY_INPUTS
        if not inputs.get("identifier"):
            return ""
    else:
        keys = IDENTITY_INPUTS.get(type_token, ())
        if not keys or any(not inputs.get(key) for key in keys):
            return ""
    parts = []
    for key in keys:
        value = inputs.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or value == UNKNOWN:
            return ""
        # Azure names are case-insensitive; Harness identifiers are not.
        parts.append(f"{key}={value if type_token.startswith('harness:') else value.lower()}")
    return ", ".join(parts)


def is_protected(resource: Mapping[str, Any]) -> bool:
    """True when the document marks the resource ``protect``: the engine refuses
    to delete it."""
    return bool(resource.get("protect"))


def replacing_inputs(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """The inputs of ``REPLACE_INPUTS`` whose change makes Azure replace the
    resource, in the table's order; empty for an update in place."""
    old = before.get("inputs") or {}
    new = after.get("inputs") or {}
    keys = REPLACE_INPUTS.get(str(after.get("type")), ())
    return tuple(key for key in keys if _same_name(old.get(key)) != _same_name(new.get(key)))


def _same_name(value: Any) -> Any:
    # Azure names and ids are case-insensitive.
    return value.lower() if isinstance(value, str) else value


def counterparts(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Pairs (old, new) of one resource on both sides: under the same URN, or
    under a new URN whose aliases name the old one, as the engine matches them."""
    before = _by_urn(previous)
    pairs = []
    claimed: set[str] = set()
    for item in check_document(current)["resources"]:
        for urn in [item["urn"], *(item.get("aliases") or [])]:
            if urn in before and urn not in claimed:
                claimed.add(urn)
                pairs.append((before[urn], item))
                break
    return pairs


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Difference:
    """What turning the ``old`` document into the ``new`` one would do."""
    before = _by_urn(old)
    after = _by_urn(new)
    pairs = counterparts(old, new)
    renamed_to = {
        old_item["urn"]: new_item["urn"]
        for old_item, new_item in pairs
        if old_item["urn"] != new_item["urn"]
    }
    paired_new = {new_item["urn"] for _, new_item in pairs}
    removed_urns = sorted(set(before) - {old_item["urn"] for old_item, _ in pairs})
    added_urns = sorted(set(after) - paired_new)
    moved = _pair_moves([before[u] for u in removed_urns], [after[u] for u in added_urns])
    moved_old = {change.before.urn for change in moved}
    moved_new = {change.after.urn for change in moved}

    changed = []
    renamed = []
    flags = []
    for old_item, new_item in sorted(pairs, key=lambda pair: pair[1]["urn"]):
        entries = input_changes(_renamed_references(old_item, renamed_to), new_item)
        if old_item["urn"] != new_item["urn"]:
            renamed.append(Change(_resource(old_item), _resource(new_item), entries, "alias"))
        elif entries:
            changed.append(Change(_resource(old_item), _resource(new_item), entries))
        replaced_by = replacing_inputs(old_item, new_item)
        if replaced_by and _watched(old_item):
            flags.append(
                Flag(
                    _resource(old_item),
                    f"replaced ({', '.join(replaced_by)} changed)",
                    is_protected(old_item) and is_protected(new_item),
                    new_urn=new_item["urn"] if new_item["urn"] != old_item["urn"] else "",
                )
            )

    for change in moved:
        if _watched(before[change.before.urn]):
            flags.append(
                Flag(
                    change.before,
                    "URN changed / replaced",
                    is_protected(before[change.before.urn]),
                    new_urn=change.after.urn,
                )
            )
    removed = [before[urn] for urn in removed_urns if urn not in moved_old]
    flags.extend(
        Flag(_resource(item), "removed", is_protected(item)) for item in removed if _watched(item)
    )
    return Difference(
        stack=str(new.get("stack") or old.get("stack") or ""),
        added=tuple(_resource(after[urn]) for urn in added_urns if urn not in moved_new),
        removed=tuple(_resource(item) for item in removed),
        changed=tuple(changed),
        moved=tuple(moved),
        flags=tuple(sorted(flags, key=lambda flag: (not flag.protected, flag.resource.urn))),
        renamed=tuple(renamed),
    )


def _renamed_references(
    resource: Mapping[str, Any], renamed_to: Mapping[str, str]
) -> Mapping[str, Any]:
    """The old resource with its parent and provider named by their new URNs, so
    a renamed parent is not reported as a change of every child."""
    provider = str(resource.get("provider") or "")
    provider_urn, _, provider_id = provider.rpartition("::")
    if provider_urn in renamed_to:
        provider = f"{renamed_to[provider_urn]}::{provider_id}"
    parent = str(resource.get("parent") or "")
    return {**resource, "parent": renamed_to.get(parent, parent), "provider": provider}


def _watched(resource: Mapping[str, Any]) -> bool:
    return resource.get("type") in WATCHED_TYPES or bool(resource.get("protect"))


def _by_urn(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(item["urn"]): item for item in check_document(document)["resources"]}


def _resource(item: Mapping[str, Any]) -> Resource:
    return Resource(urn=str(item["urn"]), type=str(item["type"]), name=str(item["name"]))


def _pair_moves(
    removed: Sequence[Mapping[str, Any]], added: Sequence[Mapping[str, Any]]
) -> list[Change]:
    """Pair removed and added resources of one type that share an identity."""
    candidates: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for item in added:
        identity = identity_of(item)
        if identity:
            candidates.setdefault((str(item["type"]), identity), []).append(item)
    pairs = []
    for item in removed:
        identity = identity_of(item)
        matches = candidates.get((str(item["type"]), identity)) if identity else None
        if not matches:
            continue
        partner = matches.pop(0)
        pairs.append(
            Change(_resource(item), _resource(partner), input_changes(item, partner), identity)
        )
    return sorted(pairs, key=lambda change: change.before.urn)


def render_markdown(difference: Difference, title: str = "") -> str:
    """The difference as Markdown, for a terminal or a GitHub job summary."""
    lines = [f"### {title or f'Offline difference: {difference.stack}'}", ""]
    if difference.empty:
        return "\n".join([*lines, "No changes.", ""])
    lines.append(
        f"{len(difference.added)} added, {len(difference.removed)} removed, "
        f"{len(difference.changed)} changed, {len(difference.renamed)} renamed, "
        f"{len(difference.moved)} URN changed."
    )
    lines.append("")
    if difference.flags:
        lines.append("**Flagged**")
        lines.append("")
        lines.extend(_flag_line(flag) for flag in difference.flags)
        lines.append("")
    sections: list[tuple[str, Sequence[Resource]]] = [
        ("Added", difference.added),
        ("Removed", difference.removed),
    ]
    for heading, items in sections:
        if items:
            lines.append(f"**{heading}**")
            lines.append("")
            lines.extend(f"- {_code(item.type)} {_code(item.urn)}" for item in items)
            lines.append("")
    change_sections: list[tuple[str, Sequence[Change], Callable[[Change], str]]] = [
        (
            "Renamed (aliased: updates in place)",
            difference.renamed,
            lambda change: f"{_code(change.before.urn)} -> {_code(change.after.urn)}",
        ),
        (
            "URN changed / replaced",
            difference.moved,
            lambda change: (
                f"{_code(change.before.urn)} -> {_code(change.after.urn)} "
                f"(same {_code(change.identity)})"
            ),
        ),
        ("Changed", difference.changed, lambda change: _code(change.after.urn)),
    ]
    for heading, changes, headline in change_sections:
        if changes:
            lines.extend([f"**{heading}**", ""])
            for change in changes:
                lines.append(f"- {headline(change)}")
                lines.extend(_input_lines(change.inputs))
            lines.append("")
    return "\n".join(lines)


def _flag_line(flag: Flag) -> str:
    """One flag: PROTECTED only when the engine would refuse it."""
    target = f" -> {_code(flag.new_urn)}" if flag.new_urn else ""
    if flag.protected:
        return f"- PROTECTED {flag.kind} {flag.reason}: {_code(flag.resource.urn)}{target}"
    note = " (not protected: `pulumi up` goes ahead)" if flag.resource.type == REGISTRY else ""
    return f"- {flag.kind} {flag.reason}{note}: {_code(flag.resource.urn)}{target}"


def _input_lines(entries: Iterable[InputChange]) -> list[str]:
    return [
        f"  - {_code(entry.path)}: {_shown(entry.before)} -> {_shown(entry.after)}"
        for entry in entries
    ]


def _shown(value: str | None) -> str:
    return "(absent)" if value is None else _code(value)


_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters, line breaks among them: spelled as escapes in code spans."""


def _code(text: str) -> str:
    """``text`` as one Markdown code span, whatever it holds. Tag names and values
    are free text, so a backtick must not end the span (the fence is longer than
    any run of backticks inside) and a line break must not start a heading or an
    HTML block in a job summary (control characters are written as escapes)."""
    shown = _LINE_BREAKING.sub(lambda match: json.dumps(match[0])[1:-1], text)
    fence = "`" * (max((len(run) for run in re.findall("`+", shown)), default=0) + 1)
    if shown.strip() and (shown[:1] in ("`", " ") or shown[-1:] in ("`", " ")):
        # CommonMark strips one space at each end of a span padded at both.
        shown = f" {shown} "
    return f"{fence}{shown}{fence}"
