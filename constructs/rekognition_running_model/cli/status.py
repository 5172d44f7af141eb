"""``running-model status``: every Custom Labels model version in the region, who keeps it running and
the verdict on it, as a table for people or as JSON (``--json``, README: "The JSON shape")."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from . import table, terminal
from .aws import Aws
from .exit_codes import EXIT_ALARMING, EXIT_OK
from .progress import Progress
from .survey import ALARMING, FORGOTTEN, JSON_SCHEMA_VERSION, UNMANAGED, VersionReport, survey


@dataclass(frozen=True)
class StatusOptions:
    """The command's options: only versions of ``project`` (None: every project); only billed ones
    (``running_only``); ``price`` per inference-unit-hour (None: no costs); ``as_json``; ``verbose``."""

    project: str | None = None
    running_only: bool = False
    price: float | None = None
    as_json: bool = False
    verbose: bool = False


def run(aws: Aws, options: StatusOptions, out: TextIO, err: TextIO) -> int:
    """Survey the region and write the table (or JSON) to ``out``, progress to ``err``. EXIT_ALARMING
    when a version is FORGOTTEN or UNMANAGED, else EXIT_OK."""
    progress = Progress(err, ellipsis=terminal.symbol(err, "…", "..."))
    try:
        reports = survey(
            aws.client("rekognition"),
            aws.cloudformation,
            project=options.project,
            running_only=options.running_only,
            progress=progress,
        )
    finally:
        progress.finish()
    if options.as_json:
        out.write(json.dumps(document(aws.region, reports, options), indent=2) + "\n")
    else:
        out.writelines(line + "\n" for line in _for_people(aws.region, reports, options, out))
    return EXIT_ALARMING if any(report.verdict in ALARMING for report in reports) else EXIT_OK


def document(region: str, reports: Sequence[VersionReport], options: StatusOptions) -> dict[str, Any]:
    """The ``--json`` document (schemaVersion 1): the region, the filters that chose the versions, the
    price, each version (VersionReport.as_json) and a summary."""
    unit_hours = sum(report.unit_hours_per_day for report in reports)
    return {
        "schemaVersion": JSON_SCHEMA_VERSION,
        "region": region,
        "filters": {"project": options.project, "runningOnly": options.running_only},
        "pricePerUnitHour": options.price,
        "versions": [report.as_json(options.price) for report in reports],
        "summary": {
            "versions": len(reports),
            "billed": sum(1 for report in reports if report.billed),
            "forgotten": sum(1 for report in reports if report.verdict == FORGOTTEN),
            "unmanaged": sum(1 for report in reports if report.verdict == UNMANAGED),
            "unitHoursPerDay": unit_hours,
            "costPerDay": None if options.price is None else round(unit_hours * options.price, 2),
        },
    }


def _for_people(region: str, reports: Sequence[VersionReport], options: StatusOptions, out: TextIO) -> list[str]:
    if not reports:
        which = " billed" if options.running_only else ""
        where = f"{region}, project {options.project}" if options.project else region
        return [f"no{which} Custom Labels model versions in {where}"]
    look = table.Style(
        colour=terminal.wants_colour(out, os.environ),
        dash=terminal.symbol(out, "–", "-"),
        verbose=options.verbose,
    )
    return [*table.render(reports, options.price, look), "", *table.summary(reports, options.price, look)]
