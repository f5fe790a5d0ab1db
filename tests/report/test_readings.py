"""A gallery cluster's page shows its documented reading beside the recommendation."""

from __future__ import annotations

from clusterpath.report.readings import Reading, load_readings
from clusterpath.report.site import render_site
from clusterpath.resources import Declared, locate


def test_page_shows_reading_verdict_note_and_sources(outputs, tmp_path):
    key = next(k for k, r in outputs.records.items() if r["recommendation"])
    recommended = outputs.records[key]["recommendation"]["code"]
    other = "indigenous" if recommended != "indigenous" else "upgrade"
    note = tmp_path / "gallery" / "x" / "README.md"
    readings = {
        str(key[0]): Reading(
            str(key[0]), other, recommended, "mixed", note, (("src", "http://a.b/c"),)
        )
    }
    site = tmp_path / "site"
    pages = render_site(outputs, "en", site, readings, final=site)
    html = pages[key].read_text(encoding="utf-8")
    section = html.split('<section id="reading">')[1].split("</section>")[0]
    assert "second path" in section and "clarity: mixed" in section
    assert "The recommendation is the reading&#39;s second path." in section
    assert 'href="../../gallery/x/README.md"' in section
    assert 'href="http://a.b/c">[src]' in section
    unread = next(k for k in pages if str(k[0]) != str(key[0]))
    assert 'id="reading"' not in pages[unread].read_text(encoding="utf-8")


def test_readings_of_the_gallery_are_its_built_clusters():
    readings = load_readings(locate(Declared.GALLERY))
    assert readings["G03"].path == "upgrade"
    assert readings["G03"].second_path == "giant_anchored"
    assert readings["G03"].note.name == "README.md" and readings["G03"].note.exists()
