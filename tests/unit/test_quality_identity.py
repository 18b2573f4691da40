"""Who a lead is, for dedupe: identity keys, and open leads found by them in a window."""

from __future__ import annotations

from leadflow.quality.identity import Keys, OpenLeads, identity_keys

ALL = frozenset({"email", "phone", "name"})
DAY = 86400.0


def test_an_email_key_folds_case_and_drops_a_plus_tag() -> None:
    assert identity_keys({"email": "Jane+webinar@Acme.com"}).email == "email:jane@acme.com"


def test_gmail_addresses_with_dots_are_one_person() -> None:
    one = identity_keys({"email": "j.a.ne@googlemail.com"}).email
    assert one == identity_keys({"email": "jane@gmail.com"}).email


def test_dots_in_other_addresses_are_kept() -> None:
    assert identity_keys({"email": "j.ane@acme.com"}).email == "email:j.ane@acme.com"


def test_a_phone_key_is_the_e164_number() -> None:
    assert identity_keys({"phone": "+14155550123"}).phone == "phone:+14155550123"


def test_a_name_key_needs_first_and_last_name_and_a_company_domain() -> None:
    fields = {"first_name": "José", "last_name": "Núñez ", "company_domain": "acme.com"}
    assert identity_keys(fields).name == "name:jose|nunez@acme.com"
    assert identity_keys({"first_name": "Jose", "last_name": "Nunez"}).name is None


def test_only_the_identities_the_policy_uses_are_present() -> None:
    keys = Keys(email="email:a@b.com", phone="phone:+1")
    assert keys.present(frozenset({"phone"})) == [("phone", "phone:+1")]


def test_an_open_lead_within_the_window_is_found_by_any_shared_key() -> None:
    open_leads = OpenLeads(30 * DAY, ALL)
    open_leads.add("L1", Keys(email="email:a@b.com", phone="phone:+1"), 0.0, "alice")
    found = open_leads.find(Keys(phone="phone:+1"), 5 * DAY)
    assert found is not None and (found.lead_id, found.owner, found.matched_by) == (
        "L1",
        "alice",
        "phone",
    )


def test_a_lead_older_than_the_window_is_not_a_duplicate() -> None:
    open_leads = OpenLeads(7 * DAY, ALL)
    open_leads.add("L1", Keys(email="email:a@b.com"), 0.0, "alice")
    assert open_leads.find(Keys(email="email:a@b.com"), 8 * DAY) is None


def test_a_closed_lead_is_not_a_duplicate() -> None:
    open_leads = OpenLeads(7 * DAY, ALL)
    open_leads.add("L1", Keys(email="email:a@b.com"), 0.0, "alice")
    open_leads.close("L1")
    assert open_leads.find(Keys(email="email:a@b.com"), 1.0) is None


def test_a_duplicate_follows_the_owner_the_open_lead_has_now() -> None:
    open_leads = OpenLeads(7 * DAY, ALL)
    open_leads.add("L1", Keys(email="email:a@b.com"), 0.0, None)  # queued at first
    open_leads.owned("L1", "bob")
    found = open_leads.find(Keys(email="email:a@b.com"), 1.0)
    assert found is not None and found.owner == "bob"


def test_the_first_lead_with_a_key_keeps_it() -> None:
    open_leads = OpenLeads(7 * DAY, ALL)
    open_leads.add("L1", Keys(email="email:a@b.com"), 0.0, "alice")
    open_leads.add("L2", Keys(email="email:a@b.com"), 1.0, "bob")
    found = open_leads.find(Keys(email="email:a@b.com"), 2.0)
    assert found is not None and found.lead_id == "L1"


def test_old_entries_are_forgotten_as_time_moves_on() -> None:
    open_leads = OpenLeads(DAY, ALL)
    for i in range(1000):
        open_leads.add(f"L{i}", Keys(email=f"email:{i}@b.com"), float(i), None)
    open_leads.find(Keys(email="email:new@b.com"), 1000.0 + 2 * DAY)
    assert len(open_leads._by_key) == 0


def test_the_earliest_open_lead_wins_whichever_identity_finds_it() -> None:
    open_leads = OpenLeads(7 * DAY, ALL)
    open_leads.add("A", Keys(phone="phone:+1"), 0.0, "alice")
    open_leads.add("B", Keys(email="email:a@b.com"), 1.0, "bob")
    found = open_leads.find(Keys(email="email:a@b.com", phone="phone:+1"), 2.0)
    assert found is not None and (found.lead_id, found.matched_by) == ("A", "phone")
