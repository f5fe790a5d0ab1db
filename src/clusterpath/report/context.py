"""What every page of a site needs, computed once: words, reference data, peers, percentiles.

Names of paths, domains, indicators and passages are read from the project's declared data
(catalogue, reference tables, policy corpus), never written into the report; this object
resolves them for one language so that templates only print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from clusterpath.data.policy import Passage, PolicyCorpus, load_policy_corpus
from clusterpath.data.reference import Reference, load_reference
from clusterpath.features.catalogue import Catalogue, load_catalogue
from clusterpath.report.charts import NEUTRAL, path_colours
from clusterpath.report.inputs import Key, ScoreOutputs
from clusterpath.report.names import cluster_page
from clusterpath.report.profiles import indicator_matrix, percentiles, similar_clusters
from clusterpath.report.text import Text

ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
CONFIDENCE_LEVELS = ("high", "medium", "low", "none")


def percent(share: float | None, digits: int = 1) -> str:
    """0.741 -> ``74.1 %`` (the spacing ``format_value`` uses); missing -> ``—``."""
    return "—" if share is None or pd.isna(share) else f"{share * 100:.{digits}f} %"


def anchor(passage_id: str) -> str:
    """Element id of a quoted passage on a page (ids are data, so keep them tame)."""
    return "p-" + ANCHOR_UNSAFE.sub("_", passage_id)


@dataclass(frozen=True)
class SiteData:
    """A scores folder plus everything needed to write it in one language."""

    outputs: ScoreOutputs
    t: Text
    catalogue: Catalogue
    reference: Reference
    corpus: PolicyCorpus

    @property
    def lang(self) -> str:
        return self.t.lang

    @cached_property
    def rows(self) -> dict[Key, dict]:
        """Scores rows by key, with text columns as plain strings ('' when missing)."""
        frame = self.outputs.scores.copy()
        text = frame.select_dtypes(include=["object", "string"]).columns
        frame[text] = frame[text].astype(object).where(frame[text].notna(), "")
        return {(r["cluster_id"], int(r["year"])): r for r in frame.to_dict("records")}

    @cached_property
    def matrix(self) -> pd.DataFrame:
        return indicator_matrix(self.outputs.recommended)

    @cached_property
    def percentile(self) -> pd.DataFrame:
        return percentiles(self.matrix)

    @cached_property
    def peers(self) -> dict[Key, list[str]]:
        near = similar_clusters(self.matrix)
        grouped = near.groupby(["cluster_id", "year"], sort=False)["peer_id"]
        return {(cid, int(year)): list(ids) for (cid, year), ids in grouped}

    @cached_property
    def years_of(self) -> dict[str, list[Key]]:
        """Each cluster's scored years, oldest first."""
        out: dict[str, list[Key]] = {}
        for key in sorted(self.rows, key=lambda k: (str(k[0]), k[1])):
            out.setdefault(key[0], []).append(key)
        return out

    @cached_property
    def what_if_searched(self) -> bool:
        """Did scoring search for changes at all? (``--no-what-if`` leaves every one empty.)"""
        return any(r.get("what_would_change") for r in self.outputs.records.values())

    @cached_property
    def colours(self) -> dict[str, str]:
        return path_colours(self.reference.path_codes)

    def colour(self, code: str) -> str:
        return self.colours.get(code, NEUTRAL)

    def name(self, item: object) -> str:
        """``name_zh`` or ``name_en`` of a path, domain or indicator (object or record)."""
        field = f"name_{self.lang}"
        return str(item[field] if isinstance(item, dict) else getattr(item, field))

    def path_name(self, code: str) -> str:
        return self.name(self.reference.path(code)) if code else self.t.no_path

    def domain_name(self, code: str) -> str:
        try:
            return self.name(self.reference.domain(code))
        except KeyError:
            return code or "—"

    def passage_title(self, passage: Passage) -> str:
        title = passage.title_zh if self.lang == "zh" else passage.title_en
        return title or passage.title_en

    def passage_link(self, passage_id: str) -> dict:
        passage = self.corpus.get(passage_id)
        return {
            "id": passage.id,
            "title": self.passage_title(passage),
            "href": f"#{anchor(passage.id)}",
        }

    def quote(self, passage_id: str) -> dict:
        """A passage as a page quotes it: the source text, plus our summary in English."""
        p = self.corpus.get(passage_id)
        summary = p.summary_en if self.lang == "en" else ""
        return {
            "id": p.id,
            "anchor": anchor(p.id),
            "section": p.section,
            "title": self.passage_title(p),
            "text": p.text,
            "summary": summary,
        }

    def page(self, key: Key) -> str:
        return cluster_page(*key)


def site_data(outputs: ScoreOutputs, t: Text) -> SiteData:
    """Bind a scores folder to a language and the project's reference data."""
    return SiteData(outputs, t, load_catalogue(), load_reference(), load_policy_corpus())
