"""Company names in a comparable form: what "Acme, Inc." and "ACME Incorporated" have in common.

A name is folded to lowercase ASCII words; what says nothing about which company it is goes:
accents, punctuation, "&" and "and", a leading or trailing "The", text in parentheses
("Alphabet Inc. (Class A)"), and legal forms at the end of the name, as many as are there
("Acme Holding GmbH & Co. KG" -> "acme holding"). A few legal forms that come first in their
countries (PT, SIA, UAB, OOO) go from the front. Descriptive words stay: "Acme Holdings" and
"Acme" may be two companies, so they are kept apart here and only `loose_name` drops them.

Letters written apart are joined, because registries and people write abbreviations both ways:
"A. O. Smith", "A.O. Smith" and "AO Smith" are all "ao smith", and "B. V." is "bv" (legal
forms are written in the table below as people write them and go through the same folding).
Common abbreviations of descriptive words are spelled one way ("Intl" and "International" are
both "intl", "Tech", "Technology" and "Technologies" are "tech").

`closeness` says how likely two folded names are one company's, word by word, for the fuzzy
stage of account matching (`leadflow.quality.accounts`).

Invariants: the result is a function of the text alone (no locale, no table loaded at run
time); it is never emptied by the stripping (a company called "The Company" keeps "company");
and folding twice gives the same result as folding once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from functools import cache

# Letters that Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ı": "i"})
_PARENTHESES = re.compile(r"\([^()]*\)")
_APOSTROPHES = re.compile(r"['’`´]")
_NOT_WORD = re.compile(r"[\W_]+")  # letters and digits of every script are words

TYPO_COST = 0.3  # what one typo costs a name, divided by the length of its word (`closeness`)
LEGAL_TYPO_COST = 0.02  # what a typo in a legal form word costs: "Acme Limted"
_CONNECTORS = frozenset({"and"})
_THE = "the"

# Legal forms as they are written, comma-separated; each is folded like a name before use, so
# "S.A. de C.V." and "sa de cv" are the same entry. Stripped at the end of a name, repeatedly.
_LEGAL_FORMS_AT_END = """
    inc, incorporated, corp, corporation, co, company, llc, l.l.c., pllc, ltd, limited, plc,
    llp, lllp, lp, lc, pc, ulc, cic, dac, limited partnership, limited liability company,
    limited liability partnership, public limited company, pty, pty ltd, proprietary limited,
    pte, pte ltd, private limited, private ltd, pvt, pvt ltd, opc, nl,
    gmbh, mbh, ag, kg, kgaa, gmbh & co kg, ohg, gbr, ug, ev, eg, se, haftungsbeschrankt,
    aktiengesellschaft, gesellschaft mit beschrankter haftung,
    sa, s.a., sas, sasu, sarl, eurl, snc, sca, scs, scsp, srl, s.r.l., srls, spa, s.p.a.,
    societa per azioni, societa a responsabilita limitata, sl, s.l., slu, sau,
    sociedad limitada, sociedad anonima, lda, ltda, limitada, unipessoal, eireli,
    s.a. de c.v., sa de cv, sab de cv, s de rl de cv, sapi de cv,
    bv, b.v., nv, n.v., bvba, sprl, vof, oy, oyj, ab, aktiebolag, asa, as, a/s, aps, ivs, ehf,
    kft, zrt, nyrt, korlatolt felelossegu tarsasag, sp. z o.o., spolka, sp k,
    spolka z ograniczona odpowiedzialnoscia, z ograniczona odpowiedzialnoscia, spoka,
    spolka komandytowa, spolka akcyjna, doo, d.o.o., ou, sro, s.r.o., a.s.,
    kk, k.k., kabushiki kaisha, gk, bhd, berhad, sdn bhd, sendirian berhad, tbk
"""
_LEGAL_FORMS_AT_START = "pt, sia, uab, ooo, oao, zao, pao"

# One spelling for each common abbreviation of a descriptive word: "word=spelling".
_ABBREVIATED = """
    international=intl internationale=intl internat=intl
    technology=tech technologies=tech technol=tech manufacturing=mfg brothers=bros
    associates=assoc associated=assoc assocs=assoc svcs=services svc=service sys=systems
    laboratories=labs laboratory=labs lab=labs inds=industries national=natl management=mgmt
    university=univ pharmaceuticals=pharma pharmaceutical=pharma communications=comms
    communication=comms hldgs=holdings hldg=holding grp=group engineering=engg eng=engg
    development=dev department=dept centre=center association=assn
"""
_ABBREVIATIONS = dict(pair.split("=") for pair in _ABBREVIATED.split())

# Words that describe a company's kind rather than name it: dropped only by `loose_name`.
_DESCRIPTIVE_WORDS = """
    group holding holdings intl global worldwide solutions services service tech systems
    industries enterprises enterprise partners assoc consulting labs ventures trading traders
    america usa india europe software digital networks products mgmt investments
"""
_DESCRIPTIVE = frozenset(_DESCRIPTIVE_WORDS.split())


def fold_words(text: str) -> tuple[str, ...]:
    """The words of a company name folded, nothing stripped: "ACME Ltd." -> ("acme", "ltd")."""
    return tuple(_fold(text))


def name_words(text: str) -> tuple[str, ...]:
    """The words of a company name, folded and stripped (see the module's docstring)."""
    return strip_words(fold_words(text))


def strip_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """Folded words without legal forms and "The": ("the", "acme", "ltd") -> ("acme",)."""
    return _strip_the(_strip_legal_forms(_strip_the(words)))


def normalize_name(text: str) -> str:
    """The comparable form of a company name: "The Acme Company, Inc." -> "acme"."""
    return " ".join(name_words(text))


def name_key(text: str) -> str:
    """The key for exact name matching: the comparable form without spaces.

    Spaces are dropped because people split and join names freely ("Share Point", "SharePoint";
    "Air BnB", "Airbnb"), and a typo that eats the space between two words changes nothing.
    """
    return "".join(name_words(text))


def loose_name(words: tuple[str, ...]) -> str:
    """The name without its descriptive words, or "" when nothing else is left.

    "acme holdings" and "acme group" are both "acme": likely one company family, not sure
    enough to accept, good enough to put in front of a person. "global solutions" is "": a
    name made only of descriptive words says nothing.
    """
    return " ".join(w for w in words if w not in _DESCRIPTIVE)


def closeness(lead: tuple[str, ...], account: tuple[str, ...], known: Container[str] = ()) -> float:
    """How likely two folded names are one company's, from the words that differ (0..1).

    What tells a typo from another company is which word differs and how. Names with the same
    words, or the same letters spaced differently, are 0.95 (1.0 if identical). A word one
    edit from the other name's word (a typo) costs 0.3 / its length, twice that if the lead's
    word is in `known` (the words of the accounts' names), since a real word is more likely
    another name than a slip; a typo in a legal form's word costs 0.02. A word in one name
    only caps the score at 0.85 if it is descriptive ("group") and at 0.75 otherwise.
    Worked examples: "microsfot" for "microsoft" is 1 - 0.3/9 = 0.97; "ram enterprises" for
    "raj enterprises" is 1 - 2 * 0.3/3 = 0.80 when "ram" is known; "acme steel" for "acme
    steel group" is 0.85; "acme steel" for "acme steel works" is 0.75.

    The cost per typo was calibrated on bench/match_bench.py: at 0.4, fuzzy matches scored
    0.87-0.91 were right 99% of the time, so the scores undersold them.
    """
    if sorted(lead) == sorted(account) or "".join(lead) == "".join(account):
        return 1.0 if lead == account else 0.95
    left, right = list(lead), list(account)
    for word in lead:
        if word in right:
            left.remove(word)
            right.remove(word)
    score = 1.0
    for word in list(left):
        typo = _typo_of(word, right)
        if typo is None:
            continue
        near, length = typo
        left.remove(word)
        right.remove(near)
        if near in _legal_words():  # "limted" for "limited": a legal form says little
            score -= LEGAL_TYPO_COST
        else:
            cost = TYPO_COST / min(len(word), length)
            score -= 2 * cost if word in known else cost
    for word in left + right:
        score = min(score, 0.85 if word in _DESCRIPTIVE else 0.75)
    return round(max(score, 0.0), 2)


def near_legal_form(word: str) -> bool:
    """Whether a folded word is one edit from a legal form of five letters or more: "limted".

    Short forms are left out: one edit from "ag" or "sa" is half the word.
    """
    return len(word) >= 4 and any(one_edit_apart(word, form) for form in _long_forms())


def one_edit_apart(a: str, b: str) -> bool:
    """Whether two words differ by one dropped, added, changed or swapped letter: a typo."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        swapped = i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
        return a[i + 1 :] == b[i + 1 :] or (swapped and a[i + 2 :] == b[i + 2 :])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]


def _fold(text: str) -> list[str]:
    """Lowercase words, accents removed (other scripts kept as they are: "Газпром",
    "トヨタ"); "&"/"and" dropped; runs of single letters joined."""
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_LETTERS))
        text = "".join(c for c in text if not unicodedata.combining(c))
        text = unicodedata.normalize("NFC", text)  # Hangul syllables come back whole
    unbracketed = _PARENTHESES.sub(" ", text)
    if _NOT_WORD.sub("", unbracketed):
        text = unbracketed
    text = _APOSTROPHES.sub("", text).replace("&", " and ")
    words: list[str] = []
    run = ""  # consecutive single letters: "a o smith" -> "ao smith"
    for word in _NOT_WORD.split(text):
        if word and word not in _CONNECTORS:
            if len(word) == 1:
                run += word
                continue
            if run:
                words.append(run)
                run = ""
            words.append(_ABBREVIATIONS.get(word, word))
    if run:
        words.append(run)
    return words


def _strip_the(words: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    start, end = 0, len(words)
    if end - start > 1 and words[start] == _THE:
        start += 1
    if end - start > 1 and words[end - 1] == _THE:
        end -= 1
    return tuple(words[start:end])


def _strip_legal_forms(words: tuple[str, ...]) -> tuple[str, ...]:
    at_end, at_start, longest = _legal_forms()
    stripped = True
    while stripped:
        stripped = False
        for size in range(min(longest, len(words) - 1), 0, -1):
            if words[-size:] in at_end:
                words = words[:-size]
                stripped = True
                break
    if len(words) > 1 and words[:1] in at_start:
        words = words[1:]
    return words


@cache
def _legal_forms() -> tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]], int]:
    at_end = frozenset(tuple(_fold(form)) for form in _LEGAL_FORMS_AT_END.split(","))
    at_start = frozenset(tuple(_fold(form)) for form in _LEGAL_FORMS_AT_START.split(","))
    return at_end, at_start, max(len(form) for form in at_end)


def _typo_of(word: str, words: list[str]) -> tuple[str, int] | None:
    """The word of `words` that `word` is a typo of, and that word's length unabbreviated.

    "technologes" is a typo of "tech" (length 12): the lead's word was not abbreviated when
    folded because it was misspelt.
    """
    for other in words:
        if one_edit_apart(word, other):
            return other, len(other)
    for long, short in _ABBREVIATIONS.items():
        if short in words and one_edit_apart(word, long):
            return short, len(long)
    return None


@cache
def _legal_words() -> frozenset[str]:
    """The words of legal forms of four letters or more: "limited", "gmbh", "responsabilita"."""
    return frozenset(word for form in _legal_forms()[0] for word in form if len(word) >= 4)


@cache
def _long_forms() -> tuple[str, ...]:
    return tuple(form[0] for form in _legal_forms()[0] if len(form) == 1 and len(form[0]) >= 5)
