"""Small pieces of English that messages built from values need."""

from __future__ import annotations


def a(word: str) -> str:
    """`word` with its indefinite article: "an admin", "an email", "a rep", "a webhook"."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word
