"""Reps added and edited on a page become a new policy version, as if the YAML had been edited.

The policy stays the one source of truth for who the reps are. `save_rep` edits the active
version's text in place — the rep's own entry under `reps:` and the `members:` of the pools it
joins or leaves — and leaves every other character as it was written (comments, order, the
author's line breaks); then the text is published like any other
(`service.policies.publish_policy`: checked whole, refused with every problem, audited, in the
history with its message and its diff). Presence and time off stay runtime state.

Only the keys the form edits change; a rep's other keys (`time_off`, `active`, ...) are kept.
The rep's entry (and a members list it changes) is written anew in the style it had — braces
on one line, or a block — so a comment inside that entry is not kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from leadflow.policy.yamlpos import YamlError, compose, parse
from leadflow.service import policies
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Invalid
from leadflow.service.routing import Actor

ORDER = ("id", "name", "email", "calendar", "skills", "caps", "manager")  # of a new entry


@dataclass(frozen=True)
class RepForm:
    """What the page's form says of a rep. `pools`: pool name -> weight (1 unless weighted)."""

    id: str
    name: str
    email: str | None = None
    calendar: str | None = None
    skills: tuple[str, ...] = ()
    caps: dict[str, int | None] = field(default_factory=dict)
    manager: str | None = None
    pools: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Choices:
    """What a rep form offers, from the active policy."""

    calendars: list[str]
    reps: dict[str, str]  # id -> name
    pools: dict[str, tuple[str, dict[str, int]]]  # name -> (strategy, member -> weight)


def choices(svc: Services) -> Choices:
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    if policy is None:
        return Choices([], {}, {})
    return Choices(
        calendars=sorted(policy.calendars),
        reps={r.id: r.name or r.id for r in policy.reps.values()},
        pools={
            name: (pool.strategy.value, {m.rep: m.weight for m in pool.members})
            for name, pool in policy.pools.items()
        },
    )


def form_of(svc: Services, rep_id: str) -> RepForm:
    """The form of a rep as the active policy has it."""
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    if policy is None or rep_id not in policy.reps:
        raise Invalid(f"no rep {rep_id!r} in the active policy", field="id")
    rep = policy.reps[rep_id]
    caps = {"per_day": rep.caps.per_day, "per_week": rep.caps.per_week, "open": rep.caps.open}
    return RepForm(
        id=rep.id,
        name=rep.name,
        email=rep.email,
        calendar=rep.calendar,
        skills=tuple(sorted(rep.skills)),
        caps=caps,
        manager=rep.manager,
        pools={
            name: m.weight
            for name, pool in policy.pools.items()
            for m in pool.members
            if m.rep == rep_id
        },
    )


def save_rep(
    svc: Services, actor: Actor, form: RepForm, *, new: bool, message: str | None = None
) -> policies.Published:
    """Add (`new`) or edit a rep in the active policy and publish the result."""
    active = policies.active_policy(svc)
    assert active.text is not None
    text, changes = edited_text(active.text, form, new=new)
    if not changes:
        raise Invalid("nothing changed: the rep is already as the form says", field="form")
    said = (message or "").strip() or (
        f"Added rep {form.id}" if new else f"Edited rep {form.id}: {'; '.join(changes)}"
    )
    return policies.publish_policy(svc, text, actor, "policy.yaml", said[:500])


def edited_text(text: str, form: RepForm, *, new: bool) -> tuple[str, list[str]]:
    """The policy text with the rep as the form says, and what changed (for the message)."""
    try:
        root, data = compose(text), parse(text).data
    except YamlError as error:  # a published text always parses: a guard
        raise Invalid(f"the active policy could not be read: {error}") from None
    reps = _value(root, "reps")
    if not isinstance(reps, SequenceNode) or not reps.value or not isinstance(data, dict):
        raise Invalid("the active policy has no list of reps to edit", field="reps")
    at = next((i for i, r in enumerate(data["reps"]) if r.get("id") == form.id), None)
    if new and at is not None:
        raise Conflict(f"there is a rep {form.id!r} already", field="id")
    if not new and at is None:
        raise Invalid(f"no rep {form.id!r} in the active policy", field="id")
    changes: list[str] = []
    entry = dict(data["reps"][at]) if at is not None else {}
    _apply(entry, form, changes if at is not None else [])  # a new rep: "added" says it all
    edits: list[tuple[int, int, str]] = []
    if at is not None:
        node = reps.value[at]
        start, end = _span(text, node)
        edits.append((start, end, _render(entry, node.flow_style, node.start_mark.column)))
    else:
        last = reps.value[-1]
        entry = {k: entry[k] for k in ORDER if k in entry}
        line_end = text.find("\n", _span(text, last)[1])
        where = len(text) if line_end < 0 else line_end
        column = last.start_mark.column
        item = _render(entry, last.flow_style, column)
        edits.append((where, where, "\n" + " " * (column - 2) + "- " + item))
        changes.append("added")
    edits += _pool_edits(text, root, data, form, changes)
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, changes


def _apply(entry: dict[str, Any], form: RepForm, changes: list[str]) -> None:
    caps = {k: v for k, v in form.caps.items() if v is not None}
    wanted: dict[str, Any] = {
        "id": form.id,
        "name": form.name,
        "email": form.email,
        "calendar": form.calendar,
        "skills": list(form.skills) or None,
        "caps": caps or None,
        "manager": form.manager,
    }
    for key, value in wanted.items():
        before = entry.get(key)
        if before == value or (value is None and key not in entry):
            continue
        if key == "skills" and set(before or ()) == set(value or ()):
            continue  # the same skills in another order
        if value is None:
            del entry[key]
        else:
            entry[key] = value
        if key != "id":
            changes.append(f"{key} {_shown(before)} → {_shown(value)}")


def _pool_edits(
    text: str, root: Node | None, data: dict[str, Any], form: RepForm, changes: list[str]
) -> list[tuple[int, int, str]]:
    pools_node = _value(root, "pools")
    pools = data.get("pools") or {}
    unknown = sorted(set(form.pools) - set(pools))
    if unknown:
        raise Invalid(f"pools: no pool {unknown[0]!r} in the active policy", field="pools")
    edits = []
    for name, pool in pools.items():
        node = _value(_value(pools_node, name), "members")
        if not isinstance(node, SequenceNode):
            continue
        members = list(pool.get("members") or [])
        weighted = pool.get("strategy") == "weighted"
        at = next((i for i, m in enumerate(members) if _member_id(m) == form.id), None)
        weight = form.pools.get(name)
        if weight is None and at is None:
            continue
        if weight is None:
            del members[at]  # type: ignore[arg-type]
            changes.append(f"left {name}")
        else:
            member: Any = (
                {"rep": form.id, "weight": weight} if weighted and weight != 1 else form.id
            )
            if at is None:
                members.append(member)
                changes.append(
                    f"joined {name}" + (f" (weight {weight})" if member != form.id else "")
                )
            elif weighted and _member_weight(members[at]) != weight:
                changes.append(f"{name} weight {_member_weight(members[at])} → {weight}")
                members[at] = member
            else:
                continue
        start, end = _span(text, node)
        edits.append((start, end, _render(members, node.flow_style, node.start_mark.column)))
    return edits


def _render(value: Any, flow: bool | None, column: int) -> str:
    """`value` as YAML in braces on one line (flow), or as a block indented to `column`."""
    if flow:
        return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6).strip()
    block = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, width=100).rstrip()
    return ("\n" + " " * column).join(block.splitlines())


def _span(text: str, node: Node) -> tuple[int, int]:
    """Where a node is written: from its first character to its last (not the white space and
    line break a block node's end mark takes along)."""
    start, end = node.start_mark.index, node.end_mark.index
    return start, start + len(text[start:end].rstrip())


def _value(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            found: Node = v
            return found
    return None


def _member_id(member: Any) -> str | None:
    return member.get("rep") if isinstance(member, dict) else member


def _member_weight(member: Any) -> int:
    return int(member.get("weight", 1)) if isinstance(member, dict) else 1


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)
