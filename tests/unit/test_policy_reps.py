"""Reps edited on a page: the policy text changes only where the rep and its pools are."""

from __future__ import annotations

import pytest

from leadflow.policy import check_policy
from leadflow.service.errors import Conflict, Invalid
from leadflow.service.policy_reps import RepForm, edited_text

FLOW = """\
version: 1
timezone: UTC   # the team's zone
reps:
  - {id: ann, name: Ann Archer, skills: [es]}
  - {id: ben, name: Ben Brook,
     caps: {per_day: 5}}          # Ben is part time
pools:
  team:
    strategy: round_robin
    members: [ann, ben]
  big:
    strategy: weighted
    members: [{rep: ann, weight: 2}]
fallback: team
"""
BLOCK = """\
version: 1
timezone: UTC
reps:
  - id: ann
    name: Ann Archer
  # the next one is new this year
  - id: ben
    name: Ben Brook
pools:
  team:
    strategy: round_robin
    members:
      - ann
      - ben
fallback: team
"""


def test_adding_a_rep_appends_one_line_and_joins_its_pools_leaving_the_rest_as_written() -> None:
    form = RepForm(id="cid", name="Cid Cole", email="cid@example.com", pools={"team": 1})
    text, changes = edited_text(FLOW, form, new=True)
    assert text == FLOW.replace(
        "     caps: {per_day: 5}}          # Ben is part time\n",
        "     caps: {per_day: 5}}          # Ben is part time\n"
        "  - {id: cid, name: Cid Cole, email: cid@example.com}\n",
    ).replace("members: [ann, ben]", "members: [ann, ben, cid]")
    assert changes == ["added", "joined team"]
    assert check_policy(text)[0] is not None


def test_editing_a_rep_rewrites_only_its_entry_and_says_what_changed() -> None:
    form = RepForm(id="ann", name="Ann Archer", skills=("es", "de"), caps={"per_day": 12})
    form = RepForm(**{**vars(form), "pools": {"team": 1, "big": 3}})
    text, changes = edited_text(FLOW, form, new=False)
    assert "  - {id: ann, name: Ann Archer, skills: [es, de], caps: {per_day: 12}}\n" in text
    assert "members: [{rep: ann, weight: 3}]" in text
    assert "# Ben is part time" in text and "timezone: UTC   # the team's zone" in text
    assert changes == ["skills es → es, de", "caps none → per_day 12", "big weight 2 → 3"]


def test_leaving_a_pool_takes_the_rep_out_of_its_members() -> None:
    form = RepForm(id="ben", name="Ben Brook", caps={"per_day": 5}, pools={})
    text, changes = edited_text(FLOW, form, new=False)
    assert "members: [ann]" in text
    assert changes == ["left team"]


def test_a_block_style_policy_stays_block_style_and_keeps_its_comments() -> None:
    form = RepForm(id="cid", name="Cid Cole", pools={"team": 1})
    text, _ = edited_text(BLOCK, form, new=True)
    assert "  # the next one is new this year\n" in text
    assert "  - id: cid\n    name: Cid Cole\n" in text
    assert "      - ben\n      - cid\n" in text
    policy, problems = check_policy(text)
    assert policy is not None, problems
    assert list(policy.reps) == ["ann", "ben", "cid"]


def test_adding_a_rep_that_exists_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        edited_text(FLOW, RepForm(id="ann", name="Ann"), new=True)


def test_editing_a_rep_that_does_not_exist_is_refused_naming_the_id() -> None:
    with pytest.raises(Invalid) as refused:
        edited_text(FLOW, RepForm(id="zed", name="Zed"), new=False)
    assert refused.value.detail["field"] == "id"


def test_an_unknown_pool_is_refused_naming_it() -> None:
    with pytest.raises(Invalid) as refused:
        edited_text(FLOW, RepForm(id="cid", name="Cid", pools={"nope": 1}), new=True)
    assert "nope" in refused.value.message
