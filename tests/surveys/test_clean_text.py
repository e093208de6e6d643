"""clean_text: what text_problem refuses becomes U+FFFD, everything else is kept as it is
(the quick path for printable text gives what the replacements give)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from census.surveys.jsonbody import _CONTROL, _SURROGATE, clean_text, text_problem


def _replaced(text: str) -> str:
    return _CONTROL.sub("\ufffd", _SURROGATE.sub("\ufffd", text))


# Controls, surrogates, format and separator characters among letters, digits and spaces.
KINDS = ["Cc", "Cs", "Cf", "Zs", "Zl", "Zp", "Lo", "Ll", "Lu", "Nd", "Po", "So"]


@given(st.text(alphabet=st.characters(categories=KINDS), max_size=40))
def test_clean_text_is_the_replacement_whatever_the_text(text):
    assert clean_text(text) == _replaced(text)


@given(st.text(max_size=40))
def test_what_clean_text_gives_may_be_stored(text):
    cleaned = clean_text(text)
    assert text_problem(cleaned, "f") is None or len(cleaned) > 10_000


def test_the_characters_it_keeps_and_replaces():
    assert clean_text("张三\t第1栋\n101\u3000室") == "张三\t第1栋\n101\u3000室"
    assert clean_text("a\x00b\x1fc\x7f") == "a\ufffdb\ufffdc\ufffd"
    assert clean_text("x\ud800y") == "x\ufffdy"
