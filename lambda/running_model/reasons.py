"""Reasons that CloudFormation shows to a person: short, and cut at the end, never the start."""

# CloudFormation rejects a response whose Reason is longer than this.
REASON_LIMIT = 256


def shorten(text: str, limit: int = REASON_LIMIT) -> str:
    """Return ``text`` on one line, cut to ``limit`` characters with an ellipsis at the cut.

    crhelper keeps the END of a long reason; the beginning, which says what went wrong,
    is the part worth keeping.
    """
    line = " ".join(str(text).split())
    if len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + "…"


def quote(value: object, limit: int = 60) -> str:
    """``repr`` of a received value, cut so that one bad value cannot fill a whole reason."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "…" + text[-3:]
