"""Container values as the Docker provider reads them back, so what we send is what it stores.

pulumi-docker bridges kreuzwerker/terraform-provider-docker v4.5.0. After create and on every
refresh its read (``resourceDockerContainerRead``, internal/provider/
resource_docker_container_funcs.go) rewrites some inputs from ``docker inspect`` in its own
format; an input written differently then differs from the state on the next ``up``, and for a
replace-on-change field (``cpus``, ``ports``; ``healthcheck`` through our
``replace_on_changes``) that difference replaces the container every time. So each value is
rendered here in the provider's format (the facts, with sources, are data in
``tests/provider_facts/docker.py``):

- healthcheck durations: ``Duration.String()`` (funcs.go:960-970), Go's format: ``15s``,
  ``1m0s``, ``1h30m0s``;
- cpus: ``nanoInt64ToDecimalString(NanoCPUs)`` (funcs.go:946-947, helpers.go:133-149):
  ``1.0``, ``0.5``, ``1.25`` but ``10.`` for ten cores.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

NANO = 10**9


def go_duration(seconds: int) -> str:
    """Go's ``time.Duration.String()`` of a whole number of seconds."""
    if seconds < 0:
        raise ValueError(f"{seconds} is a negative duration")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def nano_cpus(cpus: float) -> int:
    """The ``NanoCPUs`` Docker stores for ``cpus`` (docker's ``opts.ParseCPUs``); the decimal
    text of the value, so 0.1 is 100000000 and not a binary fraction's neighbour."""
    nano = Decimal(str(cpus)) * NANO
    if nano != nano.to_integral_value():
        raise ValueError(f"cpus {cpus} has more than 9 decimal places")
    return int(nano)


def provider_cpus(nano: int) -> str:
    """``nanoInt64ToDecimalString``: the text the provider reads ``cpus`` back as."""
    if nano == 0:
        return "0"
    value = Fraction(nano, NANO)
    text = _float_string(value, 9)
    # helpers.go:142: "a round value like 100000000" has nine zeros; the test counts every
    # zero of the text, so 10.000000000 (ten zeros) falls through to the trimming below.
    if text.count("0") == 9:
        return _float_string(value, 1)
    return text.rstrip("0")


def cpus_text(cpus: float) -> str:
    """What the container is given for ``cpus``: the provider's read-back text of it."""
    return provider_cpus(nano_cpus(cpus))


def cpus_round_trip(cpus: float) -> float | None:
    """The value ``cpus`` would read back as when it is another one (the 9-zero shortcut
    rounds 0.05 to 0.1), else None."""
    nano = nano_cpus(cpus)
    back = Decimal(provider_cpus(nano).rstrip("."))
    return None if back * NANO == nano else float(back)


def _float_string(value: Fraction, places: int) -> str:
    """``big.Rat.FloatString(places)`` of a positive value: the last digit rounded to nearest,
    halves away from zero."""
    units = math.floor(value * 10**places + Fraction(1, 2))
    whole, fraction = divmod(units, 10**places)
    return f"{whole}.{fraction:0{places}d}"
