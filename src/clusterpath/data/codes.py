"""How the contract reads codes that people write in more than one way.

Industry codes arrive as divisions ("39"), as groups or classes ("391", "3911"), after their
section letter ("C39", "C3911") or as one digit ("5"); domains arrive as codes, Chinese or
English names and short forms. Each distinct value is read to its code here, so the frame
reader and the SQL checks of Parquet extracts read every value the same way. A value that
reads as nothing is kept as written, and the contract's check then names it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

INDUSTRY_CODE = re.compile(r"([A-Za-z]?)([0-9]{1,4})")
SEPARATORS = re.compile(r"[\s_\-]+")


def name_key(text: str) -> str:
    """The form in which names are compared: full-width characters as half-width, no case,
    no blanks, hyphens or underscores ("High-end equipment" = "highendequipment")."""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).casefold()


@dataclass(frozen=True)
class DivisionCodes:
    """GB/T 4754-2017 codes read as their division: the first two digits of a group (3) or
    class (4) code, with or without the section letter; one digit is read as 0N. A letter
    that is not the division's section makes the code unreadable ("A39")."""

    sections: tuple[tuple[str, int, int], ...]  # letter, first and last division
    note: str = (
        "written as group or class codes, with a section letter or as one digit, read as divisions"
    )

    @cached_property
    def _section_of(self) -> dict[int, str]:
        return {d: letter for letter, first, last in self.sections for d in range(first, last + 1)}

    def read(self, raw: str) -> str | None:
        match = INDUSTRY_CODE.fullmatch(raw)
        if match is None:
            return None
        letter, digits = match.groups()
        if len(digits) == 1:
            return None if letter else "0" + digits
        division = int(digits[:2])
        section = self._section_of.get(division)
        if section is None or (letter and letter.upper() != section):
            return None
        return digits[:2]


@dataclass(frozen=True)
class NamedCodes:
    """Codes that may also be written by any of their names (declared in ``source``)."""

    names: tuple[tuple[str, str], ...]  # (name, code), codes themselves included
    source: str
    note: str = "written as names or aliases, read as codes"

    @cached_property
    def _by_key(self) -> dict[str, str]:
        return {name_key(name): code for name, code in self.names}

    def read(self, raw: str) -> str | None:
        return self._by_key.get(name_key(raw))

    def closest(self, raw: str, n: int = 3) -> list[str]:
        """The known names most like ``raw`` (always ``n``, however unlike)."""
        names = [name for name, _ in self.names]
        keys = {name_key(name): name for name in names}
        found = difflib.get_close_matches(name_key(raw), list(keys), n=n, cutoff=0.0)
        return [keys[k] for k in found]


CodeReader = DivisionCodes | NamedCodes


def rewrites(reader: CodeReader, values: Iterable[str]) -> dict[str, str]:
    """The distinct ``values`` that read as another code, each with the code it reads as."""
    found = {}
    for value in values:
        code = reader.read(value)
        if code is not None and code != value:
            found[value] = code
    return found
