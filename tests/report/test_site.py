"""The site rendered from a real scoring run: complete, linked, escaped, written atomically."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.data.errors import ContractError
from clusterpath.pipelines import report as report_job
from clusterpath.pipelines.report import run_report
from clusterpath.report.cluster_page import waterfall_chart, what_if
from clusterpath.report.context import site_data
from clusterpath.report.inputs import ScoreOutputs
from clusterpath.report.names import cluster_page
from clusterpath.report.overview import evaluation
from clusterpath.report.site import render_site
from clusterpath.report.text import load_text


class Links(HTMLParser):
    """Every href/src of a page, and every element id (for #fragments)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def parse(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def broken_links(site: Path) -> list[str]:
    """Links that leave the site, point at a missing file, or at a missing #id."""
    site = site.resolve()
    pages = {p: parse(p) for p in site.rglob("*.html")}
    broken = []
    for page, found in pages.items():
        for link in found.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                broken.append(f"{page.name}: external {link}")
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or site not in target.parents:
                broken.append(f"{page.name}: missing {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{page.name}: no #{parts.fragment} in {target.name}")
    return broken


def recommended_key(outputs: ScoreOutputs, with_what_if: bool = False) -> tuple[str, int]:
    for key, record in outputs.records.items():
        wanted = record["what_would_change"] or not with_what_if
        if record["recommendation"] and record["drivers"] and wanted:
            return key
    raise AssertionError("no recommended row in the fixture")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_cluster_year_has_a_page_and_every_link_resolves(sites, outputs, lang):
    site = sites[lang]
    pages = sorted(p.relative_to(site).as_posix() for p in (site / "clusters").iterdir())
    expected = sorted(
        cluster_page(c, y)
        for c, y in zip(outputs.scores.cluster_id, outputs.scores.year, strict=True)
    )
    assert pages == expected
    assert (site / "index.html").is_file() and (site / "method.html").is_file()
    assert broken_links(site) == []
    online = [p.name for p in site.rglob("*") if p.is_file() and b"://" in p.read_bytes()]
    assert online == []  # opens offline: no CDN, font, script or namespace fetched


def test_link_checker_catches_a_dangling_link(sites, tmp_path):
    copy = tmp_path / "site"
    copy.mkdir()
    (copy / "index.html").write_text('<a href="clusters/nope.html">x</a><a href="#gone">y</a>')
    assert broken_links(copy) == [
        "index.html: missing clusters/nope.html",
        "index.html: no #gone in index.html",
    ]


def test_cluster_page_shows_path_drivers_policy_and_peers(sites, outputs):
    key = recommended_key(outputs)
    record, row = outputs.records[key], outputs.scores.set_index(["cluster_id", "year"]).loc[key]
    zh = (sites["zh"] / cluster_page(*key)).read_text(encoding="utf-8")
    en = (sites["en"] / cluster_page(*key)).read_text(encoding="utf-8")
    assert row["path_zh"] in zh and row["path_en"] in en
    for driver in record["drivers"]:
        assert driver["name_zh"] in zh and driver["name_en"] in en
        assert driver["value_zh"] in zh
        assert all(f'href="#p-{p["id"]}"' in zh for p in driver["passages"])
    assert record["policy"]["text"] in zh and record["policy"]["summary_en"] in en
    assert "高于同年" in zh and "of other clusters in" in en
    assert row["extract_fingerprint"] in zh and f"v{row['model_version']}" in zh
    assert zh.count('<svg class="chart"') == 3  # probabilities, waterfall, years


def test_waterfall_adds_up_to_the_paths_shap_total(outputs):
    site = site_data(outputs, load_text("en"))
    key = recommended_key(outputs)
    chart = waterfall_chart(site, key, outputs.records[key])
    shap = outputs.recommended.loc[key, "shap"]
    record = outputs.records[key]
    bars = [p.bar for p in chart.rows]
    assert len(bars) == 1 + len(record["drivers"]) + len(record["holds_back"]) + 1 + 1
    assert record["shap_base"] is not None
    assert bars[0].end == pytest.approx(record["shap_base"])
    assert bars[-1].end == pytest.approx(record["shap_base"] + shap.sum())
    # the bars draw the parquet's SHAP; the file gives six significant digits
    assert bars[1].end - bars[1].start == pytest.approx(record["drivers"][0]["shap"], rel=1e-5)
    assert bars[-2].label == f"Other {len(shap) - len(bars) + 3} indicators"


def test_peers_are_other_clusters_of_the_same_year(outputs):
    site = site_data(outputs, load_text("zh"))
    assert site.peers
    for (cluster_id, year), peer_ids in site.peers.items():
        assert len(peer_ids) == 3 and cluster_id not in peer_ids
        assert all(site.rows[(p, year)]["path"] for p in peer_ids)  # scored, with a profile
    assert all(site.rows[key]["path"] for key in site.peers)


def test_rows_without_recommendation_say_why(sites, outputs):
    row = outputs.scores[outputs.scores["flag"] == "insufficient_data"].iloc[0]
    html = (sites["zh"] / cluster_page(row.cluster_id, row.year)).read_text(encoding="utf-8")
    assert "未推荐（数据不足）" in html and row["flag_reason"] in html
    assert 'id="drivers"' in html and "本年份未给出推荐" in html


def test_what_if_says_when_the_search_was_not_run(outputs):
    key = recommended_key(outputs, with_what_if=True)
    site = site_data(outputs, load_text("en"))
    assert what_if(site, outputs.records[key])["changes"]
    document = {
        **outputs.document,
        "cluster_years": [
            {**r, "what_would_change": None} for r in outputs.document["cluster_years"]
        ],
    }
    blank = site_data(dataclasses.replace(outputs, document=document), load_text("en"))
    assert "--no-what-if" in what_if(blank, blank.outputs.records[key])["sentence"]


def test_evaluation_reads_the_training_metrics():
    metrics = {
        "holdout_n": 305.0,
        "holdout_macro_f1": 0.9081,
        "baseline_logistic_holdout_macro_f1": 0.8885,
        "baseline_custom_holdout_macro_f1": 0.5,
        "holdout_ece": 0.032,
        "holdout_conformal_coverage": 0.925,
    }
    site = site_data(ScoreOutputs(pd.DataFrame(), pd.DataFrame(), {}), load_text("en"))
    said = evaluation(site, metrics)
    assert said[0].startswith("The model was tested on 305 cluster-years")
    assert "Macro-F1 is 0.91" in said[1]
    assert "custom 0.50" in said[2] and "multinomial logistic regression 0.89" in said[2]
    assert "3.2 percentage points" in said[3]
    assert "92 %" in said[4]
    assert evaluation(site, {}) == [load_text("en").eval_missing]


def renamed(outputs: ScoreOutputs, old: str, new_id: str, new_name: str) -> ScoreOutputs:
    """The same outputs with one cluster given a hostile id and name."""
    scores = outputs.scores.copy()
    scores["cluster_name"] = scores["cluster_name"].astype(object)
    scores.loc[scores.cluster_id == old, "cluster_name"] = new_name
    scores["cluster_id"] = scores["cluster_id"].replace(old, new_id)
    explanations = outputs.explanations.assign(
        cluster_id=outputs.explanations["cluster_id"].replace(old, new_id)
    )
    records = [
        {**r, "cluster_id": new_id, "cluster_name": new_name} if r["cluster_id"] == old else r
        for r in outputs.document["cluster_years"]
    ]
    return ScoreOutputs(scores, explanations, {**outputs.document, "cluster_years": records})


def test_hostile_ids_and_names_neither_escape_nor_inject(outputs, tmp_path):
    old = recommended_key(outputs)[0]
    hostile = renamed(outputs, old, "../../x", '<script>alert("x")</script>')
    site = tmp_path / "deep" / "site"
    site.mkdir(parents=True)
    render_site(hostile, "zh", site)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(site in p.parents for p in written)
    assert not (tmp_path / "x").exists()
    assert broken_links(site) == []
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in index
    assert re.search(r'href="clusters/x-[0-9a-f]{8}-\d{4}\.html"', index)


def test_same_outputs_give_the_same_site(outputs, sites, tmp_path):
    render_site(outputs, "zh", tmp_path)
    for page in sites["zh"].rglob("*.html"):
        assert page.read_bytes() == (tmp_path / page.relative_to(sites["zh"])).read_bytes()


def test_strings_must_exist_in_both_languages(tmp_path):
    half = tmp_path / "strings.yaml"
    half.write_text("title: {zh: 标题}\nok: {zh: 好, en: fine}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="title"):
        load_text("zh", half)
    with pytest.raises(ValueError, match="unknown language"):
        load_text("fr")


def test_refuses_a_folder_with_other_files_and_keeps_them(scores_dir, tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ContractError, match=r"notes\.txt"):
        run_report(scores_dir, tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    other_site = tmp_path / "other"
    other_site.mkdir()
    (other_site / "index.html").write_text("someone else's", encoding="utf-8")
    with pytest.raises(ContractError, match="no clusterpath report"):
        run_report(scores_dir, other_site)


def test_failure_leaves_the_previous_report_whole(scores_dir, tmp_path, monkeypatch):
    out = tmp_path / "reports"
    run_report(scores_dir, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(outputs, lang, folder, *readings, **final):
        (folder / "index.html").write_text("half", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(report_job, "render_site", broken)
    with pytest.raises(OSError):
        run_report(scores_dir, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["reports"]


def test_cli_prints_the_index_and_exits_2_on_bad_input(scores_dir, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(
        app, ["report", str(scores_dir), "--out", str(tmp_path / "r"), "--lang", "en"]
    )
    assert ok.exit_code == 0, ok.output
    index = tmp_path / "r" / "index.html"
    assert ok.output.strip().splitlines()[-1] == str(index.resolve())
    assert 'lang="en"' in index.read_text(encoding="utf-8")
    again = runner.invoke(app, ["report", str(scores_dir), "--out", str(tmp_path / "r")])
    assert again.exit_code == 0, again.output  # a previous report is replaced
    assert 'lang="zh-CN"' in index.read_text(encoding="utf-8")
    missing = runner.invoke(app, ["report", str(tmp_path / "none"), "--out", str(tmp_path / "s")])
    assert missing.exit_code == 2 and "scores.parquet" in missing.output
    language = runner.invoke(
        app, ["report", str(scores_dir), "--out", str(tmp_path / "t"), "--lang", "fr"]
    )
    assert language.exit_code == 2
    unknown = runner.invoke(
        app,
        ["report", str(scores_dir), "--out", str(tmp_path / "u"), "--pdf", "--cluster", "nope"],
    )
    assert unknown.exit_code == 2 and "nope" in unknown.output
    assert not (tmp_path / "s").exists() and not (tmp_path / "u").exists()


@pytest.mark.parametrize(
    ("lang", "title", "estimate"),
    [("zh", "数据健康", "估计准确率"), ("en", "Data health", "Estimated accuracy")],
)
def test_overview_has_a_data_health_panel(sites, outputs, lang, title, estimate):
    """The monitoring of the scored batch, in the site's language, with its drift chart."""
    html = (sites[lang] / "index.html").read_text(encoding="utf-8")
    panel = html[html.index('<section id="health">') : html.index('<section id="all">')]
    assert title in panel and estimate in panel
    shown = f"{100 * outputs.monitoring['estimated_accuracy']:.1f}"
    assert shown.rstrip("0").rstrip(".") in panel
    assert "<svg" in panel  # the indicators that moved most


def test_a_folder_scored_without_monitoring_has_no_panel(outputs, tmp_path):
    from dataclasses import replace

    from clusterpath.report.site import render_site

    render_site(replace(outputs, monitoring=None), "en", tmp_path / "site")
    assert 'id="health"' not in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
