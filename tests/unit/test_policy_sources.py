"""Which sources a policy names, and which intake mapping a source goes through."""

from __future__ import annotations

from leadflow.policy import load_policy

TEAM = """\
version: 1
timezone: UTC
reps: [{id: ann, name: Ann}]
pools: {all: {strategy: round_robin, members: [ann]}}
fallback: all
"""


def test_the_sources_are_the_mappings_and_those_rules_match_as_written() -> None:
    policy = load_policy(
        TEAM
        + """\
rules:
  - {name: one, when: {source: webinar}, route: all}
  - {name: list, when: {source: [expo, fair]}, route: all}
  - {name: ops, when: {all: [{source: {in: [ads]}}, {not: {source: {eq: partner}}}]}, route: all}
  - {name: other, when: {country: webinar}, route: all}
intake:
  webflow: {fields: {Email: email}}
"""
    )
    assert policy.known_sources() == ("ads", "expo", "fair", "partner", "webflow", "webinar")
    assert policy.takes_source("expo")  # and, by `not: {source: partner}`, any other
    assert policy.mapping_for("tradeshow") is None


def test_the_catch_all_mapping_takes_every_other_source() -> None:
    policy = load_policy(
        TEAM + 'intake:\n  webflow: {fields: {Email: email}}\n  "*": {fields: {Mail: email}}\n'
    )
    assert policy.known_sources() == ("webflow",)
    assert policy.takes_source("anything")
    assert policy.mapping_for("anything") is policy.intake["*"]
    assert policy.mapping_for("webflow") is policy.intake["webflow"]


def test_a_source_is_taken_as_the_rules_compare_it() -> None:
    policy = load_policy(
        TEAM
        + """\
rules:
  - {name: events, when: {source: Webinar}, route: all}
  - {name: partners, when: {source: {starts_with: partner-}}, route: all}
"""
    )
    assert policy.takes_source("webinar")  # conditions compare text in any case
    assert policy.takes_source("partner-acme")
    assert not policy.takes_source("website")


def test_a_rule_on_the_sources_other_than_one_takes_any() -> None:
    policy = load_policy(
        TEAM + "rules:\n  - {name: rest, when: {not: {source: webinar}}, route: all}\n"
    )
    assert policy.takes_source("website") and policy.takes_source("webinar")
