"""The one message catalogue, read in the language the caller names.

Every layer writes its messages once, as Chinese msgids (the source language of the
interface), and finds their English in ``census/translations/en/LC_MESSAGES/messages.po``
through the compiled ``.mo``. The web pages read it through Flask-Babel; the domain, the
printouts, the imports and the command line read the same file here, with no request:
they pass the language (a PDF printed in English from the CLI, a problem shown to an API
client). Without one, the language of the current page is used, or Chinese.

Tables that name messages by code keep only the msgid, marked for ``pybabel extract``
(``N_``, ``NC_`` for a msgid that needs a context, ``Np_`` for one with a plural).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from gettext import GNUTranslations, NullTranslations

from census.util.resources import TRANSLATIONS_DIR

SOURCE_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")  # the languages of the interface: the source and its catalogues
_CONTEXT = "\x04"  # how gettext joins a context and its msgid


def N_(msgid: str) -> str:  # noqa: N802 - the marker pybabel extracts
    """Mark a msgid for the catalogue; translated where it is shown."""
    return msgid


def NC_(context: str, msgid: str) -> str:  # noqa: N802 - extracted with -k NC_:1c,2
    """Mark a msgid whose English depends on where it is shown (a column head, a count)."""
    return f"{context}{_CONTEXT}{msgid}"


@dataclass(frozen=True)
class Plural:
    """A msgid with a plural form, and the parameter that holds the count."""

    singular: str
    plural: str
    count: str


def Np_(singular: str, plural: str, count: str) -> Plural:  # noqa: N802 - -k Np_:1,2
    """Mark a message whose English says "1 household" / "3 households"."""
    return Plural(singular, plural, count)


@cache
def catalogue(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang``; the msgids themselves for Chinese or an unknown one."""
    if lang == SOURCE_LANGUAGE:
        return NullTranslations()
    path = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.mo"
    try:
        with path.open("rb") as fh:
            return GNUTranslations(fh)
    except OSError:
        return NullTranslations()


def current_language() -> str:
    """The language of the page being answered, or Chinese outside a request."""
    flask = sys.modules.get("flask")  # no import: this layer works without Flask
    if flask is not None and flask.has_request_context():
        return str(flask.g.get("lang") or SOURCE_LANGUAGE)
    return SOURCE_LANGUAGE


def _fill(template: str, params: dict[str, object]) -> str:
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def gettext(message: str, lang: str | None = None, /, **params: object) -> str:
    """``message`` (a msgid, or a context and msgid from ``NC_``) in ``lang``, {params} filled.

    A msgid without English (an empty msgstr) stays Chinese.
    """
    found = catalogue(lang or current_language())
    if _CONTEXT in message:
        context, msgid = message.split(_CONTEXT, 1)
        return _fill(found.pgettext(context, msgid), params)
    return _fill(found.gettext(message), params)


def ngettext(
    singular: str, plural: str, n: int, lang: str | None = None, /, **params: object
) -> str:
    """The singular or plural form for ``n`` in ``lang`` (Chinese has one form), filled."""
    return _fill(catalogue(lang or current_language()).ngettext(singular, plural, n), params)


def text(message: str | Plural, lang: str | None = None, /, **params: object) -> str:
    """A message of a table (``N_``, ``NC_`` or ``Np_``) in ``lang``, filled from ``params``."""
    if isinstance(message, Plural):
        count = params.get(message.count)
        n = count if isinstance(count, int) else 2
        return ngettext(message.singular, message.plural, n, lang, **params)
    return gettext(message, lang, **params)


def in_each_language(message: str | Plural, **params: object) -> dict[str, str]:
    """``message`` in every language of the interface, as a form's {zh, en} label holds it."""
    return {lang: text(message, lang, **params) for lang in LANGUAGES}


class ByLanguage(Mapping[str, str]):
    """A message of the catalogue read as a {zh, en} table (``words[lang]``,
    ``words.get(lang, default)``), for code that takes a word by language.

    The catalogue is read when a language is asked for, never when the module that holds
    the table is imported; a language the interface does not have is no key.
    """

    def __init__(self, message: str) -> None:
        self.message = message

    def __getitem__(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return gettext(self.message, lang)

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)

    def __repr__(self) -> str:
        return f"ByLanguage({self.message!r})"


# The punctuation a sentence is built with is in the catalogue like any word: Chinese
# clauses are joined by full-width marks, English ones by a mark and a space.
COMMA = NC_("punctuation", "，")  # ", "
SEMICOLON = NC_("punctuation", "；")  # "; "
LIST_SEPARATOR = NC_("list separator", "、")  # ", "
FULL_STOP = NC_("punctuation", "。")  # "."
BETWEEN_SENTENCES = NC_("between sentences", "。")  # ". ": the next sentence follows
LAST_OF_A_LIST = NC_("list", "{items}、{last}")  # "{items} and {last}"
NUMBER = NC_("number", "{n}")  # "{n:,}": 32,895 in English


def number(n: int | float, lang: str | None = None) -> str:
    """A count as a sentence of the language writes it: 32895 / 32,895."""
    if isinstance(n, bool) or not isinstance(n, int | float):
        return str(n)
    return gettext(NUMBER, lang, n=n)


def clauses(parts: list[str], lang: str | None = None, mark: str = COMMA) -> str:
    """Clauses of one sentence joined by ``mark`` (``COMMA``, ``SEMICOLON``) of the language."""
    return gettext(mark, lang).join(parts)


def paragraph(sentences: list[str], lang: str | None = None) -> str:
    """Sentences one after the other, each ended: “……人。……户。” / “… residents. … households.”"""
    if not sentences:
        return ""
    return gettext(BETWEEN_SENTENCES, lang).join(sentences) + gettext(FULL_STOP, lang)


def joined(parts: list[str], lang: str | None = None) -> str:
    """A list as a sentence says it: “12 户、2 家门面” / “12 households and 2 storefronts”."""
    if len(parts) < 2:
        return parts[0] if parts else ""
    items = gettext(LIST_SEPARATOR, lang).join(parts[:-1])
    return gettext(LAST_OF_A_LIST, lang, items=items, last=parts[-1])
