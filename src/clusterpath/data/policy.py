"""The policy paper as a typed corpus of passages, so explanations can cite its exact sentences.

The text lives in ``data/policy/passages.yaml`` (verbatim Chinese under stable ids); this module
only reads and checks it. The checks run on every load because reports quote passages by id and
map each predicted path to its policy passage: a duplicate, an empty text or a dangling link
would otherwise surface as a wrong citation, not an error.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from clusterpath.resources import Declared, locate, read_yaml


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """Where the passages come from (title, issuing body, seed file name)."""

    title: str
    author: str
    file: str


class Passage(_Frozen):
    """One passage of the paper; ``text`` is the source verbatim, the English is ours."""

    id: str
    section: str
    section_title: str | None = None
    title_zh: str | None
    title_en: str
    truncated: bool = False
    trait: bool = False
    summary_en: str
    notes: str | None = None
    text: str


class PolicyCorpus(_Frozen):
    """All passages in document order, plus which passage speaks to each innovation path."""

    source: Source
    passages: tuple[Passage, ...]
    path_passages: tuple[tuple[str, str], ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.passages)

    def get(self, passage_id: str) -> Passage:
        for p in self.passages:
            if p.id == passage_id:
                return p
        raise KeyError(f"unknown policy passage {passage_id!r}")

    def for_path(self, path_code: str) -> Passage:
        """Return the 三(二) passage with the policy advice for one innovation path."""
        links = dict(self.path_passages)
        if path_code not in links:
            raise KeyError(f"unknown path {path_code!r}; expected one of {', '.join(links)}")
        return self.get(links[path_code])


def _read_path_links(paths_file: Path) -> tuple[tuple[str, str], ...]:
    """Path code -> passage id from paths.yaml (kept here until a shared paths loader exists)."""
    rows = read_yaml(paths_file)["paths"]
    return tuple((str(r["code"]), str(r["policy_passage"])) for r in rows)


def _check(corpus: PolicyCorpus, where: Path) -> None:
    seen: set[str] = set()
    for p in corpus.passages:
        if p.id in seen:
            raise ValueError(f"{where}: duplicate passage id {p.id!r}")
        seen.add(p.id)
        if not p.text.strip():
            raise ValueError(f"{where}: passage {p.id!r} has empty text")
    for code, passage_id in corpus.path_passages:
        if passage_id not in seen:
            raise ValueError(f"path {code!r} links to missing policy passage {passage_id!r}")


def load_policy_corpus(
    path: Path | None = None, *, paths_file: Path | None = None
) -> PolicyCorpus:
    """Load ``passages.yaml`` and check it against the path table in ``paths.yaml``.

    Raises ``ValueError`` with a one-line message when a passage id repeats, a passage is empty,
    a field is malformed, or a path's ``policy_passage`` names no passage.
    """
    path = path or locate(Declared.POLICY)
    paths_file = paths_file or locate(Declared.REFERENCE) / "paths.yaml"
    raw = read_yaml(path)
    try:
        corpus = PolicyCorpus(**raw, path_passages=_read_path_links(paths_file))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{path}: invalid field {loc}: {first['msg']}") from None
    _check(corpus, path)
    return corpus
