"""Where a span's words are after its text is corrected: found for sure, or a reason (never a guess)."""
import pytest

from workbench.annotations.anchoring import relocate
from workbench.annotations.spans import context_of


def where(old, new, exact, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = old.index(exact, start + 1)
    return relocate(old, new, start, start + len(exact), exact, *context_of(old, start, start + len(exact)))


OLD = "By March 2018, CRCs were forecasting losses of nearly £300 million on their contracts."


def test_words_before_the_edit_keep_their_offsets():
    new = OLD.replace("contracts.", "contracts, the NAO said.")
    assert where(OLD, new, "nearly £300 million") == OLD.index("nearly")


def test_words_after_the_edit_move_by_its_length():
    new = "Correction: " + OLD.replace("By March", "by March")
    at = where(OLD, new, "nearly £300 million")
    assert new[at:at + len("nearly £300 million")] == "nearly £300 million"
    assert at == OLD.index("nearly") + len("Correction: ")


def test_emoji_and_astral_characters_count_as_one():
    old = "😀 " + OLD
    new = "😀😀 " + OLD
    at = where(old, new, "£300 million")
    assert new[at:at + 12] == "£300 million" and at == old.index("£300") + 1


def test_words_inside_an_edit_region_are_found_when_they_occur_once():
    old = "Intro. " + OLD + " Outro."
    new = "New intro that is longer. " + OLD.replace("CRCs", "The CRCs") + " New outro."
    at = where(old, new, "forecasting losses")
    assert new[at:at + len("forecasting losses")] == "forecasting losses"


def test_gone_words_are_a_reason():
    new = OLD.replace("nearly £300 million", "about £250 million")
    assert where(OLD, new, "nearly £300 million") == "its words are not in the corrected text"


def test_repeated_words_are_told_apart_by_their_context():
    old = "Cost: £1 million in 2014. Then a loss; later, cost: £1 million in 2016."
    new = "COST: £1 million in 2014. Then a loss; later, cost: £1 million in 2016!"
    at = where(old, new, "£1 million", nth=1)   # both ends edited: the context decides
    assert at == new.rindex("£1 million")
    first = where(old, new, "£1 million", nth=0)
    assert first == new.index("£1 million")


def test_repeated_words_with_the_same_context_are_a_reason_not_a_guess():
    old = "A. 5% rise. B. 5% rise. C."
    new = "X. 5% rise. 5% rise. Y."
    result = where(old, new, "5% rise", nth=0)
    assert isinstance(result, str) and "occur 2 times" in result


@pytest.mark.parametrize("old,new", [("abc", "abcd"), ("abc", "zabc"), ("aXb", "ab"), ("xAB", "yyAB")])
def test_every_found_place_holds_the_quote(old, new):
    for i in range(len(old)):
        for j in range(i + 1, len(old) + 1):
            exact = old[i:j]
            got = relocate(old, new, i, j, exact, *context_of(old, i, j))
            if isinstance(got, int):
                assert new[got:got + len(exact)] == exact
