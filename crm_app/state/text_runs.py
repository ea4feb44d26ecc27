"""Free text (notes, summaries) cut into runs, so mixed Hebrew and English read right.

Each run is shown in its own bidirectional isolate: phone numbers, emails and other
numbers as one left-to-right piece that never breaks across lines, Latin-script words
left to right, and the rest (Hebrew, spaces, punctuation) in the line's own direction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PHONE = r"\+?\d(?:[\d\-. ]?\d){6,}"
_NUMBER = r"\d+(?:[.,:/]\d+)*(?: ?(?:%|KB|MB|GB|B)\b)?"
_WORD = r"(?![\w.+-]*@)[A-Za-z][A-Za-z0-9'&._/-]*"
_LATIN = rf"{_WORD}(?:[ ,:]+{_WORD})*"
_RUN = re.compile(rf"(?P<whole>{_EMAIL}|{_PHONE}|{_NUMBER})|(?P<latin>{_LATIN})")


@dataclass(frozen=True)
class TextRun:
    """A piece of text: ``plain`` (the line's direction), ``ltr`` words or a ``whole`` number."""

    text: str
    kind: str


def text_runs(text: str) -> list[TextRun]:
    """``text`` cut into plain, left-to-right and unbreakable (phone, email, number) runs."""
    runs: list[TextRun] = []
    at = 0
    for match in _RUN.finditer(text):
        if match.start() > at:
            runs.append(TextRun(text[at : match.start()], "plain"))
        runs.append(TextRun(match.group(), "whole" if match.group("whole") else "ltr"))
        at = match.end()
    if at < len(text):
        runs.append(TextRun(text[at:], "plain"))
    return runs
