"""The status table for people: one line per owner (a version without owners takes one line), in
aligned columns, then a summary that says what to do about FORGOTTEN and UNMANAGED versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import terminal
from .survey import DECLARED, FORGOTTEN, IDLE, LIVE, STALE, STOPPED, UNKNOWN, UNMANAGED, OwnerReport, VersionReport

_VERDICT_STYLES = {
    FORGOTTEN: terminal.BOLD_RED,
    UNMANAGED: terminal.BOLD_RED,
    IDLE: terminal.YELLOW,
    DECLARED: terminal.GREEN,
    STOPPED: terminal.DIM,
}
_STANDING_STYLES = {STALE: terminal.RED, UNKNOWN: terminal.YELLOW, LIVE: terminal.GREEN}
_RIGHT_ALIGNED = frozenset({"UNITS", "UNIT-H/DAY", "COST/DAY"})
_GAP = "  "


@dataclass(frozen=True)
class Style:
    """How to write: ``colour`` (ANSI) or not; ``dash`` between min and max units ("–", or "-" where the
    stream cannot write it); ``verbose`` adds each owner's reason."""

    colour: bool = False
    dash: str = "–"
    verbose: bool = False


@dataclass(frozen=True)
class _Cell:
    text: str
    style: str | None = None


def render(reports: Sequence[VersionReport], price: float | None, look: Style) -> list[str]:
    """The table's lines, header first; a COST/DAY column when ``price`` (per inference-unit-hour) is given."""
    headers = ["PROJECT", "VERSION", "STATUS", "UNITS", "VERDICT", "UNIT-H/DAY"]
    headers += ["COST/DAY"] if price is not None else []
    headers += ["OWNER", "WANTS", "STANDING"] + (["REASON"] if look.verbose else [])
    rows = [[_Cell(header) for header in headers]]
    for report in reports:
        rows.extend(_rows(report, price, look))
    widths = [max(len(row[column].text) for row in rows) for column in range(len(headers))]
    right = [header in _RIGHT_ALIGNED for header in headers]
    return [_line(row, widths, right, look.colour) for row in rows]


def summary(reports: Sequence[VersionReport], price: float | None, look: Style) -> list[str]:
    """What the table adds up to, and the commands that end each FORGOTTEN and UNMANAGED version's bill."""
    billed = [report for report in reports if report.billed]
    unit_hours = sum(report.unit_hours_per_day for report in reports)
    cost = f", {unit_hours * price:.2f} a day at {price:g} an inference-unit-hour" if price is not None else ""
    lines = [
        f"{_count(len(reports), 'version')}, {len(billed)} billed: {unit_hours:g} inference-unit-hours a day{cost}."
    ]
    forgotten = [report for report in reports if report.verdict == FORGOTTEN]
    if forgotten:
        lines.append(
            f"{terminal.style(_count(len(forgotten), FORGOTTEN, plural=FORGOTTEN), terminal.BOLD_RED, look.colour)} "
            "(billed, every owner stale): releasing a stale owner stops the version:"
        )
        lines += [
            f"  running-model release {report.arn} --owner {owner.label or owner.key}"
            for report in forgotten
            for owner in by_label(report)
        ]
    unmanaged = [report for report in reports if report.verdict == UNMANAGED]
    if unmanaged:
        lines.append(
            f"{terminal.style(_count(len(unmanaged), UNMANAGED, plural=UNMANAGED), terminal.BOLD_RED, look.colour)} "
            "(billed, no owner): stop it, or declare a RunningModel for it:"
        )
        lines += [f"  aws rekognition stop-project-version --project-version-arn {report.arn}" for report in unmanaged]
    uncertain = any(owner.standing.state != LIVE for report in reports for owner in report.owners)
    if uncertain and not look.verbose:
        lines.append("-v shows why each owner is stale or unknown (unknown: CloudFormation gave no certain answer).")
    return lines


def units(report: VersionReport, dash: str = "–") -> str:
    """``min``, or ``min–max`` when they differ; "-" when the version has none."""
    if report.min_units is None:
        return "-"
    if report.max_units is None or report.max_units == report.min_units:
        return str(report.min_units)
    return f"{report.min_units}{dash}{report.max_units}"


def by_label(report: VersionReport) -> list[OwnerReport]:
    """The version's owners in the order people look for them: by ``stack/logical id``."""
    return sorted(report.owners, key=lambda owner: (owner.label, owner.key))


def _rows(report: VersionReport, price: float | None, look: Style) -> list[list[_Cell]]:
    version = [
        _Cell(report.project),
        _Cell(report.version),
        _Cell(report.status),
        _Cell(units(report, look.dash)),
        _Cell(report.verdict, _VERDICT_STYLES.get(report.verdict)),
        _Cell(f"{report.unit_hours_per_day:g}"),
    ]
    if price is not None:
        version.append(_Cell(f"{report.unit_hours_per_day * price:.2f}"))
    blank = [_Cell("") for _ in version]
    owners = [
        [
            _Cell(owner.label or owner.key),
            _Cell("running" if owner.wants_running else "idle"),
            _Cell(owner.standing.state, _STANDING_STYLES.get(owner.standing.state)),
        ]
        + ([_Cell(owner.standing.reason)] if look.verbose else [])
        for owner in by_label(report)
    ]
    if not owners:
        owners = [[_Cell("-"), _Cell(""), _Cell("")] + ([_Cell("")] if look.verbose else [])]
    return [(version if index == 0 else blank) + cells for index, cells in enumerate(owners)]


def _line(row: list[_Cell], widths: list[int], right: list[bool], colour: bool) -> str:
    parts = []
    for cell, width, right_aligned in zip(row, widths, right, strict=True):
        padding = " " * (width - len(cell.text))
        text = terminal.style(cell.text, cell.style, colour)
        parts.append(padding + text if right_aligned else text + padding)
    return _GAP.join(parts).rstrip()


def _count(count: int, noun: str, *, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
