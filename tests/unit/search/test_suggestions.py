"""Cues fire on sample sentences; offsets are code points into the unit's text."""
import pytest

from workbench.search.suggestions import THRESHOLD, score_sentence, sentences, suggest


@pytest.mark.parametrize("sentence,cue", [
    ("The contracts were worth £1.26bn over seven years.", "money"),
    ("Some 40 per cent of officers said caseloads were unmanageable.", "percentage"),
    ("19 out of 21 CRCs missed their reoffending targets.", "count"),
    ("The reoffending rate for short sentences is the highest of any group.", "rate"),
    ("Caseloads were up from 30 to 45 in two years.", "comparison"),
    ("Caseloads doubled after the reforms.", "comparison"),
    ("Spending fell by a third.", "comparison"),
    ("HM Inspectorate of Probation rated the CRC inadequate.", "attribution"),
    ("The Justice Committee said the NPS was overstretched.", "attribution"),
    ("The MoJ announced the new model in May 2019.", "date"),
])
def test_cue_fires(sentence, cue):
    score, reasons, _ = score_sentence(sentence)
    assert cue in reasons
    assert 0 < score <= 1


@pytest.mark.parametrize("sentence", ["I think it is all a disgrace.", "Otherwise why would they bother?",
                                      "So depressing."])
def test_opinion_is_not_suggested(sentence):
    assert score_sentence(sentence)[0] < THRESHOLD
    assert suggest(sentence) == []


def test_figure_sentence_is_suggested_with_parsed_figure_and_code_point_offsets():
    text = "😀 Great post. CRCs were forecasting losses of nearly £300 million by 2018. Shameful."
    [s] = suggest(text)
    assert text[s.start:s.end] == s.exact == "CRCs were forecasting losses of nearly £300 million by 2018."
    assert s.start == len("😀 Great post. ")  # the emoji counts as one code point
    assert s.json(None)["figure"] == {"value": 300000000, "unit": "GBP", "period": "2018"}
    assert s.reasons[0] == "money" and "attribution" in s.reasons


def test_sentences_split_on_stops_and_lines():
    text = "One thing. Two £3m things!\n\nThree (four) things?  Five"
    assert [text[s:e] for s, e in sentences(text)] == ["One thing.", "Two £3m things!", "Three (four) things?", "Five"]
