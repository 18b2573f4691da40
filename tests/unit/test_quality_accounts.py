"""Lead-to-account matching: which account a lead's company is, how sure, and why."""

from __future__ import annotations

import random

import pytest

from leadflow.quality.accounts import Account, AccountIndex, DomainForms, domain_forms

VANTABLACK = Account(
    id="acc-1",
    name="Vantablack Coatings Inc.",
    domains=("vantablack.com",),
    owner="rep-7",
    tier="enterprise",
    industry="chemicals",
    employees=1200,
    country="US",
)
QUARRY_UK = Account(id="acc-2", name="Quarry Ltd", domains=("quarry.co.uk",), country="GB")
QUARRY_DE = Account(id="acc-3", name="Quarry GmbH", domains=("quarry.de",), country="DE")
ORSKOV = Account(id="acc-4", name="Ørskov Maskinfabrik A/S", country="DK")


def index_of(*accounts: Account, accept: float = 0.92, review: float = 0.80) -> AccountIndex:
    return AccountIndex(accounts, accept=accept, review=review)


# Domains as matching sees them.


def test_a_host_is_folded_to_its_registrable_domain() -> None:
    assert domain_forms("eu.www.Vantablack.com") == DomainForms(
        "vantablack.com", "vantablack", "com"
    )


def test_an_email_address_gives_its_domain() -> None:
    assert domain_forms("jo@mail.quarry.co.uk") == DomainForms("quarry.co.uk", "quarry", "co.uk")


def test_a_url_gives_its_domain() -> None:
    assert domain_forms("https://www.quarry.de/about") == DomainForms("quarry.de", "quarry", "de")


def test_a_free_mail_domain_has_no_domain_forms() -> None:
    assert domain_forms("gmail.com") is None


def test_a_public_suffix_alone_has_no_domain_forms() -> None:
    assert domain_forms("co.uk") is None


# The account's facts.


def test_facts_give_the_account_fields_without_the_empty_ones() -> None:
    assert QUARRY_UK.facts() == {"id": "acc-2", "name": "Quarry Ltd", "country": "GB"}


# Each kind of match.


def test_the_same_domain_is_an_exact_domain_match() -> None:
    match = index_of(VANTABLACK).match(None, "vantablack.com")
    assert match is not None
    assert (match.account, match.score, match.reasons, match.verdict) == (
        VANTABLACK,
        1.0,
        ("domain_exact",),
        "accept",
    )


def test_a_subdomain_of_an_account_domain_is_an_exact_domain_match() -> None:
    match = index_of(VANTABLACK).match(None, "www.eu.vantablack.com")
    assert match is not None and match.reasons == ("domain_exact",)


def test_an_exact_domain_match_notes_an_agreeing_name_too() -> None:
    match = index_of(VANTABLACK).match("Vantablack Coatings", "vantablack.com")
    assert match is not None and match.reasons == ("domain_exact", "name_exact")


def test_the_same_label_under_another_suffix_is_an_other_tld_match() -> None:
    match = index_of(VANTABLACK).match(None, "vantablack.de")
    assert match is not None
    assert (match.score, match.reasons, match.verdict) == (0.95, ("domain_other_tld",), "accept")


def test_an_other_tld_match_prefers_the_account_in_the_leads_country() -> None:
    match = index_of(QUARRY_UK, QUARRY_DE).match(None, "quarry.fr", country="DE")
    assert match is not None and match.account == QUARRY_DE


def test_an_other_tld_match_shared_by_accounts_in_other_countries_is_ambiguous() -> None:
    match = index_of(QUARRY_UK, QUARRY_DE).match(None, "quarry.fr", country="FR")
    assert match is not None
    assert (match.verdict, match.reasons) == ("review", ("domain_other_tld", "ambiguous"))


def test_a_short_label_alone_does_not_match_under_another_suffix() -> None:
    short = Account(id="acc-9", name="Bright Kelp Foods", domains=("bkf.com",))
    assert index_of(short).match(None, "bkf.de") is None


def test_a_generic_label_alone_does_not_match_under_another_suffix() -> None:
    generic = Account(id="acc-9", name="Shopline Retail", domains=("shop.com",))
    assert index_of(generic).match(None, "shop.de") is None


def test_a_generic_label_matches_under_another_suffix_when_the_names_agree() -> None:
    generic = Account(id="acc-9", name="Shopline Retail", domains=("shop.com",))
    match = index_of(generic).match("Shopline Retail GmbH", "shop.de")
    assert match is not None and match.reasons[0] == "domain_other_tld"


def test_a_label_whose_lead_name_disagrees_is_only_reviewed() -> None:
    match = index_of(VANTABLACK).match("Vantablack Health", "vantablack.health")
    assert match is not None
    assert (match.score, match.verdict) == (0.85, "review")


def test_the_same_name_once_folded_is_an_exact_name_match() -> None:
    match = index_of(VANTABLACK).match("VANTABLACK COATINGS INCORPORATED", None)
    assert match is not None
    assert (match.score, match.reasons, match.verdict) == (0.97, ("name_exact",), "accept")


def test_ampersand_and_and_match_each_other() -> None:
    harlow = Account(id="acc-9", name="Harlow & Finch Ltd")
    match = index_of(harlow).match("Harlow and Finch", None)
    assert match is not None and match.reasons == ("name_exact",)


def test_a_leading_the_does_not_prevent_an_exact_name_match() -> None:
    match = index_of(QUARRY_UK).match("The Quarry", None)
    assert match is not None and match.account == QUARRY_UK


def test_accents_do_not_prevent_an_exact_name_match() -> None:
    match = index_of(ORSKOV).match("Orskov Maskinfabrik", None)
    assert match is not None and match.account == ORSKOV


def test_a_name_shared_by_two_accounts_is_ambiguous_without_a_country() -> None:
    match = index_of(QUARRY_UK, QUARRY_DE).match("Quarry", None)
    assert match is not None
    assert (match.verdict, match.reasons) == ("review", ("name_exact", "ambiguous"))


def test_a_name_shared_by_two_accounts_goes_to_the_one_in_the_leads_country() -> None:
    match = index_of(QUARRY_UK, QUARRY_DE).match("Quarry", None, country="gb")
    assert match is not None
    assert (match.account, match.verdict) == (QUARRY_UK, "accept")


def test_an_exact_generic_name_is_only_reviewed() -> None:
    generic = Account(id="acc-9", name="Global Solutions Ltd")
    match = index_of(generic).match("Global Solutions", None)
    assert match is not None
    assert (match.verdict, match.reasons) == ("review", ("name_exact", "generic_name"))


def test_an_exact_name_whose_account_has_another_domain_is_only_reviewed() -> None:
    match = index_of(VANTABLACK).match("Vantablack Coatings", "vantablackpaints.io")
    assert match is not None
    assert (match.verdict, match.reasons) == ("review", ("name_exact", "domain_conflict"))


def test_a_typo_in_a_long_word_is_a_fuzzy_match_with_its_score_in_the_reason() -> None:
    match = index_of(VANTABLACK).match("Vantablak Coatings", None)
    assert match is not None
    assert (match.score, match.reasons, match.verdict) == (0.97, ("name_fuzzy:0.97",), "accept")


def test_a_typo_in_a_legal_form_still_matches() -> None:
    ridge = Account(id="acc-9", name="Ridgeway Textiles Private Limited")
    match = index_of(ridge).match("Ridgeway Textiles Privte Limited", None)
    assert match is not None and match.verdict == "accept"


def test_a_name_with_an_extra_descriptive_word_is_only_reviewed() -> None:
    match = index_of(VANTABLACK).match("Vantablack Coatings Group", None)
    assert match is not None
    assert (match.score, match.verdict) == (0.85, "review")


# Thresholds.


def test_a_fuzzy_score_at_or_above_accept_is_accepted() -> None:
    match = index_of(VANTABLACK, accept=0.97).match("Vantablak Coatings", None)
    assert match is not None and match.verdict == "accept"


def test_a_fuzzy_score_between_review_and_accept_is_reviewed() -> None:
    match = index_of(VANTABLACK, accept=0.98, review=0.90).match("Vantablak Coatings", None)
    assert match is not None and match.verdict == "review"


def test_a_fuzzy_score_below_review_is_no_match() -> None:
    assert index_of(VANTABLACK, accept=0.99, review=0.98).match("Vantablak Coatings", None) is None


def test_an_accept_threshold_above_an_exact_names_score_sends_it_to_review() -> None:
    match = index_of(VANTABLACK, accept=0.98).match("Vantablack Coatings", None)
    assert match is not None and match.verdict == "review"


def test_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="review <= accept"):
        AccountIndex((), accept=0.8, review=0.9)


# Companies that are not accounts.


def test_a_near_name_made_of_a_known_word_is_not_accepted() -> None:
    raj = Account(id="acc-8", name="Raj Enterprises")
    ram = Account(id="acc-9", name="Ram Haulage Co")
    match = index_of(raj, ram).match("Ram Enterprises", None)
    assert match is None or match.verdict == "review"


def test_a_name_with_an_extra_distinctive_word_is_not_matched() -> None:
    assert index_of(VANTABLACK).match("Vantablack Coatings Laboratories Brazil", None) is None


def test_a_short_name_one_letter_off_is_not_matched() -> None:
    abc = Account(id="acc-9", name="ABC Ltd")
    assert index_of(abc).match("ABD Ltd", None) is None


def test_a_free_mail_domain_never_matches_even_an_account_that_lists_it() -> None:
    careless = Account(id="acc-9", name="Kettleby Farms", domains=("gmail.com",))
    assert index_of(careless).match("Brackwater Surveys", "gmail.com") is None


def test_a_free_mail_lead_is_still_matched_by_name() -> None:
    match = index_of(VANTABLACK).match("Vantablack Coatings", "gmail.com")
    assert match is not None and match.reasons == ("name_exact",)


def test_a_lead_with_neither_name_nor_domain_matches_nothing() -> None:
    assert index_of(VANTABLACK).match(None, None) is None


# Adding and removing.


def test_an_added_account_is_matched() -> None:
    index = index_of()
    index.add(QUARRY_UK)
    assert (len(index), index.get("acc-2")) == (1, QUARRY_UK)


def test_a_removed_account_is_no_longer_matched() -> None:
    index = index_of(VANTABLACK, QUARRY_UK)
    index.remove("acc-1")
    assert (len(index), index.match("Vantablack Coatings", "vantablack.com")) == (1, None)


def test_a_removed_accounts_words_no_longer_catch_typos() -> None:
    index = index_of(VANTABLACK)
    index.remove("acc-1")
    assert index.match("Vantablak Coatings", None) is None


def test_removing_an_unknown_account_changes_nothing() -> None:
    index = index_of(VANTABLACK)
    index.remove("acc-404")
    assert len(index) == 1


def test_adding_an_account_with_a_known_id_replaces_it() -> None:
    index = index_of(VANTABLACK)
    index.add(Account(id="acc-1", name="Umbra Pigments", domains=("umbra.com",)))
    assert index.match(None, "vantablack.com") is None


def test_an_account_with_two_domains_under_one_label_is_removed_cleanly() -> None:
    twice = Account(id="acc-9", name="Kettleby Farms", domains=("kettleby.com", "kettleby.de"))
    index = index_of(twice)
    index.remove("acc-9")
    assert index.match(None, "kettleby.fr") is None


# Blocking.


def test_blocking_finds_a_one_typo_name_among_thousands_of_accounts() -> None:
    # The typo is in the name's rare word; its other word is in hundreds of names, too many
    # to be a block, so the account is found only through the misspelt word's neighbours.
    rng = random.Random(5)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    trades = ["Mining", "Foods", "Logistics", "Textiles"]
    legal = ["Ltd", "Inc.", "GmbH", "B.V.", ""]

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()

    accounts = [
        Account(id=f"gen-{n}", name=f"{word()} {rng.choice(trades)} {rng.choice(legal)}".strip())
        for n in range(3000)
    ]
    target = Account(id="target", name="Morivenaka Mining Ltd")
    index = AccountIndex([*accounts, target])
    match = index.match("Morivenkaa Mining", None)
    assert match is not None and (match.account, match.verdict) == (target, "accept")
