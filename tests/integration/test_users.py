"""Console users on SQLite and PostgreSQL: passwords, sessions, idleness, throttling, roles."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from databases import FixedClock
from leadflow.service import users
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound
from leadflow.service.routing import Actor

PASSWORD = "a long enough password"
TEAM = """
version: 1
timezone: America/New_York
reps:
  - {id: alice, name: Alice Adams}
pools:
  general: {strategy: round_robin, members: [alice]}
fallback: general
"""


@pytest.fixture
def team(services: Services, publish_policy: Callable[[Services, str], int]) -> Services:
    publish_policy(services, TEAM)
    return services


def test_a_user_signs_in_with_the_password_they_were_given(team: Services) -> None:
    users.add_user(team, "Ann@Example.com", PASSWORD, "manager", name="Ann")
    signed = users.sign_in(team, "ann@example.com", PASSWORD)
    assert signed.user.email == "ann@example.com"
    assert signed.user.role == "manager"


def test_the_password_is_kept_as_an_argon2_hash_only(team: Services) -> None:
    from sqlalchemy import select

    from leadflow.store.tables import UserRow

    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    with team.store.reading() as session:
        stored = session.scalars(select(UserRow.password_hash)).one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_a_wrong_password_is_refused(team: Services) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    with pytest.raises(Invalid):
        users.sign_in(team, "ann@example.com", "not the password")


def test_an_unknown_email_is_refused_like_a_wrong_password(team: Services) -> None:
    with pytest.raises(Invalid) as refused:
        users.sign_in(team, "nobody@example.com", PASSWORD)
    assert refused.value.message == "wrong email or password"


def test_after_ten_failures_in_15_minutes_even_the_right_password_waits(
    team: Services, clock: FixedClock
) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    for _ in range(10):
        with pytest.raises(Invalid):
            users.sign_in(team, "ann@example.com", "wrong password")
        clock.advance(seconds=30)  # the first failure was 5 minutes ago now
    with pytest.raises(users.TooManyAttempts) as waiting:
        users.sign_in(team, "ann@example.com", PASSWORD)
    # The first failure ages out 15 minutes after it happened: 10 minutes from now.
    assert waiting.value.retry_after == 10 * 60


def test_sign_in_works_again_once_the_oldest_failure_ages_out(
    team: Services, clock: FixedClock
) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    for _ in range(10):
        with pytest.raises(Invalid):
            users.sign_in(team, "ann@example.com", "wrong password")
    clock.advance(minutes=15, seconds=1)
    assert users.sign_in(team, "ann@example.com", PASSWORD).user.email == "ann@example.com"


def test_failures_for_one_email_do_not_hold_up_another(team: Services) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    for _ in range(10):
        with pytest.raises(Invalid):
            users.sign_in(team, "eve@example.com", "guess")
    assert users.sign_in(team, "ann@example.com", PASSWORD)


def test_a_session_is_found_by_its_cookie_and_acts_as_the_users_role(team: Services) -> None:
    users.add_user(team, "alice@example.com", PASSWORD, "rep", rep_id="alice")
    signed = users.sign_in(team, "alice@example.com", PASSWORD)
    found = users.find_session(team, signed.token)
    assert found is not None
    assert found.actor == Actor("alice@example.com", "rep", "alice")
    assert found.csrf == signed.csrf


def test_a_session_ends_at_sign_out_on_the_server(team: Services) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    signed = users.sign_in(team, "ann@example.com", PASSWORD)
    users.end_session(team, signed.token)
    assert users.find_session(team, signed.token) is None


def test_a_session_idle_for_longer_than_the_timeout_ends(team: Services, clock: FixedClock) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    signed = users.sign_in(team, "ann@example.com", PASSWORD)
    idle = team.settings.session_idle_minutes
    clock.advance(minutes=idle - 1)
    assert users.find_session(team, signed.token) is not None  # and this use keeps it alive
    clock.advance(minutes=idle - 1)
    assert users.find_session(team, signed.token) is not None
    clock.advance(minutes=idle)
    assert users.find_session(team, signed.token) is None


def test_disabling_a_user_ends_their_sessions_and_refuses_sign_in(team: Services) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "manager")
    signed = users.sign_in(team, "ann@example.com", PASSWORD)
    users.disable_user(team, "ann@example.com", by="tests")
    assert users.find_session(team, signed.token) is None
    with pytest.raises(Invalid):
        users.sign_in(team, "ann@example.com", PASSWORD)
    users.enable_user(team, "ann@example.com", by="tests")
    assert users.sign_in(team, "ann@example.com", PASSWORD)


def test_a_new_password_ends_the_old_sessions(team: Services) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    signed = users.sign_in(team, "ann@example.com", PASSWORD)
    users.set_password(team, "ann@example.com", "another long password", by="tests")
    assert users.find_session(team, signed.token) is None
    with pytest.raises(Invalid):
        users.sign_in(team, "ann@example.com", PASSWORD)


def test_a_rep_user_must_be_a_rep_of_the_active_policy(team: Services) -> None:
    with pytest.raises(Invalid) as refused:
        users.add_user(team, "zed@example.com", PASSWORD, "rep", rep_id="zed")
    assert refused.value.detail["field"] == "rep"


@pytest.mark.parametrize(
    ("role", "rep", "field"),
    [("owner", None, "role"), ("rep", None, "rep"), ("manager", "alice", "rep")],
)
def test_a_role_and_rep_that_do_not_fit_are_refused_naming_the_field(
    team: Services, role: str, rep: str | None, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        users.add_user(team, "zed@example.com", PASSWORD, role, rep_id=rep)
    assert refused.value.detail["field"] == field


def test_a_short_password_is_refused(team: Services) -> None:
    with pytest.raises(Invalid) as refused:
        users.add_user(team, "ann@example.com", "short", "admin")
    assert refused.value.detail["field"] == "password"


def test_two_users_cannot_share_an_email(team: Services) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    with pytest.raises(Conflict):
        users.add_user(team, "ANN@example.com", PASSWORD, "manager")


def test_an_unknown_time_zone_is_refused(team: Services) -> None:
    with pytest.raises(Invalid) as refused:
        users.add_user(team, "ann@example.com", PASSWORD, "admin", timezone="Mars/Olympus")
    assert refused.value.detail["field"] == "timezone"


def test_disabling_an_unknown_user_is_not_found(team: Services) -> None:
    with pytest.raises(NotFound):
        users.disable_user(team, "nobody@example.com", by="tests")


def test_a_disabled_user_cannot_be_given_a_session(team: Services) -> None:
    made = users.add_user(team, "ann@example.com", PASSWORD, "admin")
    users.disable_user(team, "ann@example.com", by="tests")
    with pytest.raises(Forbidden):
        users.start_session(team, users.get_user(team, made.email))


def test_changing_a_users_role_ends_their_sessions(team: Services) -> None:
    users.add_user(team, "ann@example.com", PASSWORD, "admin")
    signed = users.sign_in(team, "ann@example.com", PASSWORD)
    changed = users.update_user(team, "ann@example.com", "tests", role="rep", rep_id="alice")
    assert (changed.role, changed.rep_id) == ("rep", "alice")
    assert users.find_session(team, signed.token) is None
