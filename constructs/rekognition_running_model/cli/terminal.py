"""What an output stream can show: ANSI colour only on a terminal when NO_COLOR is unset (no-color.org)
and TERM is not ``dumb``; non-ASCII symbols only when its encoding can write them."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import TextIO

BOLD_RED = "1;31"
RED = "31"
GREEN = "32"
YELLOW = "33"
DIM = "2"


def wants_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """True when ``stream`` is a terminal, NO_COLOR is unset or empty, and TERM is not ``dumb``."""
    return stream.isatty() and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def style(text: str, code: str | None, colour: bool) -> str:
    """``text`` in the ANSI style ``code`` when ``colour`` (and there is text to style), else as it is."""
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code and text else text


def symbol(stream: TextIO, preferred: str, fallback: str) -> str:
    """``preferred`` if ``stream``'s encoding can write it (UTF-8 mostly), else ``fallback``."""
    try:
        codecs.encode(preferred, getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return fallback
    return preferred
