"""Places: countries, states, sales regions and time zones from what people type."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pycountry
import pytest

from leadflow.quality import places
from leadflow.quality.places import (
    REGIONS,
    country_code,
    region,
    subdivision_code,
    time_zone,
    time_zone_name,
)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("US", "US"),
        ("usa", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("United States of America", "US"),
        ("America", "US"),
        ("  united states  ", "US"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("GBR", "GB"),
        ("Deutschland", "DE"),
        ("germany", "DE"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Espana", "ES"),
        ("España", "ES"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Österreich", "AT"),
        ("Osterreich", "AT"),
        ("Italia", "IT"),
        ("Brasil", "BR"),
        ("México", "MX"),
        ("Polska", "PL"),
        ("Sverige", "SE"),
        ("Norge", "NO"),
        ("Danmark", "DK"),
        ("Suomi", "FI"),
        ("Nippon", "JP"),
        ("Japan", "JP"),
        ("South Korea", "KR"),
        ("Korea", "KR"),
        ("Russia", "RU"),
        ("Vietnam", "VN"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("UAE", "AE"),
        ("Ivory Coast", "CI"),
        ("Côte d'Ivoire", "CI"),
        ("Hong Kong", "HK"),
        ("Taiwan", "TW"),
        ("St. Lucia", "LC"),
        ("The Gambia", "GM"),
    ],
)
def test_a_country_is_read_from_its_code_name_or_everyday_alias(typed: str, code: str) -> None:
    assert country_code(typed) == code


@pytest.mark.parametrize("typed", ["Narnia", "", "Europe", "Untied Staets", "123"])
def test_an_unknown_country_is_none_rather_than_a_guess(typed: str) -> None:
    assert country_code(typed) is None


def test_a_country_that_is_not_text_is_unknown() -> None:
    assert country_code(840) is None


@pytest.mark.parametrize(
    ("country", "typed", "code"),
    [
        ("US", "New York", "NY"),
        ("US", "ny", "NY"),
        ("US", "US-NY", "NY"),
        ("US", "Washington, D.C.", "DC"),
        ("USA", "california", "CA"),
        ("CA", "Ontario", "ON"),
        ("CA", "Québec", "QC"),
        ("DE", "Bayern", "BY"),
        ("DE", "Bavaria", "BY"),
        ("AU", "New South Wales", "NSW"),
        ("AU", "nsw", "NSW"),
        ("MX", "Mexico City", "CMX"),
        ("ES", "Catalunya", "CT"),
        ("ES", "Cataluña", "CT"),
        ("JP", "Tokyo", "13"),
    ],
)
def test_a_state_is_read_from_its_code_or_name_within_its_country(
    country: str, typed: str, code: str
) -> None:
    assert subdivision_code(country, typed) == code


def test_a_state_name_from_another_country_is_unknown() -> None:
    assert subdivision_code("CA", "Texas") is None


def test_a_state_of_an_unknown_country_is_unknown() -> None:
    assert subdivision_code("Narnia", "New York") is None


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("US", "AMER"),
        ("CA", "AMER"),
        ("PR", "AMER"),
        ("GL", "AMER"),
        ("MX", "LATAM"),
        ("BR", "LATAM"),
        ("JM", "LATAM"),
        ("GB", "EMEA"),
        ("RU", "EMEA"),
        ("TR", "EMEA"),
        ("AE", "EMEA"),
        ("ZA", "EMEA"),
        ("KZ", "EMEA"),
        ("IN", "APAC"),
        ("JP", "APAC"),
        ("AU", "APAC"),
    ],
)
def test_a_country_belongs_to_its_sales_region(country: str, expected: str) -> None:
    assert region(country) == expected


def test_every_iso_country_is_in_exactly_one_region() -> None:
    listed = [code for codes in places._REGIONS.values() for code in codes.split()]
    assert sorted(listed) == sorted(country.alpha_2 for country in pycountry.countries)


def test_the_regions_are_amer_latam_emea_and_apac() -> None:
    assert REGIONS == ("AMER", "LATAM", "EMEA", "APAC")


def test_an_unknown_country_has_no_region() -> None:
    assert region("ZZ") is None


@pytest.mark.parametrize(
    ("country", "state", "zone"),
    [
        ("US", "NY", "America/New_York"),
        ("US", "CA", "America/Los_Angeles"),
        ("US", "TX", "America/Chicago"),
        ("US", "AZ", "America/Phoenix"),
        ("US", "IN", "America/Indiana/Indianapolis"),
        ("US", "HI", "Pacific/Honolulu"),
        ("US", "AK", "America/Anchorage"),
        ("CA", "BC", "America/Vancouver"),
        ("AU", "WA", "Australia/Perth"),
        ("BR", "SP", "America/Sao_Paulo"),
        ("MX", "CMX", "America/Mexico_City"),
        ("ES", "CN", "Atlantic/Canary"),
    ],
)
def test_a_state_decides_the_zone_of_a_country_that_spans_several(
    country: str, state: str, zone: str
) -> None:
    assert time_zone(country, state) == zone


def test_a_state_given_by_name_decides_the_zone_too() -> None:
    assert time_zone("US", "Texas") == "America/Chicago"


def test_every_us_state_and_dc_has_a_zone() -> None:
    states = [
        s.code.split("-")[1]
        for s in pycountry.subdivisions
        if s.country_code == "US" and s.type in ("State", "District")
    ]
    assert len(states) == 51
    assert [state for state in states if time_zone("US", state) is None] == []


def test_a_country_with_one_zone_has_that_zone() -> None:
    assert time_zone("FR") == "Europe/Paris"


def test_a_country_where_one_zone_keeps_nearly_everyone_has_that_zone() -> None:
    assert time_zone("DE") == "Europe/Berlin"


def test_the_united_states_alone_have_no_zone() -> None:
    assert time_zone("US") is None


def test_a_phone_number_decides_the_zone_when_the_state_is_unknown() -> None:
    assert time_zone("US", None, "+14155550123") == "America/Los_Angeles"


def test_a_phone_number_of_another_country_does_not_decide_the_zone() -> None:
    assert time_zone("CA", None, "+14155550123") is None


def test_a_phone_prefix_spanning_two_zones_decides_nothing() -> None:
    assert time_zone("AU", None, "+61891234567") is None


def test_a_phone_number_alone_decides_the_zone() -> None:
    assert time_zone(None, None, "+442079460958") == "Europe/London"


def test_every_zone_in_the_tables_is_one_tzdata_ships() -> None:
    zones = {zone for states in places._STATE_ZONES.values() for zone in states}
    zones |= set(places._MAIN_ZONES.values())
    assert [zone for zone in sorted(zones) if time_zone_name(zone) != zone] == []
    assert all(ZoneInfo(zone) for zone in zones)


def test_every_state_in_the_zone_tables_is_an_iso_subdivision() -> None:
    unknown = [
        f"{country}-{state}"
        for country, states in places._ZONE_OF_STATE.items()
        for state in states
        if subdivision_code(country, state) != state
    ]
    assert unknown == []


def test_a_zone_name_is_given_back_as_tzdata_spells_it() -> None:
    assert time_zone_name(" america/new_york ") == "America/New_York"


def test_a_zone_name_tzdata_lacks_is_unknown() -> None:
    assert time_zone_name("Mars/Olympus_Mons") is None
