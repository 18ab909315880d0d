"""Figures written differently normalise to the same value and unit."""
import pytest

from workbench.search.figures import parse_figures


@pytest.mark.parametrize("text", ["£300m", "£300 million", "300 million pounds", "£300,000,000", "£0.3bn"])
def test_money_written_differently_is_one_figure(text):
    [fig] = parse_figures(f"CRCs lost {text} on the contracts.")
    assert fig.key() == ("GBP", 300_000_000)
    assert fig.json()["unit"] == "GBP"


@pytest.mark.parametrize("text,value,unit", [
    ("40 per cent of staff left", 40, "percent"),
    ("reoffending rose 4.5% last year", 4.5, "percent"),
    ("19 out of 21 CRCs", 19, "out of 21"),
    ("19 of the 21 CRCs", 19, "out of 21"),
    ("one in five offenders", 1, "in 5"),
    ("about 8,000 probation officers", 8000, "officers"),
])
def test_units(text, value, unit):
    fig = parse_figures(text)[0]
    assert (fig.value, fig.unit) == (value, unit)


@pytest.mark.parametrize("text,period", [("£18.1bn a year", "year"), ("£300m over five years", "five years"),
                                         ("rose 3% in 2014", "2014"), ("£5m", None)])
def test_period(text, period):
    assert parse_figures(text)[0].period == period


def test_years_are_not_counts_or_fractions():
    assert parse_figures("between 2013 and 2015, in 2014 of 21") == []
