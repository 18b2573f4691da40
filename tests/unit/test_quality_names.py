"""Company names in a comparable form, and how close two names are."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.quality.names import (
    closeness,
    fold_words,
    loose_name,
    name_key,
    name_words,
    near_legal_form,
    normalize_name,
    one_edit_apart,
)


@pytest.mark.parametrize(
    ("written", "comparable"),
    [
        ("Brightwater Inc.", "brightwater"),
        ("Brightwater Incorporated", "brightwater"),
        ("Brightwater Corp", "brightwater"),
        ("Brightwater Corporation", "brightwater"),
        ("Brightwater Co.", "brightwater"),
        ("Brightwater Company", "brightwater"),
        ("Brightwater, LLC", "brightwater"),
        ("Brightwater L.L.C.", "brightwater"),
        ("Brightwater Ltd", "brightwater"),
        ("Brightwater Limited", "brightwater"),
        ("Brightwater PLC", "brightwater"),
        ("Brightwater GmbH", "brightwater"),
        ("Brightwater mbH", "brightwater"),
        ("Brightwater AG", "brightwater"),
        ("Brightwater KG", "brightwater"),
        ("Brightwater GmbH & Co. KG", "brightwater"),
        ("Brightwater SE", "brightwater"),
        ("Brightwater S.A.", "brightwater"),
        ("Brightwater SA", "brightwater"),
        ("Brightwater SAS", "brightwater"),
        ("Brightwater SARL", "brightwater"),
        ("Brightwater S.r.l.", "brightwater"),
        ("Brightwater SRL", "brightwater"),
        ("Brightwater S R L", "brightwater"),
        ("Brightwater S.p.A.", "brightwater"),
        ("Brightwater SpA", "brightwater"),
        ("Brightwater B.V.", "brightwater"),
        ("Brightwater BV", "brightwater"),
        ("Brightwater N.V.", "brightwater"),
        ("Brightwater Oy", "brightwater"),
        ("Brightwater Oyj", "brightwater"),
        ("Brightwater AB", "brightwater"),
        ("Brightwater ASA", "brightwater"),
        ("Brightwater AS", "brightwater"),
        ("Brightwater A/S", "brightwater"),
        ("Brightwater ApS", "brightwater"),
        ("Brightwater Pty Ltd", "brightwater"),
        ("Brightwater Pty. Ltd.", "brightwater"),
        ("Brightwater Pte. Ltd.", "brightwater"),
        ("Brightwater Private Limited", "brightwater"),
        ("Brightwater Pvt. Ltd.", "brightwater"),
        ("Brightwater K.K.", "brightwater"),
        ("Brightwater Sdn. Bhd.", "brightwater"),
        ("Brightwater Bhd", "brightwater"),
        ("Brightwater LLP", "brightwater"),
        ("Brightwater L.P.", "brightwater"),
        ("Brightwater LC", "brightwater"),
        ("Brightwater PC", "brightwater"),
        ("Brightwater S.L.", "brightwater"),
        ("Brightwater SAU", "brightwater"),
        ("Brightwater Ltda.", "brightwater"),
        ("Brightwater S.A. de C.V.", "brightwater"),
        ("Brightwater SA de CV", "brightwater"),
        ("Brightwater Kft.", "brightwater"),
        ("Brightwater Zrt.", "brightwater"),
        ("Brightwater Sp. z o.o.", "brightwater"),
        ("Brightwater spółka z ograniczoną odpowiedzialnością", "brightwater"),
        ("Brightwater d.o.o.", "brightwater"),
        ("Brightwater DOO", "brightwater"),
        ("Brightwater OÜ", "brightwater"),
        ("Brightwater s.r.o.", "brightwater"),
        ("Brightwater a.s.", "brightwater"),
        ("PT Brightwater", "brightwater"),
    ],
)
def test_a_legal_form_at_the_end_of_a_name_is_dropped(written: str, comparable: str) -> None:
    assert normalize_name(written) == comparable


def test_several_legal_forms_at_the_end_are_all_dropped() -> None:
    assert normalize_name("Brightwater Holding GmbH & Co. KG") == "brightwater holding"


def test_descriptive_words_are_kept() -> None:
    assert normalize_name("Brightwater Holdings Inc.") == "brightwater holdings"


def test_a_legal_form_inside_a_name_is_kept() -> None:
    assert normalize_name("Ltd Brothers Removals") == "ltd bros removals"


def test_a_name_that_is_only_a_legal_form_keeps_its_last_word() -> None:
    assert normalize_name("The Company") == "company"


def test_ampersand_and_the_word_and_are_the_same() -> None:
    assert normalize_name("Harlow & Finch") == normalize_name("Harlow and Finch")


def test_a_leading_the_is_dropped() -> None:
    assert normalize_name("The Quarry Group") == "quarry group"


def test_a_trailing_the_is_dropped() -> None:
    assert normalize_name("Quarry Group, The") == "quarry group"


def test_accents_and_case_are_folded() -> None:
    assert normalize_name("SOCIÉTÉ Générale d'Électricité") == "societe generale delectricite"


def test_letters_without_their_own_decomposition_are_spelled_in_ascii() -> None:
    assert normalize_name("Ørskov Æbler") == "orskov aebler"


def test_letters_written_apart_are_joined() -> None:
    assert normalize_name("J. K. Penrose") == normalize_name("JK Penrose")


def test_text_in_parentheses_is_dropped() -> None:
    assert normalize_name("Halvard Mining (Class B)") == "halvard mining"


def test_common_abbreviations_are_spelled_one_way() -> None:
    assert normalize_name("Ostra International Technologies") == normalize_name("Ostra Intl Tech")


def test_the_name_key_ignores_spaces() -> None:
    assert name_key("Share Point Ltd") == name_key("SharePoint")


def test_fold_words_strips_nothing() -> None:
    assert fold_words("The Quarry Ltd.") == ("the", "quarry", "ltd")


def test_the_loose_name_drops_descriptive_words() -> None:
    assert loose_name(name_words("Quarry Holdings Group")) == "quarry"


def test_a_name_made_only_of_descriptive_words_has_no_loose_name() -> None:
    assert loose_name(name_words("Global Solutions")) == ""


@given(st.text(alphabet="abcdeÉéøLtdIncGmbH &.,()-'the ", max_size=40))
def test_folding_a_folded_name_changes_nothing(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once


@pytest.mark.parametrize(
    ("a", "b", "typo"),
    [
        ("quarry", "qaurry", True),  # swapped
        ("quarry", "quary", True),  # dropped
        ("quarry", "quarrry", True),  # doubled
        ("quarry", "quirry", True),  # changed
        ("quarry", "quarry", False),
        ("quarry", "qurry1", False),
    ],
)
def test_one_edit_apart_recognizes_a_single_typo(a: str, b: str, typo: bool) -> None:
    assert one_edit_apart(a, b) is typo


def test_a_misspelt_long_legal_form_is_recognized() -> None:
    assert near_legal_form("limted")


def test_a_word_one_edit_from_a_short_legal_form_is_not_a_legal_form() -> None:
    assert not near_legal_form("gas")


def test_identical_names_are_fully_close() -> None:
    assert closeness(("quarry", "partners"), ("quarry", "partners")) == 1.0


def test_reordered_words_are_close() -> None:
    assert closeness(("partners", "quarry"), ("quarry", "partners")) == 0.95


def test_a_typo_in_a_long_word_costs_little() -> None:
    assert closeness(("vantablack",), ("vantablak",)) == 0.97


def test_a_typo_that_makes_another_known_word_costs_twice() -> None:
    assert closeness(("ram", "enterprises"), ("raj", "enterprises"), known={"ram"}) == 0.8


def test_a_typo_in_a_legal_form_costs_almost_nothing() -> None:
    assert closeness(("quarry", "limted"), ("quarry", "limited")) == 0.98


def test_a_misspelt_word_that_the_other_name_abbreviates_is_a_typo() -> None:
    assert closeness(("ostra", "technologes"), ("ostra", "tech")) == 0.97


def test_an_extra_descriptive_word_caps_the_score_at_review() -> None:
    assert closeness(("quarry", "steel"), ("quarry", "steel", "group")) == 0.85


def test_an_extra_distinctive_word_caps_the_score_below_review() -> None:
    assert closeness(("quarry", "steel"), ("quarry", "steel", "works")) == 0.75


@pytest.mark.parametrize("name", ["Газпром", "株式会社トヨタ", "삼성전자"])
def test_a_name_in_another_script_keeps_its_letters(name: str) -> None:
    assert normalize_name(name) == name.casefold()
