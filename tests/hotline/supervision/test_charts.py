"""The SVG charts: one mark per value, data on every mark, labels escaped, gaps for None."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hotline.supervision.charts import HEIGHT, bar_chart, line_chart, nice_ceiling, percent

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_bars_carry_their_labels_and_values_and_scale_to_the_axis():
    svg = parse(bar_chart([("08", 3.0), ("09", 10.0), ("10", 0.0)], chart_id="c", title="进线"))
    assert svg.get("data-chart") == "c" and svg.get("aria-label") == "进线"
    bars = svg.findall(f"{SVG}rect[@class='bar']")
    assert [(b.get("data-label"), b.get("data-value")) for b in bars] == [
        ("08", "3"), ("09", "10"), ("10", "0"),
    ]  # fmt: skip
    heights = [float(b.get("height")) for b in bars]
    # The axis tops out at 10: the 10 bar fills the plot, the 3 bar is 30 % of it, 0 is flat.
    assert heights[1] == pytest.approx(heights[0] / 0.3, rel=1e-2)
    assert heights[2] == 0.0
    assert all(0 <= float(b.get("y")) <= HEIGHT for b in bars)
    assert [t.text for t in svg.findall(f"{SVG}text[@class='x-label']")] == ["08", "09", "10"]


def test_a_line_breaks_where_a_value_is_missing():
    points = [("1", 0.5), ("2", 0.8), ("3", None), ("4", 1.0), ("5", 0.9)]
    svg = parse(line_chart(points, chart_id="sl", title="服务水平"))
    dots = svg.findall(f"{SVG}circle[@class='point']")
    assert [d.get("data-label") for d in dots] == ["1", "2", "4", "5"]
    assert [float(d.get("data-value")) for d in dots] == [0.5, 0.8, 1.0, 0.9]
    assert len(svg.findall(f"{SVG}polyline")) == 2
    assert "100.0%" in [t.text for t in svg.findall(f"{SVG}text[@class='y-label']")]


def test_labels_are_escaped_and_an_empty_chart_says_so():
    svg = parse(bar_chart([('<b>"x"</b>', None)], chart_id="e", title="a & b"))
    assert svg.get("aria-label") == "a & b"
    assert svg.findall(f"{SVG}rect[@class='bar']") == []
    assert svg.find(f"{SVG}text[@class='chart-empty']").text == "暂无数据"
    assert svg.find(f"{SVG}text[@class='x-label']").text == '<b>"x"</b>'


def test_axis_tops_are_round_numbers():
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 3, 7, 10, 11, 240)] == [
        1.0, 0.5, 1.0, 5.0, 10.0, 10.0, 20.0, 250.0,
    ]  # fmt: skip
    assert percent(0.8888) == "88.9%"


def test_long_series_label_about_twelve_ticks():
    points = [(str(day), float(day)) for day in range(1, 32)]
    svg = parse(bar_chart(points, chart_id="m", title="月"))
    assert len(svg.findall(f"{SVG}rect[@class='bar']")) == 31
    assert len(svg.findall(f"{SVG}text[@class='x-label']")) == 11  # every third day
