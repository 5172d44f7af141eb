"""Every cdk-nag finding and checkov check that the handler's own resources acknowledge, and why; and
those of the RunningModelGuard's own resources (GUARD_WAIVERS, GuardWildcard).

This is the one list: the handler and the guard apply it (``acknowledgements.py``), the README lists it,
and tests/static/test_nag.py and test_checkov.py check that each entry still matches a real finding.
A finding that has a fix is not here: ``RunningModelHandler.configure`` (and the guard's
``log_encryption_key``) offers it, and its entry applies only while the fix is not taken
(``unless_log_key``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# The cdk-nag 3 packs (their plugin names) that an app with RunningModel passes.
AWS_SOLUTIONS = "AwsSolutions"
HIPAA = "HIPAA.Security"
NIST_800_53_R5 = "NIST.800.53.R5"
PACKS = (AWS_SOLUTIONS, HIPAA, NIST_800_53_R5)


class Target(enum.Enum):
    """Which of the handler's own resources an acknowledgement sits on."""

    FUNCTION = "the handler function"
    LOG_GROUP = "the handler's log group"
    LEDGER = "the handler's ledger (its DynamoDB table)"
    POLICIES = "the policies of the handler's role and of its repair schedules' role"


class GuardTarget(enum.Enum):
    """Which of the RunningModelGuard's own resources an acknowledgement sits on."""

    FUNCTION = "the guard's function"
    LOG_GROUP = "the guard's log group"
    POLICIES = "the policies of the guard's role and of its schedule's role"


@dataclass(frozen=True)
class Waiver:
    """A finding the handler's (or the guard's) ``target`` does not fix, with why: cdk-nag rule ids
    (pack-prefixed, as cdk-nag names them) and checkov check ids."""

    target: Target | GuardTarget
    nag: tuple[str, ...]
    checkov: tuple[str, ...]
    reason: str
    # Only while the log group has no KMS key of the user's (the fix ``configure`` offers).
    unless_log_key: bool = False

    def applies(self, *, log_key: bool) -> bool:
        return not (self.unless_log_key and log_key)


def _rule(name: str, *packs: str) -> tuple[str, ...]:
    return tuple(f"{pack}-{name}" for pack in packs)


WAIVERS = (
    Waiver(
        Target.FUNCTION,
        nag=_rule("LambdaDLQ", HIPAA, NIST_800_53_R5),
        checkov=("CKV_AWS_116",),
        reason=(
            "Nothing should process this function's events a second time. CloudFormation and the handler's "
            "EventBridge poll rules invoke it asynchronously with retry_attempts=0. An invocation that fails or "
            "runs out of time answers its request FAILED or, once the request is being polled, leaves it to the "
            "next poll a minute later; a request the handler never answers is failed by CloudFormation when its "
            "ServiceTimeout passes. A dead-letter queue would only keep stale requests, each holding "
            "CloudFormation's presigned response URL, for no one to replay."
        ),
    ),
    Waiver(
        Target.FUNCTION,
        nag=_rule("LambdaInsideVPC", HIPAA, NIST_800_53_R5),
        checkov=("CKV_AWS_117",),
        reason=(
            "The function reaches nothing inside a VPC: it calls the public endpoints of Rekognition (in each "
            "model's region, which may differ from the stack's), EventBridge and Lambda, signed and over TLS, "
            "and PUTs its answer to CloudFormation's presigned S3 URL. In a VPC it would need a NAT gateway, or "
            "an interface endpoint for each of these services and a way to every model's region, to reach the "
            "same endpoints."
        ),
    ),
    Waiver(
        Target.FUNCTION,
        nag=_rule("LambdaConcurrency", HIPAA, NIST_800_53_R5),
        checkov=("CKV_AWS_115",),
        reason=(
            "The stack bounds the function's concurrency itself: one invocation per CloudFormation request, "
            "then one poll a minute per request in progress (two for a moment when a slow poll overlaps the "
            "next), and none between deployments. A reserved concurrency would withhold executions from the "
            "rest of the account at all times, and one lower than the models deploying at once would throttle "
            "polls and delay the deploy, up to its timeout."
        ),
    ),
    Waiver(
        Target.FUNCTION,
        nag=(),
        checkov=("CKV_AWS_173",),
        reason=(
            "The environment holds no secret: the name prefix of the handler's poll rules, its timeout in "
            "seconds and the name of its ledger table, all in the template too. Lambda encrypts environment "
            "variables at rest with an AWS managed key."
        ),
    ),
    Waiver(
        Target.POLICIES,
        nag=_rule("IAMNoInlinePolicy", HIPAA, NIST_800_53_R5),
        checkov=(),
        reason=(
            "The statements are written for this one role: they name this stack's own function, poll rules "
            "and log group, and the model versions it runs or releases, so there is nothing to reuse. As "
            "inline policies they cannot be attached to another principal, are versioned and rolled back with "
            "the stack's template, and are deleted with the role."
        ),
    ),
    Waiver(
        Target.LEDGER,
        nag=_rule("DynamoDBInBackupPlan", HIPAA, NIST_800_53_R5),
        checkov=(),
        reason=(
            "The ledger holds nothing to restore: a lease per resource that ends when its invocation times out, "
            "and each request's answer for the two days CloudFormation can ask for it, all expiring by DynamoDB's "
            "TTL. Point-in-time recovery is on; a backup plan would keep copies of stale leases and of presigned "
            "response URLs that expire within hours."
        ),
    ),
    Waiver(
        Target.LEDGER,
        nag=(),
        checkov=("CKV_AWS_119",),
        unless_log_key=True,
        reason=(
            "DynamoDB encrypts the ledger at rest with an AWS managed key. It holds leases, request ids, answers "
            "and CloudFormation's presigned response URLs for at most two days. To encrypt it with a KMS key of "
            "yours, call RunningModelHandler.configure(stack, log_encryption_key=key) before the stack's first "
            "RunningModel: the key then encrypts the ledger and the log group."
        ),
    ),
    Waiver(
        Target.LOG_GROUP,
        nag=_rule("CloudWatchLogGroupEncrypted", HIPAA, NIST_800_53_R5),
        checkov=("CKV_AWS_158",),
        unless_log_key=True,
        reason=(
            "CloudWatch Logs encrypts every log group at rest. The handler logs which model versions it "
            "observes, starts and stops, and the answers it sends with their reasons; never the presigned "
            "response URL, an image or an inference. To encrypt with a KMS key of yours, call "
            "RunningModelHandler.configure(stack, log_encryption_key=key) before the stack's first RunningModel."
        ),
    ),
)


# The guard's: its function, log group and policies. Its function has a reserved concurrency of 1, so
# it passes LambdaConcurrency (and checkov's CKV_AWS_115) without a waiver.
GUARD_WAIVERS = (
    Waiver(
        GuardTarget.FUNCTION,
        nag=_rule("LambdaDLQ", HIPAA, NIST_800_53_R5),
        checkov=("CKV_AWS_116",),
        reason=(
            "Nothing should process the guard's events a second time: its schedule invokes it asynchronously, "
            "with retry_attempts=0 on the schedule and on the function, and each run surveys every model "
            "afresh. A run that fails is followed by the next scheduled one, and a guard that stops reporting "
            "is what its alarm_not_reporting() alarm is for; a dead-letter queue would only keep schedule "
            "events that carry nothing but their scheduled time."
        ),
    ),
    Waiver(
        GuardTarget.FUNCTION,
        nag=_rule("LambdaInsideVPC", HIPAA, NIST_800_53_R5),
        checkov=("CKV_AWS_117",),
        reason=(
            "The guard reaches nothing inside a VPC: it calls the public endpoints of Rekognition in its own "
            "region and of CloudFormation in the region of each owner's stack, signed and over TLS. In a VPC it "
            "would need a NAT gateway, or an interface endpoint for each service and a way to every owner's "
            "region, to reach the same endpoints."
        ),
    ),
    Waiver(
        GuardTarget.FUNCTION,
        nag=(),
        checkov=("CKV_AWS_173",),
        reason=(
            "The environment holds no secret: whether the guard may stop FORGOTTEN and UNMANAGED models, two "
            "flags that are in the template too. Lambda encrypts environment variables at rest with an AWS "
            "managed key."
        ),
    ),
    Waiver(
        GuardTarget.POLICIES,
        nag=_rule("IAMNoInlinePolicy", HIPAA, NIST_800_53_R5),
        checkov=(),
        reason=(
            "The statements are written for this one role: they name the guard's own function and the reads "
            "(and the stops it is configured for) of this account's model versions and stacks, so there is "
            "nothing to reuse. As inline policies they cannot be attached to another principal, are versioned "
            "and rolled back with the stack's template, and are deleted with the role."
        ),
    ),
    Waiver(
        GuardTarget.LOG_GROUP,
        nag=_rule("CloudWatchLogGroupEncrypted", HIPAA, NIST_800_53_R5),
        checkov=("CKV_AWS_158",),
        unless_log_key=True,
        reason=(
            "CloudWatch Logs encrypts every log group at rest. The guard logs the model versions it finds "
            "FORGOTTEN or UNMANAGED, the stacks and logical ids that own them, the stops it makes with their "
            "reasons, and its counts; never an image or an inference. To encrypt with a KMS key of yours, pass "
            "RunningModelGuard(..., log_encryption_key=key)."
        ),
    ),
)


class Wildcard(enum.Enum):
    """Why each wildcard resource of the handler's role (AwsSolutions-IAM5) cannot be narrower."""

    POLL_RULES = (
        "The handler names each poll rule at deploy time (from the request it polls for), so no rule ARN is "
        "known at synth time; the statement covers only rules named with this handler's own prefix, which is "
        "unique to its stack, and only the calls that create, read and remove them."
    )
    MODEL_VERSIONS = (
        "Versions that leave the template (blue/green, removal, rollback) are released and stopped under the "
        "NEW policy, in CloudFormation's cleanup phase, so they cannot be named at synth time; the statement "
        "is limited to this account's model versions (and, for tags, to the handler's own running-model:* "
        "keys, which mark a stop in progress for the other owners), the handler stops a version only when "
        "its own resource owned it and no other owner wants it running, and StartProjectVersion stays "
        "limited to the versions the template declares."
    )
    PROJECTS = (
        "DescribeProjectVersions is authorized on the project ARN, which ends in the project's creation "
        "timestamp: the handler must observe versions that have left the template as well as the declared "
        "ones, whose project ARNs are unknown at synth time; read-only, this account only."
    )
    DESCRIBE_PROJECTS = (
        "rekognition:DescribeProjects has no resource-level permission (the Service Authorization Reference "
        "lists no resource type for it), so only Resource '*' allows it; the handler calls it only to find the "
        "ARN of a version's project when no project_arn was given (also for versions that have left the "
        "template). Read-only."
    )

    @property
    def reason(self) -> str:
        return str(self.value)


class GuardWildcard(enum.Enum):
    """Why each wildcard resource of the guard's role (AwsSolutions-IAM5) cannot be narrower."""

    DESCRIBE_PROJECTS = (
        "rekognition:DescribeProjects has no resource-level permission (the Service Authorization Reference "
        "lists no resource type for it), so only Resource '*' allows it; the guard calls it to list every "
        "project of its region, which it must watch whoever created them. Read-only."
    )
    PROJECTS = (
        "The guard lists the versions of every project of its account and region (DescribeProjectVersions is "
        "authorized on the project ARN), including projects no stack declares: finding models that nobody "
        "declares is its purpose. Read-only, this account and region only."
    )
    MODEL_VERSIONS = (
        "The guard reads the owner tags of every billed model version of its account and region, including "
        "versions no stack declares, and (only when stop_forgotten or stop_unmanaged is set) stops the ones "
        "it finds FORGOTTEN or UNMANAGED and removes stale running-model:* registrations (a condition allows "
        "no other tag key); none of these versions is known at synth time. This account and region only."
    )
    STACKS = (
        "The guard asks CloudFormation whether each owner registered on a model version is still a resource "
        "of its stack. Owners' stacks are named in tags at deploy time and may be in any region (a stack "
        "may run a model of another region), so only this account's stack ARNs in every region can be "
        "named. Read-only: DescribeStacks and DescribeStackResource."
    )

    @property
    def reason(self) -> str:
        return str(self.value)


WILDCARD_RULE = f"{AWS_SOLUTIONS}-IAM5"


def nag_rules(
    pack: str, *, log_key: bool = False, waivers: tuple[Waiver, ...] = WAIVERS
) -> list[tuple[Target | GuardTarget, str, str]]:
    """(target, rule id, reason) of each acknowledgement of ``pack`` beyond the IAM5 wildcards, of the
    handler's ``waivers`` (or the guard's, GUARD_WAIVERS)."""
    return [
        (waiver.target, rule, waiver.reason)
        for waiver in waivers
        if waiver.applies(log_key=log_key)
        for rule in waiver.nag
        if rule.startswith(f"{pack}-")
    ]


def checkov_skips(
    *, log_key: bool = False, waivers: tuple[Waiver, ...] = WAIVERS
) -> list[tuple[Target | GuardTarget, str, str]]:
    """(target, check id, reason) of each checkov check skipped on the handler's resources (or, with
    GUARD_WAIVERS, the guard's)."""
    return [
        (waiver.target, check, waiver.reason)
        for waiver in waivers
        if waiver.applies(log_key=log_key)
        for check in waiver.checkov
    ]
