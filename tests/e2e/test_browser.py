"""The dashboard and a standalone SVG in Debian's chromium, driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import cli, npm_file, report_args
from tests.synth import cached

pytestmark = [pytest.mark.browser, pytest.mark.llama]

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, llama_url: str) -> Path:
    out = tmp_path_factory.mktemp("browser-report")
    res = cli(*report_args(out, cached(1), "--llama-url", llama_url))
    assert res.returncode == 0, res.stderr
    return out


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, errors


def _width(page: Any, selector: str) -> float:
    return float(page.eval_on_selector(selector, "r => parseFloat(r.getAttribute('width'))"))


def test_dashboard_zoom_and_search(browser: Any, report: Path) -> None:
    page, errors = _open(browser, (report / "index.html").as_uri())
    assert page.title().startswith("agentpprof")
    assert page.locator("#cards .card").count() >= 6
    frame = "#system-flamegraph g.f[data-d='3'] rect"
    before = _width(page, frame)
    page.locator("#system-flamegraph g.f[data-d='3']").first.click()
    page.wait_for_timeout(100)
    after = _width(page, frame)
    assert after > before or page.eval_on_selector(
        "#system-flamegraph", "s => s.getAttribute('data-zoomed')"
    )
    page.locator("button[data-reset='system-flamegraph']").click()
    page.fill("input[data-search='system-flamegraph']", "effect:(read|write)")
    page.wait_for_timeout(100)
    assert page.locator("#system-flamegraph g.f.hit").count() > 0
    text = page.inner_text("[data-match='system-flamegraph']")
    assert text.startswith("Matched: ") and text.endswith("%")
    assert errors == []
    page.screenshot(path=str(report / "dashboard.png"), full_page=False)
    page.close()


def test_standalone_svg_zoom_and_search(browser: Any, report: Path) -> None:
    page, errors = _open(browser, (report / "token-flamegraph.svg").as_uri())
    sel = "g.f[data-d='2'] rect"
    before = _width(page, sel)
    page.locator("g.f[data-d='2']").first.click()
    page.wait_for_timeout(100)
    assert _width(page, sel) >= before
    assert page.eval_on_selector("svg", "s => s.getAttribute('data-zoomed')")
    page.once("dialog", lambda d: d.accept("kind:cache"))
    page.locator("text.search").click()
    page.wait_for_timeout(100)
    matched = page.text_content("text.matched") or ""
    assert matched.startswith("Matched: ")
    assert float(page.eval_on_selector("svg", "s => s.getAttribute('data-matched')")) > 0
    assert errors == []
    page.close()


def test_empty_report_page(browser: Any, tmp_path: Path) -> None:
    from tests.unit.test_render_export import _report

    _report([], tmp_path)
    page, errors = _open(browser, (tmp_path / "index.html").as_uri())
    assert "No sessions" in page.inner_text("body")
    assert errors == []
    page.close()


def test_speedscope_imports_our_files(browser: Any, report: Path) -> None:
    """speedscope's own importer (from its npm package) loads the speedscope and folded files."""
    app = npm_file("speedscope/dist/release/index.html")
    for name, expect in (
        ("semantic-token.speedscope.json", "agentpprof tokens"),
        ("semantic-system.folded.txt", "semantic-system.folded.txt"),
        ("timeline.trace.json", "(tid 1)"),
    ):
        page, errors = _open(browser, app.as_uri())
        page.set_input_files("input[type=file]", str(report / name))
        page.wait_for_timeout(1500)
        body = page.inner_text("body")
        assert expect in body and "Left Heavy" in body, (name, body[:300])
        assert errors == []
        page.close()


def test_diff_page_zoom_search_and_tables(
    browser: Any, report: Path, llama_url: str, tmp_path: Path
) -> None:
    """`agentpprof diff` of the real report against a real report of one of its sessions."""
    import shutil

    smaller = tmp_path / "smaller"
    smaller.mkdir()
    shutil.copy(report / "tags.json", smaller / "tags.json")  # same tags, no new requests
    res = cli(*report_args(smaller, cached(1)[-1:], "--llama-url", llama_url))
    assert res.returncode == 0, res.stderr
    out = tmp_path / "diff"
    res = cli("diff", str(smaller), str(report), "--out", str(out), timeout=120)
    assert res.returncode == 0, res.stderr
    page, errors = _open(browser, (out / "diff.html").as_uri())
    assert page.title() == "agentpprof diff"
    assert page.locator("#totals tbody tr").count() >= 11
    assert page.locator("#changes td.grew").count() > 0
    fid = "semantic-system-diff"
    sel = f"#{fid} g.f[data-d='3'] rect"
    before = _width(page, sel)
    page.locator(f"#{fid} g.f[data-d='3']").first.click()
    page.wait_for_timeout(100)
    assert _width(page, sel) > before or page.eval_on_selector(
        f"#{fid}", "s => s.getAttribute('data-zoomed')"
    )
    page.locator(f"button[data-reset='{fid}']").click()
    page.fill(f"input[data-search='{fid}']", "agent:")
    page.wait_for_timeout(100)
    assert page.locator(f"#{fid} g.f.hit").count() > 0
    assert errors == []
    page.close()


def test_waterfall_lanes_zoom_and_lane_focus(browser: Any, report: Path) -> None:
    page, errors = _open(browser, (report / "index.html").as_uri())
    svg = "#waterfall svg"
    lanes = page.locator("#waterfall text.lane")
    assert lanes.count() >= 3  # two main sessions and a sub-agent
    assert int(page.eval_on_selector(svg, "s => s.getAttribute('data-drawn')")) > 0
    assert page.locator("#waterfall rect.span.llm").count() > 0
    assert page.locator("#waterfall rect.span.tool").count() > 0
    whole = page.eval_on_selector(svg, "s => s.getAttribute('data-view')")
    lanes.nth(lanes.count() - 1).click()
    page.wait_for_timeout(100)
    focused = page.eval_on_selector(svg, "s => s.getAttribute('data-view')")
    assert focused != whole
    box = page.locator(svg).bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + 40)
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(100)
    zoomed = page.eval_on_selector(svg, "s => s.getAttribute('data-view')")
    a, b = (float(x) for x in zoomed.split(","))
    c, d = (float(x) for x in focused.split(","))
    assert b - a < d - c  # narrower: zoomed in
    page.click("#waterfall-reset")
    page.wait_for_timeout(100)
    assert page.eval_on_selector(svg, "s => s.getAttribute('data-view')") == whole
    assert errors == []
    page.close()


def test_outcomes_table_chart_and_friction_graph(browser: Any, report: Path) -> None:
    page, errors = _open(browser, (report / "index.html").as_uri())
    rows = page.locator("#outcome-table tbody tr")
    assert rows.count() >= 2
    assert page.locator("#outcome-chart svg.agentpprof-chart").count() == 1
    # sortable: a click on "Prompts" orders the rows by it, a second click reverses
    th = page.locator("#outcome-table th", has_text="Prompts")
    th.click()
    first = [int(x) for x in page.locator("#outcome-table tbody td:nth-child(2)").all_inner_texts()]
    assert first == sorted(first, reverse=True)
    th.click()
    again = [int(x) for x in page.locator("#outcome-table tbody td:nth-child(2)").all_inner_texts()]
    assert again == sorted(again)
    # a tag's link highlights its prompt frames in the system and friction flame graphs
    link = page.locator("#outcome-table a[data-focus]").first
    tag = link.get_attribute("data-focus")
    link.click()
    page.wait_for_timeout(100)
    value = page.input_value("input[data-search='system-flamegraph']")
    assert value == f"^prompt:{tag}$"
    matched = page.eval_on_selector("#system-flamegraph", "s => s.getAttribute('data-matched')")
    assert matched is not None and float(matched) > 0
    # the friction graph is drawn and zooms like the others
    friction = page.locator("#friction-flamegraph g.f")
    assert friction.count() >= 2
    page.locator("#outcomes").screenshot(path=str(report / "outcomes.png"))
    page.locator("div[data-flame='friction-flamegraph']").screenshot(
        path=str(report / "friction.png")
    )
    assert errors == []
    page.close()


def test_filtered_report_shows_its_filter(browser: Any, tmp_path: Path, llama_url: str) -> None:
    out = tmp_path / "filtered"
    res = cli(*report_args(out, cached(1), "--llama-url", llama_url, "--where", "agent=codex"))
    assert res.returncode == 0, res.stderr
    page, errors = _open(browser, (out / "index.html").as_uri())
    assert "--where agent=codex" in page.inner_text("#where-filter")
    assert errors == []
    page.close()
