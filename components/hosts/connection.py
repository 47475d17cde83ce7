"""The SSH connection of every pulumi-command remote step: readiness, host and guest steps.

pulumi-command 1.2.1 dials with a bounded retry (pulumi/pulumi-command v1.2.1
provider/pkg/provider/remote/connection.go): each failed `ssh.Dial` (refused, timed out, or a
failed handshake) is retried through pulumi's `retry.Until` (100 ms, times 1.5 after each try,
at most 5 s: pulumi/pulumi sdk/go/common/util/retry/until.go) until more than
`dialErrorLimit` dials have failed (:152-161, :252-254); the default limit is 10 (:32, :73),
about 11 s of "connection refused", while a server the program just created is still booting.
`perDialTimeout` bounds one TCP connect (:78, :104; default 15 s).

With the values below a refused port is retried for about 4 minutes, and a host that drops
packets (each dial waits out its timeout) for about 15 minutes: long enough for a first boot,
bounded for a wrong address or key (tests/provider_facts/test_remote_dial.py).
"""

from __future__ import annotations

import pulumi
import pulumi_command as command

DIAL_ERROR_LIMIT = 60
PER_DIAL_TIMEOUT_S = 10


def ssh_connection(
    *,
    host: pulumi.Input[str],
    user: str,
    private_key: pulumi.Input[str],
    host_key: pulumi.Input[str] | None,
    port: int = 22,
) -> command.remote.ConnectionArgs:
    """A connection with the dial limits above; the key is kept a secret, the host key pinned."""
    return command.remote.ConnectionArgs(
        host=host,
        port=port,
        user=user,
        private_key=pulumi.Output.secret(private_key),
        host_key=host_key,
        dial_error_limit=DIAL_ERROR_LIMIT,
        per_dial_timeout=PER_DIAL_TIMEOUT_S,
    )
