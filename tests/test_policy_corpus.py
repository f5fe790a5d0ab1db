"""The policy corpus must be the paper, whole and verbatim, under the ids reports cite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from clusterpath.data.policy import PolicyCorpus, load_policy_corpus
from clusterpath.resources import Declared, locate

REPO = Path(__file__).resolve().parents[1]
PASSAGES = locate(Declared.POLICY)
# The committed copy is what the text tests read, so they run without the shared folder.
SEED_COPY = REPO / "tests" / "fixtures" / "seed_paper.txt"
SHARED_SEED = REPO / ".." / "shared" / "seed" / "000_123a0c77fbadff7c.txt"

OUTLINE = [
    "abstract",
    "1.1",
    "1.1.a",
    "1.1.b",
    "1.1.c",
    "1.1.d",
    "1.1.e",
    "1.2",
    "1.2.1",
    "1.2.2",
    "2",
    "3.1.3",
    "3.1.4",
    "3.2.1",
    "3.2.2",
    "3.2.3",
    "3.2.4",
    "3.2.5",
    "conclusion",
]
PATH_PASSAGES = {
    "giant_anchored": "3.2.1",
    "upgrade": "3.2.2",
    "convergence": "3.2.3",
    "introduction": "3.2.4",
    "indigenous": "3.2.5",
}
CAPTIONS = {"中关村环保科技示范园", "成都高新区AI创新中心", "广州国际生物岛", "合肥高新区量子大道"}


def _is_heading(line: str) -> bool:
    return line.startswith(("#", "►"))


def _sentences(text: str) -> list[str]:
    """Split on 。！？ (kept), line by line, so no 'sentence' spans two paragraphs."""
    parts = (re.split(r"(?<=[。！？])", line) for line in text.splitlines())
    return [s.strip() for chunk in parts for s in chunk if s.strip()]


def _seed_lines() -> list[str]:
    return [ln.strip() for ln in SEED_COPY.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _seed_body_sentences() -> list[str]:
    body = [ln for ln in _seed_lines() if not _is_heading(ln) and ln not in CAPTIONS]
    return _sentences("\n".join(body))


@pytest.fixture(scope="module")
def corpus() -> PolicyCorpus:
    return load_policy_corpus()


def test_ids_are_unique_and_follow_the_outline(corpus: PolicyCorpus) -> None:
    assert list(corpus.ids) == OUTLINE


def test_every_passage_has_text_and_english(corpus: PolicyCorpus) -> None:
    for p in corpus.passages:
        assert p.text.strip(), p.id
        assert p.title_en.strip() and p.summary_en.strip(), p.id


def test_traits_and_truncation_are_flagged(corpus: PolicyCorpus) -> None:
    traits = [p for p in corpus.passages if p.trait]
    assert [p.id for p in traits] == [f"1.1.{c}" for c in "abcde"]
    for p, ordinal in zip(traits, "一二三四五", strict=True):
        # The trait's name is its paragraph's opening clause: 第一,要素集聚度高。
        assert p.text.startswith(f"第{ordinal},{p.title_zh}。"), p.id
    assert [p.id for p in corpus.passages if p.truncated] == ["3.1.3"]


def test_each_path_maps_to_its_policy_passage_in_order(corpus: PolicyCorpus) -> None:
    assert [code for code, _ in corpus.path_passages] == list(PATH_PASSAGES)
    for code, passage_id in PATH_PASSAGES.items():
        assert corpus.for_path(code).id == passage_id
        assert corpus.for_path(code).section_title == "推进分类施策管理,匹配集群创新路径"


def test_unknown_lookups_raise_key_error(corpus: PolicyCorpus) -> None:
    with pytest.raises(KeyError):
        corpus.get("9.9")
    with pytest.raises(KeyError):
        corpus.for_path("unknown")


def test_fixture_is_the_shared_seed() -> None:
    if not SHARED_SEED.is_file():
        pytest.skip("shared seed folder absent; the committed copy stands in")
    assert SEED_COPY.read_bytes() == SHARED_SEED.read_bytes()


def test_every_seed_sentence_is_in_some_passage(corpus: PolicyCorpus) -> None:
    texts = [p.text for p in corpus.passages]
    missing = [s for s in _seed_body_sentences() if not any(s in t for t in texts)]
    assert not missing


def test_no_passage_sentence_is_invented(corpus: PolicyCorpus) -> None:
    seed = set(_seed_body_sentences())

    def from_seed(s: str) -> bool:
        # A sentence is either in the seed or two seed fragments joined (1.1.e's cut).
        return s in seed or any(s.startswith(a) and s[len(a) :] in seed for a in seed)

    invented = [s for p in corpus.passages for s in _sentences(p.text) if not from_seed(s)]
    assert not invented


def test_every_heading_survives_as_a_title(corpus: PolicyCorpus) -> None:
    titles = {corpus.source.title, corpus.source.author}
    titles |= {t for p in corpus.passages for t in (p.title_zh, p.section_title) if t}
    notes = " ".join(p.notes or "" for p in corpus.passages)
    numbering = re.compile(r"^(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|\d+\.\s*)")
    for line in filter(_is_heading, _seed_lines()):
        heading = line.lstrip("#► ").strip()
        assert numbering.sub("", heading) in titles or heading in notes, heading


def _write_variant(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load(PASSAGES.read_text(encoding="utf-8"))
    edit(raw["passages"])
    out = tmp_path / "passages.yaml"
    out.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return out


def _duplicate_id(ps: list[dict]) -> None:
    ps[2]["id"] = ps[1]["id"]


def _empty_text(ps: list[dict]) -> None:
    ps[3]["text"] = "  \n"


def _drop_linked_passage(ps: list[dict]) -> None:
    ps[:] = [p for p in ps if p["id"] != "3.2.5"]


def _numeric_id(ps: list[dict]) -> None:
    ps[1]["id"] = 1.1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_duplicate_id, "duplicate passage id '1.1'"),
        (_empty_text, "passage '1.1.b' has empty text"),
        (_drop_linked_passage, "path 'indigenous' links to missing policy passage '3.2.5'"),
        (_numeric_id, "invalid field passages.1.id"),
    ],
)
def test_loader_rejects_a_broken_corpus(tmp_path: Path, edit, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        load_policy_corpus(_write_variant(tmp_path, edit))
    assert "\n" not in str(info.value)


def test_loader_rejects_a_path_pointing_at_no_passage(tmp_path: Path) -> None:
    paths = tmp_path / "paths.yaml"
    paths.write_text("paths:\n  - {code: upgrade, policy_passage: '3.2.9'}\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match=re.escape("'upgrade' links to missing policy passage '3.2.9'")
    ):
        load_policy_corpus(PASSAGES, paths_file=paths)
