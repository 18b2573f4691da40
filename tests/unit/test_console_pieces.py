"""Pure pieces of the console's home, queues and admin pages: how a duration is said, why a
lead is junk in words, and the sealed cookie that carries a new key's secret to its page."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from leadflow.console import once, words
from leadflow.console.pages.home import duration
from leadflow.console.timeline import items
from leadflow.service.context import Services
from leadflow.settings import Settings

SECRET = "lf_3e39a43b930e_Eaw7w8WlP42yCIc87WmBLYQBli45aChB"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (None, "—"),
        (0.4, "under 1s"),
        (45.9, "45s"),
        (252.0, "4m 12s"),
        (245.0, "4m 05s"),
        (3 * 3600 + 5 * 60 + 59, "3h 05m"),
        (2 * 86400 + 4 * 3600 + 1, "2d 4h"),
    ],
)
def test_a_duration_is_said_in_its_two_largest_units_rounded_down(
    seconds: float | None, said: str
) -> None:
    assert duration(seconds) == said


def test_a_junk_reason_is_said_in_words_with_its_detail() -> None:
    assert words.junk_reason("blocked_domain: rival.com") == "A blocked domain: rival.com"


def test_an_unknown_junk_reason_is_shown_as_it_is() -> None:
    assert words.junk_reason("new_check: x") == "new_check: x"


def test_a_fuzzy_account_match_says_how_close_the_name_is() -> None:
    assert words.match_reason("name_fuzzy:0.934") == "a close company name (93%)"


@pytest.fixture
def svc() -> Services:
    return Services.build(Settings(database_url="sqlite://", secret_key="instance secret"))


def test_a_sealed_secret_opens_for_its_purpose(svc: Services) -> None:
    sealed = once.seal(svc, SECRET, "apikey:7:csrf")
    assert once.unseal(svc, sealed, "apikey:7:csrf") == SECRET


def test_a_sealed_secret_does_not_show_in_its_cookie(svc: Services) -> None:
    sealed = once.seal(svc, SECRET, "apikey:7:csrf")
    assert "Eaw7w8WlP42" not in sealed and "3e39a43b930e" not in sealed


def test_a_sealed_secret_opens_for_no_other_key_or_session(svc: Services) -> None:
    sealed = once.seal(svc, SECRET, "apikey:7:csrf")
    assert [once.unseal(svc, sealed, p) for p in ("apikey:8:csrf", "apikey:7:other")] == [
        None,
        None,
    ]


def test_a_changed_cookie_opens_to_nothing(svc: Services) -> None:
    sealed = once.seal(svc, SECRET, "apikey:7:csrf")
    changed = sealed[:30] + ("A" if sealed[30] != "A" else "B") + sealed[31:]
    assert once.unseal(svc, changed, "apikey:7:csrf") is None


def test_another_instances_cookie_opens_to_nothing(svc: Services) -> None:
    other = Services.build(Settings(database_url="sqlite://", secret_key="another secret"))
    assert once.unseal(other, once.seal(svc, SECRET, "p"), "p") is None


@pytest.mark.parametrize("garbage", ["", "!!!", "AAAA"])
def test_garbage_opens_to_nothing(svc: Services, garbage: str) -> None:
    assert once.unseal(svc, garbage, "p") is None


def test_a_quality_note_reads_in_the_lead_page_timeline_as_what_was_left_out() -> None:
    note = {
        "kind": "unreadable_value",
        "field": "Company Size",
        "value": "lots",
        "transform": "integer",
        "to": "employees",
        "reason": "not a number: 'lots'",
    }
    event = SimpleNamespace(type="quality", actor="leadflow", at=None, data=note)
    (item,) = items([event], {}, "UTC")
    assert (item.label, item.kind) == ("Noted while cleaning", "warn")
    assert (
        item.detail == "Company Size = 'lots' could not be read as integer: left out of employees"
    )
