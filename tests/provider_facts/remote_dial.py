"""How pulumi-command's remote connection dials, read from its source (as data).

pulumi-command 1.2.1 (uv.lock), provider/pkg/provider/remote/connection.go at tag v1.2.1:
- `dialErrorDefault = 10` (:32), the default of `dialErrorLimit` (:73); `perDialTimeout`
  defaults to 15 s (:78) and becomes `ssh.ClientConfig.Timeout`, the TCP connect bound (:104);
- `Dial` runs `ssh.Dial` (:200) inside `dialWithRetry`, which retries through `retry.Until`
  (:152) and stops once `dials > dialErrorLimit` (:159-161, :252-254): limit + 1 dials, with
  a wait before each retry; -1 never stops.
pulumi/pulumi sdk/go/common/util/retry/until.go (sdk/v3 v3.224.0 in pulumi-command's go.mod;
read at 242a78a1803893ecbf4e7162cbf16c818bc4dd5a): the first wait is `DefaultDelay` 100 ms,
each next one `DefaultBackoff` 1.5 times longer, capped at `DefaultMaxDelay` 5 s.
"""

from __future__ import annotations

SOURCE = "pulumi/pulumi-command@v1.2.1:provider/pkg/provider/remote/connection.go"
RETRY_SOURCE = "pulumi/pulumi@242a78a1:sdk/go/common/util/retry/until.go"

DEFAULT_DIAL_ERROR_LIMIT = 10  # connection.go:32
DEFAULT_PER_DIAL_TIMEOUT_S = 15  # connection.go:78
FIRST_DELAY_S = 0.1  # until.go DefaultDelay
BACKOFF = 1.5  # until.go DefaultBackoff
MAX_DELAY_S = 5.0  # until.go DefaultMaxDelay


def dials(limit: int) -> int:
    """How many dials run before the connection gives up (connection.go:159-161, 252-254)."""
    assert limit >= 0
    return limit + 1


def waits_s(limit: int) -> float:
    """The total wait between those dials (until.go: delay, then delay * backoff, capped)."""
    total, delay = 0.0, FIRST_DELAY_S
    for _ in range(dials(limit) - 1):
        total += min(delay, MAX_DELAY_S)
        delay *= BACKOFF
    return total


def refused_window_s(limit: int) -> float:
    """How long a port that refuses at once is retried (each dial fails immediately)."""
    return waits_s(limit)


def silent_window_s(limit: int, per_dial_timeout_s: int) -> float:
    """How long an address that drops packets is retried (each dial waits out its timeout)."""
    return waits_s(limit) + dials(limit) * per_dial_timeout_s
