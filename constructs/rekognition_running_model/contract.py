"""The resource contract, construct side. Its twin is lambda/running_model/contract.py.

tests/static/test_contract.py checks that both sides agree, so keep every name here and there.
Only what both halves use belongs here; what one half alone needs lives in that half.
"""

PROP_PROJECT_VERSION_ARN = "ProjectVersionArn"
PROP_MIN_INFERENCE_UNITS = "MinInferenceUnits"
PROP_MAX_INFERENCE_UNITS = "MaxInferenceUnits"
PROP_PROJECT_ARN = "ProjectArn"
PROP_MIN_F1_SCORE = "MinF1Score"

ATTR_PROJECT_VERSION_ARN = "ProjectVersionArn"
ATTR_STATUS = "Status"
ATTR_MIN_INFERENCE_UNITS = "MinInferenceUnits"
ATTR_MAX_INFERENCE_UNITS = "MaxInferenceUnits"

# The patterns of Rekognition's own API reference (StartProjectVersion, DescribeProjectVersions).
PROJECT_VERSION_ARN_PATTERN = (
    r"^arn:(?P<partition>[a-z\d-]+):rekognition:(?P<region>[a-z\d-]+):(?P<account>\d{12}):"
    r"project/(?P<project>[a-zA-Z0-9_.\-]{1,255})/version/(?P<version>[a-zA-Z0-9_.\-]{1,255})/[0-9]+$"
)
PROJECT_ARN_PATTERN = (
    r"^arn:(?P<partition>[a-z\d-]+):rekognition:(?P<region>[a-z\d-]+):(?P<account>\d{12}):"
    r"project/(?P<project>[a-zA-Z0-9_.\-]{1,255})/[0-9]+$"
)

# How both halves word a bad property, at synth time and in a FAILED answer alike.
PROBLEM_FORMAT = "{name}: received {received}; expected {expected}"
PROJECT_VERSION_ARN_SHAPE = (
    "arn:<partition>:rekognition:<region>:<account>:project/<name>/version/<version>/<timestamp>"
)
PROJECT_ARN_SHAPE = "arn:<partition>:rekognition:<region>:<account>:project/<name>/<timestamp>"
MIN_F1_SCORE_SHAPE = "a number above 0 and at most 1 (the F1 score a version needs to be started)"

# Rekognition allows 1 inference unit at least; CloudFormation allows a custom resource 1 hour at most.
MIN_INFERENCE_UNITS_FLOOR = 1
SERVICE_TIMEOUT_MAX_SECONDS = 3600

# Prefix of the EventBridge rules and Lambda statement ids the handler creates to poll; the
# construct scopes the handler's IAM to names starting with it (followed by its own suffix).
POLL_RULE_PREFIX_ENV = "POLL_RULE_PREFIX"
# The handler function's timeout in seconds: the handler checks that its looking fits in it.
LAMBDA_TIMEOUT_ENV = "LAMBDA_TIMEOUT_SECONDS"
# The name of the handler's ledger, the stack's DynamoDB table of leases, requests and answers;
# its partition key, and the attribute DynamoDB's TTL reads.
LEDGER_TABLE_ENV = "LEDGER_TABLE"
LEDGER_KEY = "Key"
LEDGER_EXPIRES_AT = "ExpiresAt"

# Every tag the handler adds or removes on a model version starts with this: one owner tag per
# resource that holds the version, and the record of its measured start times (running windows).
# The construct lets the handler add and remove only such tags.
TAG_PREFIX = "running-model:"

# Drift repair: the construct's EventBridge Scheduler schedule invokes the handler with
# {REPAIR_EVENT: {"StackId", "LogicalResourceId", "ResourceProperties"}}, which is no CloudFormation
# request; the handler counts each repair it makes in this CloudWatch metric (embedded metric
# format), per model version.
REPAIR_EVENT = "RunningModelRepair"
# The namespace of every metric the library publishes: the repairs, and the guard's counts.
METRICS_NAMESPACE = "RekognitionRunningModel"
REPAIRS_NAMESPACE = METRICS_NAMESPACE
REPAIRS_METRIC = "Repairs"
METRIC_DIMENSION_PROJECT = "ProjectName"
METRIC_DIMENSION_VERSION = "VersionName"

# Running windows: the days a window names, in the order of Python's date.weekday(), and how a local
# time is written ("08:00"; an end may be "24:00").
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
LOCAL_TIME_PATTERN = r"^(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)$|^24:00$"
# The resource's running windows: {"TimeZone": <IANA name>, "Windows": [{"Days": "MON,TUE", "Start":
# "08:00", "End": "18:00"}]}. Without it the model runs all the time.
PROP_SCHEDULE = "Schedule"
# EventBridge Scheduler's events around the windows' edges: {WINDOW_EVENT: {"StackId",
# "LogicalResourceId", "ResourceProperties"}}, like REPAIR_EVENT's. They come every
# WAKE_STEP_MINUTES from WAKE_AHEAD_MINUTES before each opening (so no lead can be longer): the
# handler starts the model at the last of them that still leaves its measured start time.
WINDOW_EVENT = "RunningModelWindow"
WAKE_AHEAD_MINUTES = 60
WAKE_STEP_MINUTES = 5

# The RunningModelGuard: its function's environment says which stops it may make ("true" or "false";
# without them it only reads), its EventBridge Scheduler schedule invokes it with
# {GUARD_EVENT: {"ScheduledTime": ...}}, and each run publishes these counts in METRICS_NAMESPACE
# (embedded metric format, no dimensions: there is one guard per account and region).
GUARD_STOP_FORGOTTEN_ENV = "GUARD_STOP_FORGOTTEN"
GUARD_STOP_UNMANAGED_ENV = "GUARD_STOP_UNMANAGED"
GUARD_EVENT = "RunningModelGuard"
GUARD_FORGOTTEN_MODELS_METRIC = "ForgottenModels"
GUARD_UNMANAGED_MODELS_METRIC = "UnmanagedModels"
GUARD_FORGOTTEN_UNITS_METRIC = "ForgottenInferenceUnits"
GUARD_STOPPED_METRIC = "ModelsStopped"
