"""Figures from simulated deployments: the table, the scale lines and the plot."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from running_model.settings import Timing

from simulation import LIMITED_OPERATIONS, Deployment, Simulation
from synth_scale import SynthResult

TARGET_LATENCY_P95 = 10.0
TARGET_DESCRIBES_PER_MINUTE = 6.0
TARGET_DESCRIBES_SHARE = 1 / 3  # of today's cadence's, per start with history
TARGET_SYNTH_RATIO = 1.5
STEP_SECONDS = Timing().step_seconds  # between two dense looks
# The ceilings a stack of many models meets (AWS defaults): Rekognition's budget for the calls the
# handler makes (the simulation's rate per operation), EventBridge's rules per event bus (each
# request in progress holds one poll rule), Lambda's concurrent executions per account and Region.
RULES_PER_BUS = 300
LAMBDA_CONCURRENCY = 1000
# The operations whose peak use the scale lines print: the looks and the tag calls.
WATCHED_OPERATIONS = ("DescribeProjectVersions", "ListTagsForResource", "TagResource", "UntagResource")


def percentile(values: Sequence[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def with_history(deployments: Sequence[Deployment]) -> list[Deployment]:
    return [d for d in deployments if d.history]


def first_starts(deployments: Sequence[Deployment]) -> list[Deployment]:
    return [d for d in deployments if not d.history]


def failed(deployments: Sequence[Deployment]) -> int:
    return sum(1 for d in deployments if d.create_status != "SUCCESS" or d.delete_status != "SUCCESS")


@dataclass
class Scale:
    """Many models deployed at once (then destroyed) under a rate limit, and what they used."""

    models: int
    rate: float
    deployments: list[Deployment]
    peak_rules: int
    peak_concurrency: int
    peak_policy_statements: int
    peak_tps: dict[str, int] = field(default_factory=dict)  # successful calls in one simulated second, most
    throttled: dict[str, int] = field(default_factory=dict)  # ThrottlingException answers
    # DescribeProjectVersions a second over the busiest minute: attempts (throttled ones and botocore's
    # retries of them included), and those answered.
    busiest_describe_minute: float = 0.0
    busiest_describe_minute_answered: float = 0.0
    describe_attempts: int = 0

    @classmethod
    def of(cls, simulation: Simulation, deployments: list[Deployment]) -> Scale:
        begin = min(d.create_sent for d in deployments)
        per_second: dict[str, Counter[int]] = {operation: Counter() for operation in LIMITED_OPERATIONS}
        attempts: Counter[int] = Counter()
        throttled: Counter[str] = Counter()
        for call in simulation.calls:
            second = int(call.at - begin)
            if call.error == "ThrottlingException":
                throttled[call.operation] += 1
            elif not call.error and call.operation in per_second:
                per_second[call.operation][second] += 1
            if call.operation == "DescribeProjectVersions":
                attempts[second] += 1
        return cls(
            models=len(deployments),
            rate=simulation.rate_limit_per_operation,
            deployments=deployments,
            peak_rules=simulation.peak_rules,
            peak_concurrency=simulation.peak_concurrency,
            peak_policy_statements=simulation.peak_policy_statements,
            peak_tps={operation: max(counts.values(), default=0) for operation, counts in per_second.items()},
            throttled=dict(throttled),
            busiest_describe_minute=_busiest_minute(attempts),
            busiest_describe_minute_answered=_busiest_minute(per_second["DescribeProjectVersions"]),
            describe_attempts=sum(attempts.values()),
        )

    @property
    def failures(self) -> int:
        return failed(self.deployments)

    @property
    def all_running(self) -> bool:
        """Every model RUNNING by the time its Create was answered SUCCESS."""
        return all(d.create_status == "SUCCESS" and 0 < d.running_at <= d.create_answered for d in self.deployments)

    @property
    def all_answered(self) -> bool:
        """Every Create answered, and every Delete sent (after a SUCCESS) answered."""
        return all(d.create_answered and (d.delete_answered or not d.delete_sent) for d in self.deployments)

    @property
    def describes_throttled_share(self) -> float:
        return self.throttled.get("DescribeProjectVersions", 0) / max(self.describe_attempts, 1)

    def lines(self) -> list[str]:
        ds = self.deployments
        created = max(d.create_answered for d in ds) - min(d.create_sent for d in ds)
        answered = [d for d in ds if d.create_status == "SUCCESS"]
        worst = max((d.running_to_success for d in answered), default=float("nan"))
        used = ", ".join(
            f"{operation} {self.peak_tps.get(operation, 0)} ({self.throttled.get(operation, 0)} throttled)"
            for operation in (*WATCHED_OPERATIONS, *(o for o in self.throttled if o not in WATCHED_OPERATIONS))
        )
        return [
            f"{self.models} models at once (starts of 10-30 min with history), one handler, Rekognition limited to "
            f"{self.rate:g} TPS per operation: {self.failures} failures; all RUNNING {_yes(self.all_running)}; "
            f"all answered {_yes(self.all_answered)}; all SUCCESS after {created / 60:.1f} min; "
            f"RUNNING->SUCCESS p95 {self.p95():.1f} s, max {worst:.1f} s",
            f"  peak calls answered in one simulated second (throttled attempts): {used}",
            f"  DescribeProjectVersions a second over the busiest minute: {self.busiest_describe_minute_answered:.2f} "
            f"answered of {self.busiest_describe_minute:.2f} attempted ({100 * self.describes_throttled_share:.0f}% "
            f"of all {self.describe_attempts} attempts throttled); at most {self.peak_rules} poll rules and "
            f"{self.peak_concurrency} invocations at once; {self.peak_policy_statements} policy statements added by "
            "the handler",
            *(f"  {count} answered FAILED: {reason}" for reason, count in self.reasons().most_common(3)),
        ]

    def p95(self) -> float:
        answered = [d.running_to_success for d in self.deployments if d.create_status == "SUCCESS"]
        return percentile(answered, 95) if answered else float("nan")

    def reasons(self) -> Counter[str]:
        return Counter(d.reason[:160] for d in self.deployments if d.reason)


def ceiling(smaller: Scale, larger: Scale) -> str:
    """Which limit binds first as models started together are added, and why, from the two runs' figures."""
    n = smaller.models
    dense = smaller.rate * STEP_SECONDS  # models a second's budget lets look every step
    if smaller.throttled.get("DescribeProjectVersions"):
        api_at, api_why = (
            float(n),
            f"at {n} models already {100 * smaller.describes_throttled_share:.0f}% of the DescribeProjectVersions "
            f"attempts were throttled, the busiest minute answering {smaller.busiest_describe_minute_answered:.1f} "
            f"a second of the {smaller.rate:g} allowed",
        )
    else:
        api_at = n * smaller.rate / max(smaller.busiest_describe_minute, 1e-9)
        api_why = f"{n} models asked for {smaller.busiest_describe_minute:.2f} a second in their busiest minute"
    candidates = [
        (
            f"the API budget ({smaller.rate:g} DescribeProjectVersions a second)",
            api_at,
            f"{api_why}; a model looking densely asks for one every {STEP_SECONDS:g} s, so the budget serves "
            f"{dense:.0f} models looking densely at once",
        ),
        (
            f"EventBridge's {RULES_PER_BUS} rules per bus",
            n * RULES_PER_BUS / max(smaller.peak_rules, 1),
            f"each request in progress holds one poll rule ({smaller.peak_rules} at {n} models), and the bus's "
            "other rules count too",
        ),
        (
            f"Lambda's concurrency ({LAMBDA_CONCURRENCY:,} per account)",
            n * LAMBDA_CONCURRENCY / max(smaller.peak_concurrency, 1),
            f"{smaller.peak_concurrency} invocations ran at once at {n} models",
        ),
    ]
    candidates.sort(key=lambda candidate: candidate[1])
    (name, models, why), *others = candidates
    rest = "; ".join(f"{other} at about {at:.0f}" for other, at, _ in others)
    return (
        f"Ceiling: {name} binds first, at about {models:.0f} models started together ({why}); then {rest}. "
        f"At {larger.models}: {100 * larger.describes_throttled_share:.0f}% of describes throttled, "
        f"{larger.peak_rules} of {RULES_PER_BUS} rules, {larger.peak_concurrency} of {LAMBDA_CONCURRENCY:,} "
        f"concurrent invocations, {larger.failures} failures, RUNNING->SUCCESS p95 {larger.p95():.1f} s."
    )


def _busiest_minute(per_second: Counter[int]) -> float:
    last = max(per_second, default=0)
    return max((sum(per_second[s] for s in range(t, t + 60)) for t in range(last + 1)), default=0) / 60


def _yes(value: bool) -> str:
    return "yes" if value else "NO"


@dataclass
class Summary:
    latency: dict[str, list[Deployment]]  # by variant: ours, today, baseline
    budget: list[Deployment]
    scales: list[Scale]
    synth_one: SynthResult
    synth_fifty: SynthResult

    def failures(self) -> int:
        """Failures of the runs that must have none (every scale run but the largest, reported only)."""
        runs = [*self.latency.values(), self.budget, *(s.deployments for s in self.scales[:1])]
        return sum(failed(run) for run in runs)

    def describes_per_model_minute(self) -> float:
        """DescribeProjectVersions calls per minute of waiting for a 20-minute start."""
        return statistics.mean(
            d.describe_calls_while_creating / ((d.create_answered - d.create_sent) / 60) for d in self.budget
        )


def _latency_rows(summary: Summary) -> list[tuple[str, list[float], str]]:
    rows: list[tuple[str, list[float], str]] = []
    variants = [summary.latency[v] for v in ("ours", "today", "baseline")]

    def measure(name: str, value: Callable[[list[Deployment]], float], unit: str = "") -> None:
        rows.append((name, [value(ds) if ds else float("nan") for ds in variants], unit))

    def spread(values: list[float], p: int) -> float:
        return max(values) if p == 100 else percentile(values, p)

    for label, attribute, group, select in (
        ("RUNNING->SUCCESS", "running_to_success", "with history", with_history),
        ("RUNNING->SUCCESS", "running_to_success", "first start", first_starts),
        ("RUNNING->SUCCESS", "running_to_success", "all", list),
        ("STOPPED->SUCCESS", "stopped_to_success", "all", list),
    ):
        for name, p in (("p50", 50), ("p95", 95), ("max", 100)):
            measure(
                f"{label} {name}, {group}",
                lambda ds, a=attribute, p=p, s=select: spread([getattr(d, a) for d in s(ds)], p),
                "s",
            )
    for group, select in (("with history", with_history), ("first start", first_starts)):
        measure(
            f"DescribeProjectVersions per start mean, {group}",
            lambda ds, s=select: statistics.mean(d.describe_calls_while_creating for d in s(ds)),
        )
        measure(
            f"DescribeProjectVersions per start p95, {group}",
            lambda ds, s=select: percentile([d.describe_calls_while_creating for d in s(ds)], 95),
        )
    measure("invocations per deployment", lambda ds: statistics.mean(d.invocations for d in ds))
    measure(
        "DescribeProjectVersions per model-minute",
        lambda ds: statistics.mean(
            d.describe_calls_while_creating / ((d.create_answered - d.create_sent) / 60) for d in ds
        ),
    )
    measure("Lambda GB-seconds per deployment", lambda ds: statistics.mean(d.gb_seconds for d in ds), "GB-s")
    return rows


def table(summary: Summary) -> str:
    ours = summary.latency["ours"]
    lines = [
        f"{len(ours)} deployments each ({len(with_history(ours))} with a history of 5 starts, "
        f"{len(first_starts(ours))} first starts; starts of 10-30 min, lognormal spread; stops of 1-5 min), "
        "real handler on a virtual clock",
        "",
        f"{'':50} {'ours':>9} {'today':>9} {'crhelper':>9} {'ours/today':>11}",
    ]
    for name, (mine, today, baseline), unit in _latency_rows(summary):
        ratio = mine / today if today else float("nan")
        u = unit[:1]
        lines.append(f"{name:50} {mine:>8.1f}{u:1} {today:>8.1f}{u:1} {baseline:>8.1f}{u:1} {ratio:>11.2f}")

    history = {v: with_history(ds) for v, ds in summary.latency.items()}
    p95_run = percentile([d.running_to_success for d in history["ours"]], 95)
    p95_stop = percentile([d.stopped_to_success for d in ours], 95)
    describes = {v: statistics.mean(d.describe_calls_while_creating for d in ds) for v, ds in history.items()}
    share = describes["ours"] / describes["today"]
    one, fifty = summary.synth_one, summary.synth_fifty
    budget = summary.describes_per_model_minute()
    lines += [
        "",
        f"Describes per start with history: ours {describes['ours']:.1f}, today's cadence {describes['today']:.1f} "
        f"({share:.2f} of today's)",
        f"DescribeProjectVersions per model-minute over a 20-minute first start: {budget:.2f}",
        "",
    ]
    for scale in summary.scales:
        lines += scale.lines()
    if len(summary.scales) > 1:
        lines.append(ceiling(summary.scales[0], summary.scales[-1]))
    required = summary.scales[0]
    lines += [
        "",
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
                (f"RUNNING->SUCCESS p95 with history <= {TARGET_LATENCY_P95:.0f} s", p95_run <= TARGET_LATENCY_P95),
                (f"STOPPED->SUCCESS p95 <= {TARGET_LATENCY_P95:.0f} s", p95_stop <= TARGET_LATENCY_P95),
                ("describes per start with history <= 1/3 of today's", share <= TARGET_DESCRIBES_SHARE),
                (f"<= {TARGET_DESCRIBES_PER_MINUTE:.0f} describes/model-minute", budget <= TARGET_DESCRIBES_PER_MINUTE),
                (
                    f"0 failures, all RUNNING and answered at {required.models} models",
                    required.failures == 0 and required.all_running and required.all_answered,
                ),
                ("no policy statement per request", all(s.peak_policy_statements == 0 for s in summary.scales)),
                (f"synth ratio <= {TARGET_SYNTH_RATIO}", fifty.seconds / one.seconds <= TARGET_SYNTH_RATIO),
            )
        ),
    ]
    return "\n".join(lines)


STYLES = (("ours", "RunningModel", "-"), ("today", "today's cadence", "-."), ("baseline", "crhelper defaults", "--"))


def _ecdf(axis: object, values: list[float], style: str, label: str) -> None:
    values = sorted(values)
    axis.step(values, [(i + 1) / len(values) for i in range(len(values))], style, where="post", label=label)  # type: ignore[attr-defined]


def plot(summary: Summary, path: Path) -> None:
    """Latency distributions (ECDF) for deploy (starts with history) and destroy, and DescribeProjectVersions
    per start with history, of ours, today's cadence and crhelper's defaults."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    for axis, attribute, title, select in (
        (axes[0], "running_to_success", "Deploy (starts with history): model RUNNING -> SUCCESS", with_history),
        (axes[1], "stopped_to_success", "Destroy: model STOPPED -> SUCCESS", list),
    ):
        for variant, label, style in STYLES:
            _ecdf(axis, [getattr(d, attribute) for d in select(summary.latency[variant])], style, label)
        axis.axvline(TARGET_LATENCY_P95, color="grey", linewidth=0.8, linestyle=":")
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("seconds")
    looks = axes[2]
    for variant, label, style in STYLES:
        _ecdf(looks, [d.describe_calls_while_creating for d in with_history(summary.latency[variant])], style, label)
    looks.set_title("DescribeProjectVersions per start (with history)", fontsize=10)
    looks.set_xlabel("calls between the Create and its answer")
    for axis in axes:
        axis.axhline(0.95, color="grey", linewidth=0.8, linestyle=":")
        axis.set_ylabel("share of deployments")
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
