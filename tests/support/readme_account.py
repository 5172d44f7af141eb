"""The account whose ``running-model status`` the README shows (tests/cli/golden/readme_status.txt):
four projects as a team might have them, with a version of each verdict (two declared)."""

from __future__ import annotations

from support.account import FakeAccount, version_arn

# What the README's example is run with: a price per inference-unit-hour (USD in us-east-1 at writing).
README_ARGUMENTS = ("status", "--region", "eu-west-1", "--price-per-unit-hour", "4")


def readme_account(account: FakeAccount) -> None:
    """Arrange the README's account: LineInspection keeps the current defect detector running (declared);
    LineInspectionStaging was deleted and forgot the previous one (FORGOTTEN); WarehouseVision keeps the
    pallet labeller on 1 to 3 units (declared) and holds its nightly model outside its window (idle);
    somebody started a shelf-audit version by hand (UNMANAGED); an old logo-check version is stopped."""
    line = account.stack("LineInspection", ["DefectDetector8C2F1A3B"])
    staging = account.stack("LineInspectionStaging", ["DefectDetector8C2F1A3B"])
    warehouse = account.stack("WarehouseVision", ["PalletLabels4E7D09C2", "NightlyPallets1B6A5F38"])

    current = account.model("defect-detector", "defect-detector.2026-03-02T09.14.51", units=2, timestamp=1772442891000)
    account.register(current, line, "DefectDetector8C2F1A3B")
    previous = account.model("defect-detector", "defect-detector.2026-01-19T16.40.07", timestamp=1768840807000)
    account.register(previous, staging, "DefectDetector8C2F1A3B")

    pallets = version_arn("pallet-labels", "pallet-labels.2026-02-24T11.05.33", timestamp=1771931133000)
    account.rekognition.add_model(pallets, status="RUNNING", min_units=1, max_units=3)
    account.register(pallets, warehouse, "PalletLabels4E7D09C2")
    nightly = account.model(
        "pallet-labels", "pallet-labels.2026-02-10T22.31.45", status="STOPPED", timestamp=1770762705000
    )
    account.register(nightly, warehouse, "NightlyPallets1B6A5F38", idle=True)

    account.model("shelf-audit", "shelf-audit.2025-12-08T14.22.10", timestamp=1765203730000)
    account.model("logo-check", "logo-check.2025-10-14T08.03.27", status="STOPPED", timestamp=1760429007000)
    account.delete_stack(staging)
