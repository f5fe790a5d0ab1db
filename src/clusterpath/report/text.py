"""The words of the report, Chinese and English, read from one data file (strings.yaml).

Templates never hold prose: every label and sentence is a key here, so a translation is
reviewed in one place and a key missing in one language fails on load, not on a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from clusterpath.resources import read_yaml

LANGUAGES = ("zh", "en")
STRINGS_FILE = Path(__file__).parent / "strings.yaml"


@dataclass(frozen=True)
class Text:
    """The strings of one language; ``t.key`` in templates, ``t.fmt(key, n=3)`` with values."""

    lang: str
    table: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.table[key]

    def __getattr__(self, key: str) -> str:
        try:
            return self.table[key]
        except KeyError:
            raise AttributeError(key) from None

    def fmt(self, key: str, **values: object) -> str:
        """Fill a sentence's ``{placeholders}``; values are escaped by the template later."""
        return self.table[key].format(**values)


def load_text(lang: str, path: Path = STRINGS_FILE) -> Text:
    """Strings of ``lang``; every key must be given in every language."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    raw: dict[str, dict[str, str]] = read_yaml(path)
    incomplete = sorted(
        str(k) for k, v in raw.items() if not isinstance(k, str) or set(v) != set(LANGUAGES)
    )
    if incomplete:
        raise ValueError(f"{path}: keys not given in {'/'.join(LANGUAGES)}: {incomplete[:5]}")
    return Text(lang, {key: str(value[lang]) for key, value in raw.items()})
