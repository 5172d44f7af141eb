"""Figures from simulated deployments: the table and the plot."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from simulation import Deployment
from synth_scale import SynthResult

TARGET_LATENCY_P95 = 10.0
TARGET_DESCRIBES_PER_MINUTE = 6.0
TARGET_SYNTH_RATIO = 1.5


def percentile(values: Sequence[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


@dataclass
class Summary:
    ours: list[Deployment]
    baseline: list[Deployment]
    budget: list[Deployment]
    scale: list[Deployment]
    synth_one: SynthResult
    synth_fifty: SynthResult
    scale_peak_rules: int = 0
    scale_peak_policy_statements: int = 0

    def failures(self) -> int:
        everything = self.ours + self.baseline + self.budget + self.scale
        return sum(1 for d in everything if d.create_status != "SUCCESS" or d.delete_status != "SUCCESS")

    def describes_per_model_minute(self) -> float:
        """DescribeProjectVersions calls per minute of waiting for a 20-minute start."""
        return statistics.mean(
            d.describe_calls_while_creating / ((d.create_answered - d.create_sent) / 60) for d in self.budget
        )


def table(summary: Summary) -> str:
    rows: list[tuple[str, float, float, str]] = []

    def measure(name: str, value: Callable[[list[Deployment]], float], unit: str) -> None:
        rows.append((name, value(summary.ours), value(summary.baseline), unit))

    for label, attribute in (("RUNNING->SUCCESS", "running_to_success"), ("STOPPED->SUCCESS", "stopped_to_success")):
        for name, p in (("p50", 50), ("p95", 95), ("max", 100)):
            measure(
                f"{label} {name}",
                lambda ds, a=attribute, p=p: (
                    max(getattr(d, a) for d in ds) if p == 100 else percentile([getattr(d, a) for d in ds], p)
                ),
                "s",
            )
    measure("invocations per deployment", lambda ds: statistics.mean(d.invocations for d in ds), "")
    measure(
        "DescribeProjectVersions per model-minute",
        lambda ds: statistics.mean(
            d.describe_calls_while_creating / ((d.create_answered - d.create_sent) / 60) for d in ds
        ),
        "",
    )
    measure("Lambda GB-seconds per deployment", lambda ds: statistics.mean(d.gb_seconds for d in ds), "GB-s")

    lines = [
        f"{len(summary.ours)} deployments each (start 1-30 min, stop 1-5 min), real handler on a virtual clock",
        "",
        f"{'':42} {'ours':>10} {'crhelper defaults':>18} {'ratio':>7}",
    ]
    for name, ours, baseline, unit in rows:
        ratio = ours / baseline if baseline else float("nan")
        lines.append(f"{name:42} {ours:>9.1f}{unit[:1]:1} {baseline:>17.1f}{unit[:1]:1} {ratio:>7.2f}")
    scale_create = max(d.create_answered for d in summary.scale) - min(d.create_sent for d in summary.scale)
    scale_delete = max(d.delete_answered for d in summary.scale) - min(d.delete_sent for d in summary.scale)
    scale_failures = sum(1 for d in summary.scale if d.create_status != "SUCCESS" or d.delete_status != "SUCCESS")
    scale_lag = max(d.running_to_success for d in summary.scale)
    one, fifty = summary.synth_one, summary.synth_fifty
    budget = summary.describes_per_model_minute()
    p95_run = percentile([d.running_to_success for d in summary.ours], 95)
    p95_stop = percentile([d.stopped_to_success for d in summary.ours], 95)
    lines += [
        "",
        f"50 models at once, one handler, Rekognition limited to 5 TPS per operation: {scale_failures} failures; "
        f"all RUNNING after {scale_create / 60:.1f} min (starts of 5-15 min), all STOPPED after "
        f"{scale_delete / 60:.1f} min; worst RUNNING->SUCCESS {scale_lag:.1f} s",
        f"  at most {summary.scale_peak_rules} poll rules at once; the function's resource policy held at most "
        f"{summary.scale_peak_policy_statements} statements added by the handler",
        f"DescribeProjectVersions per model-minute over a 20-minute start: {budget:.2f}",
        f"Synth (fresh process, as cdk synth runs the app): 1 model {one.seconds:.2f} s "
        f"({one.functions} function, {one.roles} role); 50 models {fifty.seconds:.2f} s "
        f"({fifty.functions} function, {fifty.roles} role); ratio {fifty.seconds / one.seconds:.2f}",
        f"  of which declaring and synthesizing: {one.in_process_seconds:.2f} s and {fifty.in_process_seconds:.2f} s "
        f"({(fifty.in_process_seconds - one.in_process_seconds) / 49 * 1000:.0f} ms per extra model)",
        "",
        "Targets: "
        + ", ".join(
            f"{name} {'met' if ok else 'MISSED'}"
            for name, ok in (
                (f"RUNNING->SUCCESS p95 <= {TARGET_LATENCY_P95:.0f} s", p95_run <= TARGET_LATENCY_P95),
                (f"STOPPED->SUCCESS p95 <= {TARGET_LATENCY_P95:.0f} s", p95_stop <= TARGET_LATENCY_P95),
                (f"<= {TARGET_DESCRIBES_PER_MINUTE:.0f} describes/model-minute", budget <= TARGET_DESCRIBES_PER_MINUTE),
                ("0 failures at 50 models", scale_failures == 0),
                ("no policy statement per request", summary.scale_peak_policy_statements == 0),
                (f"synth ratio <= {TARGET_SYNTH_RATIO}", fifty.seconds / one.seconds <= TARGET_SYNTH_RATIO),
            )
        ),
    ]
    return "\n".join(lines)


def plot(summary: Summary, path: Path) -> None:
    """Latency distributions (ECDF) of ours and the baseline, for deploy and destroy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, attribute, title in (
        (axes[0], "running_to_success", "Deploy: model RUNNING -> CloudFormation hears SUCCESS"),
        (axes[1], "stopped_to_success", "Destroy: model STOPPED -> CloudFormation hears SUCCESS"),
    ):
        for deployments, label, style in (
            (summary.ours, "RunningModel", "-"),
            (summary.baseline, "crhelper defaults", "--"),
        ):
            values = sorted(getattr(d, attribute) for d in deployments)
            axis.step(values, [(i + 1) / len(values) for i in range(len(values))], style, where="post", label=label)
        axis.axvline(TARGET_LATENCY_P95, color="grey", linewidth=0.8, linestyle=":")
        axis.axhline(0.95, color="grey", linewidth=0.8, linestyle=":")
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("seconds")
        axis.set_ylabel("share of deployments")
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
