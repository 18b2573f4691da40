"""Places: a lead's country, state, sales region and time zone, read from what people type.

Invariants this module keeps:

- Countries are ISO 3166-1 alpha-2 codes; states are the part of an ISO 3166-2 code after the
  country ("NY", "ON", "NSW"), which for US states is also the USPS abbreviation.
- Text is compared folded: case, accents, dots, apostrophes, other punctuation and a leading
  "the" do not matter, so "U.S.A.", "usa" and "The United States of America" are one key.
- Lookups are exact, never fuzzy: a name that no table holds gives None rather than the nearest
  country, because a lead routed to the wrong territory is worse than one with no country.
- A time zone is given only when it is known; a country that spans zones gives none unless its
  state or its phone number decides (a rep called at 06:00 is worse than an unknown zone).
- Reference data (pycountry, tzdata's zone.tab, phonenumbers) is read lazily, once.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

import phonenumbers
import pycountry
from phonenumbers import timezone as phone_zones

# Names people use that pycountry does not hold: endonyms, short forms, former names.
_COUNTRY_ALIASES = {
    "US": "USA, U.S., U.S.A., US of A, America, Estados Unidos",
    "GB": "UK, U.K., Great Britain, Britain, England, Scotland, Wales, Northern Ireland",
    "DE": "Deutschland",
    "NL": "Holland, Nederland, The Netherlands",
    "ES": "España, Espana",
    "CH": "Schweiz, Suisse, Svizzera",
    "AT": "Österreich",
    "IT": "Italia",
    "BR": "Brasil",
    "PL": "Polska",
    "SE": "Sverige",
    "NO": "Norge",
    "DK": "Danmark",
    "FI": "Suomi",
    "BE": "Belgique, België",
    "GR": "Hellas",
    "IE": "Éire",
    "HU": "Magyarország",
    "JP": "Nippon, Nihon",
    "KR": "Korea, Republic of Korea",
    "KP": "North Korea",
    "CN": "PRC, People's Republic of China, Mainland China",
    "RU": "Russia",
    "TR": "Turkey",
    "AE": "UAE, U.A.E., Emirates",
    "SA": "KSA, Saudi",
    "CI": "Ivory Coast",
    "CD": "DRC, Democratic Republic of the Congo, Congo-Kinshasa",
    "CG": "Republic of the Congo, Congo-Brazzaville",
    "MK": "Macedonia",
    "CV": "Cape Verde",
    "SZ": "Swaziland",
    "MM": "Burma",
    "TL": "East Timor",
    "VA": "Vatican, Vatican City",
    "PS": "Palestine",
    "LA": "Laos",
    "FM": "Micronesia",
}

# Subdivision names in English, or short forms, that pycountry does not hold.
_SUBDIVISION_ALIASES = {
    "US": {"DC": "Washington DC, Washington, D.C."},
    "CA": {"QC": "PQ", "NL": "NF, Nfld, Newfoundland", "PE": "PEI", "YT": "Yukon Territory"},
    "DE": {
        "BY": "Bavaria",
        "NI": "Lower Saxony",
        "NW": "North Rhine-Westphalia",
        "RP": "Rhineland-Palatinate",
        "SN": "Saxony",
        "ST": "Saxony-Anhalt",
        "TH": "Thuringia",
        "HE": "Hesse",
        "MV": "Mecklenburg-Western Pomerania",
        "BW": "Baden-Wuerttemberg",
    },
    "ES": {
        "CN": "Canary Islands",
        "CT": "Catalonia",
        "AN": "Andalusia",
        "PV": "Basque Country",
        "IB": "Balearic Islands",
    },
    "MX": {"CMX": "CDMX, Mexico City, Distrito Federal"},
    "CH": {"GE": "Geneva", "LU": "Lucerne"},
}

# Sales regions. Who sells there decides, not geography: US territories (even in the Pacific)
# are sold from the US, so they are AMER; Mexico, Central and South America and the Caribbean
# are LATAM; the Middle East, Africa, Russia, Turkey, the Caucasus, Central Asia and
# Afghanistan are EMEA; South Asia, East and South-East Asia and Oceania are APAC.
# Uninhabited places: Bouvet and the French Southern Lands go with their owners (EMEA),
# South Georgia with the Falklands (LATAM), Antarctica with Heard Island (APAC).
_REGIONS = {
    "AMER": "US CA PR VI GU AS MP UM BM GL PM",
    "LATAM": (
        "MX BZ GT SV HN NI CR PA AR BO BR CL CO EC FK GF GY PY PE SR UY VE GS "
        "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS SX TC TT VC VG"
    ),
    "EMEA": (
        "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT "
        "JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM TR UA VA "
        "AM AZ GE AE BH IL IQ IR JO KW LB OM PS QA SA SY YE KZ KG TJ TM UZ AF "
        "DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR "
        "LY MG MW ML MR MU YT MA MZ NA NE NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH "
        "ZM ZW BV TF"
    ),
    "APAC": (
        "CN HK MO TW JP KR KP MN BN KH ID LA MY MM PH SG TH TL VN IN PK BD LK NP BT MV "
        "AU NZ PG FJ SB VU NC PF WS TO KI TV NR FM MH PW CK NU TK WF PN NF CX CC HM IO AQ"
    ),
}
_REGION_OF = {code: name for name, codes in _REGIONS.items() for code in codes.split()}
REGIONS = tuple(_REGIONS)

# Zones of the states of countries that span several: the zone most of the state's people
# live in (Indiana is on Indianapolis time, Kentucky mostly on Eastern, Tennessee mostly on
# Central, Idaho mostly on Mountain).
_STATE_ZONES = {
    "US": {
        "America/New_York": "CT DE DC FL GA KY ME MD MA NH NJ NY NC OH PA RI SC VT VA WV",
        "America/Chicago": "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI",
        "America/Denver": "CO MT NM UT WY",
        "America/Los_Angeles": "CA NV OR WA",
        "America/Detroit": "MI",
        "America/Indiana/Indianapolis": "IN",
        "America/Boise": "ID",
        "America/Phoenix": "AZ",
        "America/Anchorage": "AK",
        "Pacific/Honolulu": "HI",
        "America/Puerto_Rico": "PR",
        "America/St_Thomas": "VI",
        "Pacific/Guam": "GU",
        "Pacific/Pago_Pago": "AS",
        "Pacific/Saipan": "MP",
    },
    "CA": {
        "America/Toronto": "ON QC",
        "America/Vancouver": "BC",
        "America/Edmonton": "AB NT",
        "America/Winnipeg": "MB",
        "America/Regina": "SK",
        "America/Halifax": "NS PE",
        "America/Moncton": "NB",
        "America/St_Johns": "NL",
        "America/Iqaluit": "NU",
        "America/Whitehorse": "YT",
    },
    "AU": {
        "Australia/Sydney": "NSW ACT",
        "Australia/Melbourne": "VIC",
        "Australia/Brisbane": "QLD",
        "Australia/Adelaide": "SA",
        "Australia/Perth": "WA",
        "Australia/Hobart": "TAS",
        "Australia/Darwin": "NT",
    },
    "BR": {
        "America/Sao_Paulo": "SP RJ MG ES PR SC RS GO DF",
        "America/Fortaleza": "CE MA PI RN PB",
        "America/Recife": "PE",
        "America/Bahia": "BA",
        "America/Maceio": "AL SE",
        "America/Belem": "PA AP",
        "America/Araguaina": "TO",
        "America/Manaus": "AM",
        "America/Cuiaba": "MT",
        "America/Campo_Grande": "MS",
        "America/Porto_Velho": "RO",
        "America/Boa_Vista": "RR",
        "America/Rio_Branco": "AC",
    },
    "MX": {
        "America/Mexico_City": (
            "AGU CHP CMX COL GRO GUA HID JAL MEX MIC MOR OAX PUE QUE SLP TAB TLA VER ZAC"
        ),
        "America/Monterrey": "NLE COA TAM DUR",
        "America/Tijuana": "BCN",
        "America/Mazatlan": "BCS SIN NAY",
        "America/Hermosillo": "SON",
        "America/Chihuahua": "CHH",
        "America/Cancun": "ROO",
        "America/Merida": "YUC CAM",
    },
    "ES": {"Atlantic/Canary": "CN GC TF", "Africa/Ceuta": "CE ML"},
    "PT": {"Atlantic/Azores": "20", "Atlantic/Madeira": "30"},
    "RU": {"Europe/Moscow": "MOW MOS SPE LEN"},
}
_ZONE_OF_STATE = {
    country: {state: zone for zone, states in zones.items() for state in states.split()}
    for country, zones in _STATE_ZONES.items()
}

# Countries with several zones in zone.tab where one of them keeps nearly everyone (Germany's
# Büsingen, Spain's Canaries, China's Xinjiang time) or all of them now keep the same clock
# (Argentina, Kazakhstan, Malaysia): the zone given when neither state nor phone decides.
_MAIN_ZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CY": "Asia/Nicosia",
    "DE": "Europe/Berlin",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "KZ": "Asia/Almaty",
    "MH": "Pacific/Majuro",
    "MN": "Asia/Ulaanbaatar",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PG": "Pacific/Port_Moresby",
    "PT": "Europe/Lisbon",
    "UA": "Europe/Kyiv",
    "UZ": "Asia/Tashkent",
}

_DROPPED = str.maketrans("", "", ".'’`")
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Text as a lookup key: 'The U.S.A.' and 'usa' fold alike, and 'Österreich' to 'osterreich'.

    Accents, case, dots and apostrophes go, other punctuation becomes a space, and a leading
    'the' goes, because forms and CSVs spell the same place all of these ways.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    key = _NOT_WORD.sub(" ", bare.casefold().translate(_DROPPED)).strip()
    return key[4:] if key.startswith("the ") else key


@cache
def _country_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        names = [country.alpha_2, country.alpha_3, country.name]
        names += [getattr(country, a, "") for a in ("official_name", "common_name")]
        for name in filter(None, names):
            key = fold(name)
            table.setdefault(key, country.alpha_2)
            if key.startswith("saint "):  # St. Lucia, St Kitts and Nevis
                table.setdefault("st " + key.removeprefix("saint "), country.alpha_2)
    for code, aliases in _COUNTRY_ALIASES.items():
        for alias in aliases.split(","):
            table.setdefault(fold(alias), code)
    return table


def country_code(text: object) -> str | None:
    """The ISO alpha-2 code of a country named as people write it: 'U.S.A.' -> 'US'.

    Codes, English names, official and common names, and the aliases above all work; anything
    else gives None, never a guess.
    """
    return _country_code(text) if isinstance(text, str) else None


@lru_cache(maxsize=4096)
def _country_code(text: str) -> str | None:
    return _country_table().get(fold(text))


def _name_variants(name: str) -> list[str]:
    """'Catalunya [Cataluña]' -> both names; 'Madrid, Comunidad de' -> also 'Madrid'."""
    variants = [part.strip(" ]") for part in name.split("[")]
    variants += [variant.split(",")[0] for variant in variants if "," in variant]
    return [variant for variant in variants if variant and variant != name]


@cache
def _subdivisions() -> dict[str, list[pycountry.db.Data]]:
    """Country -> its subdivisions, grouped once (pycountry's own `get` is not typed)."""
    found: dict[str, list[pycountry.db.Data]] = {}
    for subdivision in pycountry.subdivisions:
        found.setdefault(subdivision.country_code, []).append(subdivision)
    return found


@cache
def _subdivision_table(country: str) -> dict[str, str | None]:
    """Folded code, alias or name -> code; None marks a name two subdivisions share.

    Keys are taken in passes of falling trust (codes, our aliases, names of top-level
    subdivisions, other names, name variants); a key two entries of one pass claim is
    ambiguous and stays unanswered rather than picking one.
    """
    subdivisions = _subdivisions().get(country, [])
    code = {s.code: s.code.split("-", 1)[1] for s in subdivisions}
    aliases = _SUBDIVISION_ALIASES.get(country, {})
    passes = [
        [(code[s.code], code[s.code]) for s in subdivisions],
        [(alias, sub) for sub, names in aliases.items() for alias in names.split(",")],
        [(s.name, code[s.code]) for s in subdivisions if s.parent_code is None],
        [(s.name, code[s.code]) for s in subdivisions if s.parent_code is not None],
        [(v, code[s.code]) for s in subdivisions for v in _name_variants(s.name)],
    ]
    table: dict[str, str | None] = {}
    for entries in passes:
        found: dict[str, str | None] = {}
        for name, sub in entries:
            key = fold(name)
            if key not in table:
                found[key] = sub if found.get(key, sub) == sub else None
        table.update(found)
    return table


def subdivision_code(country: str | None, text: object) -> str | None:
    """A state's or province's code without the country: ('US', 'new york') -> 'NY'.

    Accepts the code with or without its country prefix ('US-NY'), the name as pycountry
    spells it, and a few English names pycountry lacks ('Bavaria'); unknown gives None.
    """
    code = country_code(country)
    return _subdivision_code(code, text) if code and isinstance(text, str) else None


@lru_cache(maxsize=4096)
def _subdivision_code(code: str, text: str) -> str | None:
    text = text.strip()
    if text.upper().startswith(f"{code}-"):
        text = text[len(code) + 1 :]
    return _subdivision_table(code).get(fold(text))


def region(country: str | None) -> str | None:
    """The sales region (AMER, LATAM, EMEA or APAC) of an alpha-2 country code."""
    return _REGION_OF.get(country.upper()) if isinstance(country, str) else None


def _tzdata_text(name: str) -> str:
    return (resources.files("tzdata") / name).read_text(encoding="utf-8")


@cache
def _zones_of_country() -> dict[str, tuple[str, ...]]:
    """Country -> its zones, from zone.tab, which gives each country its own rows (unlike
    zone1970.tab, which files countries that have agreed since 1970 under one zone)."""
    zones: dict[str, list[str]] = {}
    for line in _tzdata_text("zoneinfo/zone.tab").splitlines():
        if line and not line.startswith("#"):
            country, _, zone = line.split("\t")[:3]
            zones.setdefault(country, []).append(zone)
    return {country: tuple(names) for country, names in zones.items()}


@cache
def _zone_names() -> dict[str, str]:
    """Every zone name tzdata ships, lower-cased -> as spelled."""
    return {name.lower(): name for name in _tzdata_text("zones").split()}


def time_zone_name(text: object) -> str | None:
    """The IANA zone name as tzdata spells it ('america/new_york' -> 'America/New_York')."""
    return _zone_names().get(text.strip().lower()) if isinstance(text, str) else None


@lru_cache(maxsize=4096)
def _phone_zone(phone_e164: str, country: str | None) -> str | None:
    """The one zone a number's prefix belongs to, if its country is `country` (when given)."""
    try:
        number = phonenumbers.parse(phone_e164)
    except phonenumbers.NumberParseException:
        return None
    if country and phonenumbers.region_code_for_number(number) != country:
        return None
    zones = phone_zones.time_zones_for_number(number)
    return time_zone_name(zones[0]) if len(zones) == 1 else None


@lru_cache(maxsize=4096)
def time_zone(
    country: str | None, subdivision: str | None = None, phone_e164: str | None = None
) -> str | None:
    """The IANA zone a lead most likely lives in, or None when that is not known.

    In order: the state's zone for countries that span several (('US', 'TX') ->
    'America/Chicago'); the country's only zone ('FR' -> 'Europe/Paris'); the one zone of the
    phone number's prefix (a number of another country than the lead's is ignored); the zone
    nearly all of the country keeps ('DE' -> 'Europe/Berlin'). 'US' alone is None.
    """
    code = country_code(country) if country else None
    if code and subdivision:
        states = _ZONE_OF_STATE.get(code, {})
        state = subdivision.upper() if subdivision.upper() in states else None
        zone = states.get(state or subdivision_code(code, subdivision) or "")
        if zone:
            return zone
    zones = _zones_of_country().get(code or "", ())
    if len(zones) == 1:
        return zones[0]
    zone = _phone_zone(phone_e164, code) if phone_e164 else None
    return zone or _MAIN_ZONES.get(code or "")
