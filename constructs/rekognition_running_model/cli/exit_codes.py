"""The command's exit statuses (README, "running-model"): a cron job or CI step reads them."""

EXIT_OK = 0
# status: a version is FORGOTTEN or UNMANAGED (billed, and nobody will ever stop it).
EXIT_ALARMING = 1
# Bad arguments (argparse's own status), an unknown region or none at all.
EXIT_USAGE = 2
# AWS could not be asked or refused: no credentials, a missing permission, no connection.
EXIT_AWS = 3
# release did nothing: the owner is live or unknown (without --force), no such version or owner, not confirmed.
EXIT_NOTHING_DONE = 4
# Interrupted (Ctrl-C), as shells report SIGINT.
EXIT_INTERRUPTED = 130
