"""The server-rendered SVG charts: well-formed, labelled for screen readers, escaping what they show."""
import xml.etree.ElementTree as ET

from workbench.review import charts

NS = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == NS + "svg" and root.get("role") == "img" and root.get("aria-label")
    assert root.find(NS + "title") is not None
    return root


def test_bar_chart_escapes_labels_and_handles_missing_and_negative_values():
    svg = charts.bar_chart([("<script>alert(1)</script>", 0.5, "alpha"), ("none yet", None, "alpha"),
                            ("worse than chance", -0.25, "alpha")], "Alpha & friends", lo=-0.25, hi=1.0)
    root = parse(svg)
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    texts = [t.text for t in root.iter(NS + "text")]
    assert "n/a" in texts and "-0.25" in texts and "0.50" in texts
    widths = [float(r.get("width")) for r in root.iter(NS + "rect")]
    assert len(widths) == 2 and all(w > 0 for w in widths)


def test_grouped_bars_and_line_chart_are_well_formed():
    parse(charts.grouped_bars([("Rita", {"open": 3, "overdue": 1, "done": 7}), ("Ravi & co", {"open": 0})],
                              ["open", "overdue", "done"], "Workload"))
    root = parse(charts.line_chart(["1 Sep", "8 Sep", "15 Sep"], {"done": [0, 2, 5], "created": [4, 1, 0]},
                                   "Progress"))
    assert len(list(root.iter(NS + "polyline"))) == 2 and len(list(root.iter(NS + "circle"))) == 6
    # An empty chart still draws, without dividing by zero.
    parse(charts.line_chart([], {"done": []}, "Nothing yet"))
    parse(charts.bar_chart([], "Nothing yet"))
