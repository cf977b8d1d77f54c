"""Operations tooling for SREs: dead letters, replays, liveness and the supervised worker.

Subcommands (``copyflow dlq``, ``copyflow replay``, ``copyflow health``) are registered by
``workers.ops.cli.register``; nothing here runs at import time.
"""
