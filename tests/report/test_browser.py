"""The site in a real browser: Debian's headless Chromium, driven by Playwright.

Screenshots are left in test-artifacts/report/ for a person to look at after the run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from clusterpath.pipelines.report import run_report
from clusterpath.report.names import cluster_page, page_stem
from tests.report.test_site import recommended_key

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy"),
]


@pytest.fixture(scope="module")
def browser(chromium) -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert errors == [], errors  # the inline script ran without an error


def visible_rows(page: Page) -> list[list[str]]:
    rows = page.locator("#clusters tbody tr:visible")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_cluster_page_shows_its_path_and_drivers(page, sites, outputs, artifacts):
    key = recommended_key(outputs)
    record = outputs.records[key]
    page.goto((sites["zh"] / cluster_page(*key)).as_uri())
    assert page.locator("p.path strong").inner_text() == record["recommendation"]["name_zh"]
    drivers = page.locator("#drivers table.drivers tbody tr")
    assert drivers.count() == len(record["drivers"])
    for i, driver in enumerate(record["drivers"]):
        assert driver["name_zh"] in drivers.nth(i).inner_text()
    assert page.locator("#drivers svg.chart").is_visible()
    assert (
        page.locator("#policy blockquote").inner_text().strip() == record["policy"]["text"].strip()
    )
    page.screenshot(path=artifacts / f"cluster-{page_stem(*key)}-zh.png", full_page=True)

    page.goto((sites["en"] / cluster_page(*key)).as_uri())
    assert page.locator("p.path strong").inner_text() == record["recommendation"]["name_en"]
    page.screenshot(path=artifacts / f"cluster-{page_stem(*key)}-en.png", full_page=True)


def test_a_peer_link_opens_the_peers_page(page, sites, outputs):
    key = recommended_key(outputs)
    page.goto((sites["zh"] / cluster_page(*key)).as_uri())
    link = page.locator("#peers tbody a").first
    name = link.inner_text()
    link.click()
    assert page.locator("h1").inner_text().startswith(name)
    assert page.locator("h1 .year").inner_text() == str(key[1])


def test_index_filters_and_sorts_rows_in_the_browser(page, sites, outputs, artifacts):
    scores = outputs.scores
    page.goto((sites["zh"] / "index.html").as_uri())
    assert len(visible_rows(page)) == len(scores)
    page.screenshot(path=artifacts / "index-zh.png", full_page=True)
    province = scores["province"].value_counts().index[0]
    page.select_option('select[data-filter="province"]', province)
    rows = visible_rows(page)
    assert len(rows) == (scores["province"] == province).sum() < len(scores)
    assert {r[2] for r in rows} == {province}
    assert page.locator("#shown").inner_text() == f"显示 {len(rows)} / {len(scores)} 行"
    page.screenshot(path=artifacts / "index-filtered-zh.png", full_page=True)

    year = int(scores["year"].max())
    page.select_option('select[data-filter="year"]', str(year))
    both = (scores["province"] == province) & (scores["year"] == year)
    assert [r[1] for r in visible_rows(page)] == [str(year)] * both.sum()

    page.click("#reset")
    page.wait_for_function(
        f"document.querySelectorAll('#clusters tbody tr:not([hidden])').length == {len(scores)}"
    )
    page.click('th button[data-col="5"]')
    page.click('th button[data-col="5"]')  # second click: descending probability
    first = visible_rows(page)[0]
    best = scores.filter(regex="^p_").max(axis=1).max()
    assert first[5] == f"{best * 100:.1f} %"
    page.screenshot(path=artifacts / "index-sorted-zh.png")


def test_cluster_page_prints_to_pdf(scores_dir, outputs, tmp_path, chromium):
    key = recommended_key(outputs)
    out = tmp_path / "reports"
    run_report(scores_dir, out, "zh", pdf=True, clusters=[f"{key[0]}:{key[1]}"])
    pdfs = sorted((out / "pdf").iterdir())
    assert [p.name for p in pdfs] == [f"{page_stem(*key)}.pdf"]
    assert pdfs[0].read_bytes().startswith(b"%PDF")
    assert pdfs[0].stat().st_size > 20_000


def test_index_map_has_one_mark_per_cluster_and_marks_link_to_pages(
    page, sites, outputs, artifacts
):
    scores = outputs.scores
    latest = scores[scores["year"] == scores["year"].max()]
    for lang in ("en", "zh"):
        page.goto((sites[lang] / "index.html").as_uri())
        chart = page.locator("#map svg.china-map")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box["width"] > 300 and box["height"] > 300  # drawn, not collapsed
        assert page.locator("#map svg.china-map path.land").count() == 1
        marks = page.locator("#map svg.china-map a circle")
        assert marks.count() == len(latest) == latest["cluster_id"].nunique()
        titles = page.locator("#map svg.china-map a circle title").all_text_contents()
        assert sorted(t.split("：" if lang == "zh" else ": ")[0] for t in titles) == sorted(
            latest["cluster_name"]
        )
        summary = page.locator("#map table.provinces tbody tr")
        assert summary.count() == latest["province"].nunique()
    page.locator("#map").screenshot(path=artifacts / "index-map-zh.png")

    top = page.locator("#map svg.china-map a").last  # drawn last, so nothing covers it
    name = top.locator("title").text_content().split("：")[0]
    top.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(name)
    assert page.locator("h1 .year").inner_text() == str(latest["year"].iloc[0])
