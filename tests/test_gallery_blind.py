"""The gallery is built blind to the path: every number is documented or its domain default.

The reading (labels) must shape nothing the model reads. These tests hold every undocumented
value of every spec to the defaults table, refuse a number set by hand, and check that every
source a value rests on is quoted.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import yaml
from pydantic import ValidationError

from clusterpath.data.gallery.defaults import SyntheticFirms, load_defaults
from clusterpath.data.gallery.generate import named_entities
from clusterpath.data.gallery.leaders import anchor_keys, anchors_by_revenue
from clusterpath.data.gallery.resolve import resolve
from clusterpath.data.gallery.spec import DEFAULTED, ClusterSpec, load_specs
from clusterpath.data.reference import load_reference
from clusterpath.resources import Declared, locate

GALLERY = locate(Declared.GALLERY)


@pytest.fixture(scope="module")
def built() -> list[ClusterSpec]:
    return [s for s in load_specs(GALLERY) if s.built]


def _default_of(table, entity_type: str, field: str, first_year: int):
    fallback = table.named[entity_type]
    if field == "founded_year":
        return first_year - fallback.age
    if field == "rd_intensity" and fallback.rd_intensity is None:
        return table.rd_intensity_median
    if field in ("invention_patents", "utility_patents"):
        inventions, utility = table.named_patents(entity_type)
        return inventions if field == "invention_patents" else utility
    return getattr(fallback, field)


def test_every_undocumented_named_value_is_its_domain_default(built):
    defaults = load_defaults()
    for spec in built:
        table = defaults.table(spec.domain)
        for entity in resolve(spec).named:
            for field in DEFAULTED:
                if field in entity.documented:
                    continue
                expected = _default_of(table, entity.entity_type, field, spec.years[0])
                assert getattr(entity, field) == expected, (spec.slug, entity.key, field)


def test_every_undocumented_shape_value_is_its_domain_default(built):
    defaults = load_defaults()
    for spec in built:
        table = defaults.table(spec.domain)
        shape = table.firms()
        cluster = resolve(spec)
        for field in SyntheticFirms.model_fields:
            if field in cluster.documented:
                continue
            assert getattr(cluster.firms, field) == getattr(shape, field), (spec.slug, field)
        assert cluster.pattern == table.links, spec.slug


def test_documented_shape_values_name_a_quoted_source(built):
    for spec in built:
        for field, ref in resolve(spec).documented.items():
            assert spec.quotes[ref].strip(), (spec.slug, field, ref)


def test_every_source_key_used_has_a_quote(built):
    for spec in load_specs(GALLERY):
        for key in spec.source_keys():
            assert key in spec.sources and spec.quotes.get(key, "").strip(), (spec.slug, key)


def _raw(slug: str) -> dict:
    return yaml.safe_load((GALLERY / slug / "cluster.yaml").read_text(encoding="utf-8"))


def test_a_number_set_by_hand_is_refused():
    raw = _raw("zhuzhou_rail")
    entity = next(e for e in raw["named"] if "employees" not in e)
    entity["employees"] = 4000  # no source key in `documented`
    with pytest.raises(ValidationError, match="without a source key"):
        ClusterSpec(**raw)


def test_a_shape_of_its_own_is_refused():
    raw = _raw("zhuzhou_rail")
    raw["firms"] = {"divisions": {"37": 1.0}}
    with pytest.raises(ValidationError, match="firms"):
        ClusterSpec(**raw)


def test_a_value_resting_on_an_unquoted_source_is_refused():
    raw = _raw("zhuzhou_rail")
    del raw["quotes"]["people2023"]
    with pytest.raises(ValidationError, match="people2023"):
        ClusterSpec(**raw)


def test_the_defaults_know_no_path():
    text = (GALLERY / "defaults.yaml").read_text(encoding="utf-8")
    for code in load_reference().path_codes:
        assert code not in text, code
    assert set(load_defaults().domains) == set(load_reference().domain_codes)


def _tiny(revenues: dict[str, float | None], total: float) -> ClusterSpec:
    raw = copy.deepcopy(_raw("zhuzhou_rail"))
    raw["total_revenue"] = total
    raw["links"] = []
    raw["named"] = []
    for key, revenue in revenues.items():
        entity = {"key": key, "name": key, "name_en": key, "industry_code": "37"}
        if revenue is not None:
            entity |= {"revenue": revenue, "documented": {"revenue": "people2023"}}
        raw["named"].append(entity)
    return ClusterSpec(**raw)


def test_anchors_follow_the_declared_rule_not_a_hand_pick():
    # total 1,000,000; the rule's share is 10 %: 150,000 and exactly 100,000 qualify,
    # 90,000 does not
    assert load_defaults().table("high_end_equipment").links.anchor_revenue_share == 0.1
    revenues = {"big": 150_000.0, "edge": 100_000.0, "small": 90_000.0}
    assert anchor_keys(revenues, 1_000_000.0, 0.1) == ("big", "edge")


def test_a_named_leader_drawn_among_the_largest_anchors_by_the_same_rule():
    # first-year enterprise revenue 1,000,000: big 150,000 (documented), unknown 200,000
    # (drawn among the largest), small 90,000 and seven unnamed firms of 80,000; the rule's
    # 10 % makes big and unknown anchors, small not
    spec = _tiny({"big": 150_000, "small": 90_000, "unknown": None}, 1_000_000)
    cluster = resolve(spec)
    named = named_entities(cluster)
    named = [named[0], named[1], replace(named[2], revenue=200_000.0)]
    unnamed = [replace(named[1], firm_id=f"G-S{i}", revenue=80_000.0) for i in range(7)]
    assert sum(e.revenue for e in named + unnamed) == 1_000_000
    assert anchors_by_revenue(cluster, named, unnamed) == ("big", "unknown")
    # total 1,560,000 with the unnamed firms twice: 10 % is 156,000, above big
    assert anchors_by_revenue(cluster, named, unnamed * 2) == ("unknown",)
