"""Compile the sections that act before routing: intake, junk, dedupe, accounts, scoring.

Each returns the compiled value for `Policy`, reporting every problem through the compiler
that called it (so one file gives one list of errors): a transform that does not exist, a
pattern that is not a regular expression, thresholds the wrong way round, a tier name twice.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

from leadflow.core.conditions import Condition
from leadflow.core.policy import DEDUPE_KEYS, Dedupe, Matching, ScoreRule, Scoring
from leadflow.quality.contact import registrable_domain
from leadflow.quality.mapping import TRANSFORMS, FieldMap, IntakeMapping
from leadflow.quality.normalize import JunkRules

if TYPE_CHECKING:
    from leadflow.policy.schema import Sections
    from leadflow.policy.yamlpos import Path


class _Compiler(Protocol):
    """What these sections need of the compiler that calls them (`compile._Compiler`): the
    policy's sections, its report, and how it reads a condition and a duration."""

    s: Sections

    def error(self, path: Path, message: str, *, key: bool = False) -> None: ...

    def warning(self, path: Path, message: str, *, key: bool = False) -> None: ...

    def condition(
        self, at: Path, data: Any, what: str, territories: dict[str, Condition]
    ) -> Condition: ...

    def duration(self, path: Path, text: str, what: str) -> float | None: ...


def intake(c: _Compiler) -> dict[str, IntakeMapping]:
    mappings: dict[str, IntakeMapping] = {}
    for source, doc in c.s.intake.items():
        fields: dict[str, FieldMap] = {}
        for incoming, target in doc.fields.items():
            at: Path = ("intake", source, "fields", incoming)
            if target.transform is not None and target.transform not in TRANSFORMS:
                known = ", ".join(TRANSFORMS)
                message = f"unknown transform {target.transform!r} (known transforms: {known})"
                c.error((*at, "transform"), message)
                continue
            if any(not part for part in target.to.split(".")):
                c.error((*at, "to"), f"{target.to!r} is not a field name")
                continue
            fields[incoming] = FieldMap(target.to, target.transform)
        mappings[source] = IntakeMapping(source, fields, doc.keep_unmapped)
    return mappings


def junk(c: _Compiler) -> JunkRules:
    doc = c.s.junk
    if doc is None:
        return JunkRules()
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for field, texts in doc.blocked_patterns.items():
        for j, text in enumerate(texts):
            try:
                patterns.append((field, re.compile(text)))
            except re.error as exc:
                message = f"blocked pattern for {field!r} is not a regular expression: {exc}"
                c.error(("junk", "blocked_patterns", field, j), message)
    domains = set()
    for j, text in enumerate(doc.blocked_domains):
        domain = text.strip().lower().removeprefix("www.")
        if "." not in domain or registrable_domain(domain) is None:
            c.error(("junk", "blocked_domains", j), f"{text!r} is not a domain such as acme.com")
        domains.add(domain)
    return JunkRules(
        honeypots=tuple(doc.honeypots),
        refuse_disposable=doc.refuse_disposable,
        blocked_domains=frozenset(domains),
        blocked_patterns=tuple(patterns),
        unreachable=doc.unreachable,
    )


def dedupe(c: _Compiler) -> Dedupe | None:
    doc = c.s.dedupe
    if doc is None:
        return None
    window = c.duration(("dedupe", "window"), doc.window, "dedupe window")
    if window is None:
        return None
    return Dedupe(window, frozenset(doc.by) & frozenset(DEDUPE_KEYS))


def matching(c: _Compiler) -> Matching:
    doc = c.s.accounts
    if doc is None:
        return Matching()
    if doc.review > doc.accept:
        message = f"review ({doc.review}) must not be above accept ({doc.accept})"
        c.error(("accounts", "review"), message)
    return Matching(accept=doc.accept, review=doc.review)


def scoring(c: _Compiler, territories: dict[str, Condition]) -> Scoring | None:
    doc = c.s.scoring
    if doc is None:
        return None
    rules: list[ScoreRule] = []
    seen: set[str] = set()
    for (kind, i), rule_doc in c.s.score_rules.items():
        at: Path = ("scoring", kind, i)
        what = f"scoring rule {rule_doc.name!r}"
        if rule_doc.name in seen:
            c.error((*at, "name"), f"duplicate scoring rule name {rule_doc.name!r}")
        seen.add(rule_doc.name)
        if "when" not in rule_doc.model_fields_set:
            c.error(at, f"{what} has no 'when': say which leads get its points", key=True)
            continue
        when = c.condition(at, rule_doc.when, what, territories)
        rules.append(ScoreRule(rule_doc.name, kind, rule_doc.points, when))
    tiers = sorted(doc.tiers.items(), key=lambda item: -item[1])
    if not tiers:
        c.warning(("scoring",), "no tiers: leads get a score but no tier", key=True)
    for name, threshold in tiers:
        if len(name) > 60:
            c.error(("scoring", "tiers", name), f"tier name {name[:20]!r}... is over 60 characters")
        if doc.max is not None and threshold > doc.max:
            message = f"tier {name!r} needs {threshold:g}, above the maximum score {doc.max:g}: "
            c.warning(("scoring", "tiers", name), message + "no lead reaches it")
    return Scoring(tuple(rules), tuple(tiers), doc.max, doc.fit_max, doc.intent_max)


def compiled(c: _Compiler, territories: dict[str, Condition]) -> dict[str, Any]:
    """The `Policy` arguments of every quality section."""
    return {
        "intake": intake(c),
        "junk": junk(c),
        "dedupe": dedupe(c),
        "matching": matching(c),
        "scoring": scoring(c, territories),
    }
