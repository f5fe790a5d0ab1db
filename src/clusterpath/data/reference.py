"""Reference tables declared once as data: the five paths, industry divisions, SEI domains.

Every module that needs a path name, an industry's sector group or a domain's core divisions
reads it from here, so the words in reports and the rules in features cannot drift apart.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from clusterpath.resources import Declared, locate, read_yaml


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InnovationPath(_Frozen):
    """One of the paper's five innovation paths (a class the model predicts)."""

    code: str
    name_zh: str
    name_en: str
    policy_passage: str
    innovation_source: str
    diffusion: str
    uncertainty: str


class Industry(_Frozen):
    """A GB/T 4754-2017 division with the groupings the indicators need."""

    code: str
    name_zh: str
    name_en: str
    group: str
    traditional: bool
    digital: bool
    reason: str = ""  # why a division counts as traditional
    legacy_related: bool = False  # a legacy base equipment and materials clusters grow from


class Section(_Frozen):
    """A GB/T 4754-2017 section (门类): its letter and the divisions it holds."""

    letter: str
    first: str
    last: str
    name_zh: str


class Domain(_Frozen):
    """A strategic-emerging-industry domain, the divisions its clusters concentrate in, and
    the other names analysts give it (read as the code)."""

    code: str
    name_zh: str
    name_en: str
    core_divisions: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the domain may be written as, its code first."""
        return (self.code, self.name_zh, self.name_en, *self.aliases)


class Reference(_Frozen):
    """All reference tables together, checked for internal consistency on load."""

    paths: tuple[InnovationPath, ...]
    industries: tuple[Industry, ...]
    sections: tuple[Section, ...]
    domains: tuple[Domain, ...]

    @cached_property
    def path_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.paths)

    @cached_property
    def industry_by_code(self) -> dict[str, Industry]:
        return {i.code: i for i in self.industries}

    @cached_property
    def domain_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.domains)

    @cached_property
    def domain_names(self) -> tuple[tuple[str, str], ...]:
        """(name, code) for every name of every domain, codes included."""
        return tuple((name, d.code) for d in self.domains for name in d.names)

    @cached_property
    def section_spans(self) -> tuple[tuple[str, int, int], ...]:
        """(letter, first division, last division) of every section."""
        return tuple((s.letter, int(s.first), int(s.last)) for s in self.sections)

    def path(self, code: str) -> InnovationPath:
        for p in self.paths:
            if p.code == code:
                return p
        raise KeyError(f"unknown path {code!r}; expected one of {', '.join(self.path_codes)}")

    def domain(self, code: str) -> Domain:
        for d in self.domains:
            if d.code == code:
                return d
        raise KeyError(f"unknown domain {code!r}")


def _read_list(path: Path, key: str) -> list[dict]:
    return read_yaml(path)[key]


def _check_names(ref: Reference) -> None:
    """No domain name may stand for two domains once names are compared as read."""
    from clusterpath.data.codes import name_key

    seen: dict[str, str] = {}
    for name, code in ref.domain_names:
        other = seen.setdefault(name_key(name), code)
        if other != code:
            raise ValueError(f"domains.yaml: name {name!r} stands for {other} and {code}")


def _check_sections(ref: Reference) -> None:
    """Sections cover the divisions 01-97 once each, in order."""
    covered = [d for _, first, last in ref.section_spans for d in range(first, last + 1)]
    if covered != list(range(1, 98)):
        raise ValueError("industries.yaml: sections must cover divisions 01-97 once, in order")


def _check(ref: Reference) -> None:
    for name, codes in (
        ("path", ref.path_codes),
        ("industry", tuple(ref.industry_by_code)),
        ("domain", ref.domain_codes),
    ):
        if len(set(codes)) != len(codes):
            raise ValueError(f"reference tables: duplicate {name} code")
    unexplained = [i.code for i in ref.industries if i.traditional and not i.reason.strip()]
    if unexplained:
        raise ValueError(f"industries.yaml: traditional divisions {unexplained} give no reason")
    if len(ref.industry_by_code) != len(ref.industries):
        raise ValueError("reference tables: duplicate industry code")
    for d in ref.domains:
        missing = [c for c in d.core_divisions if c not in ref.industry_by_code]
        if missing:
            raise ValueError(f"domain {d.code}: core divisions {missing} not in industries.yaml")
    _check_names(ref)
    _check_sections(ref)


def load_reference(folder: Path | None = None) -> Reference:
    """Load and check ``paths.yaml``, ``industries.yaml`` and ``domains.yaml``."""
    folder = folder or locate(Declared.REFERENCE)
    ref = Reference(
        paths=tuple(InnovationPath(**p) for p in _read_list(folder / "paths.yaml", "paths")),
        industries=tuple(
            Industry(**i) for i in _read_list(folder / "industries.yaml", "industries")
        ),
        sections=tuple(Section(**s) for s in _read_list(folder / "industries.yaml", "sections")),
        domains=tuple(Domain(**d) for d in _read_list(folder / "domains.yaml", "domains")),
    )
    _check(ref)
    return ref
