"""What the Docker provider reads back into a container's state, and how it finds credentials.

pulumi-docker 5.2.0 bridges kreuzwerker/terraform-provider-docker v4.5.0. Create ends with a
read (``resourceDockerContainerRead``, funcs.go:673), and so does every refresh; the read
rewrites these inputs from ``docker inspect`` in the provider's own form. A value sent in
another form differs from the state on the next ``up``; for ``ports``, ``cpus`` (ForceNew) and
``healthcheck`` (replace_on_changes) that means a replacement every time.

Sources, read at the tag:
- ports: funcs.go:802 ``d.Set("ports", flattenContainerPorts(...))``; structures.go:35-59
  ``flattenContainerPorts`` sorts the port keys with ``sort.Sort(byPortAndProtocol(...))``
  (line 42), whose ``Less`` (lines 27-33) compares the port number alone: entries come back by
  internal port, and two protocols on one number in Go's map order (none fixed).
- healthcheck: funcs.go:960-970 sets interval, timeout, start_period and start_interval to
  ``Duration.String()``; Go formats a duration of a minute or more with its smaller units
  (``1m0s``; golang/go src/time/time.go ``Duration.String``, whose tests in time_test.go
  ``durationTests`` include ``{"0s", 0}`` and ``{"4m5s", 4*Minute + 5*Second}``).
- cpus: funcs.go:946-947 sets ``nanoInt64ToDecimalString(NanoCPUs)`` (helpers.go:133-149):
  ``big.Rat.FloatString(9)``, then ``FloatString(1)`` when the text holds exactly nine
  ``0`` characters, else the text with its trailing zeros trimmed.
- stop: delete stops with ``destroy_grace_seconds`` as the timeout, 0 when unset
  (funcs.go:1086-1093: ``ContainerStop`` with Timeout 0 is SIGKILL after the stop signal at
  once); create sets ``StopSignal`` and ``StopTimeout`` (funcs.go:54-58, 75-76) and the read
  sets them back as stored (funcs.go:977-978).
- credentials: ``registry_auth`` entries are keyed by the address's host name
  (provider.go:311-312, 384); a pull looks up the key ``parseImageOptions`` gives
  (resource_docker_image_funcs.go:249-255): the image's first path part when it has a ``.`` or
  ``:`` or is ``localhost``, or when the reference has more than one ``/`` (line 304), else
  ``registry-1.docker.io`` (line 330). ``username`` set means username and password are used
  (provider.go:327-334), before any config file.

The ``cpus`` and duration rows marked "derived" follow the quoted code; they were checked once by
running the quoted function text and ``time.Duration.String`` with go1.19.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

KREUZWERKER = "kreuzwerker/terraform-provider-docker@v4.5.0"
FUNCS_GO = f"{KREUZWERKER}:internal/provider/resource_docker_container_funcs.go"
STRUCTURES_GO = f"{KREUZWERKER}:internal/provider/resource_docker_container_structures.go"
HELPERS_GO = f"{KREUZWERKER}:internal/provider/helpers.go"
HELPERS_TEST_GO = f"{KREUZWERKER}:internal/provider/helpers_test.go"
PROVIDER_GO = f"{KREUZWERKER}:internal/provider/provider.go"
IMAGE_FUNCS_GO = f"{KREUZWERKER}:internal/provider/resource_docker_image_funcs.go"

# NanoCPUs -> the text the provider reads cpus back as.
CPUS_READ_BACK: dict[int, tuple[str, str]] = {
    0: ("0", f"{HELPERS_TEST_GO}:36"),
    1_000_000_000: ("1.0", f"{HELPERS_TEST_GO}:37"),
    1_500_000_000: ("1.5", f"{HELPERS_TEST_GO}:38"),
    2_000_000_000: ("2.0", f"{HELPERS_TEST_GO}:39"),
    2_250_000_000: ("2.25", f"{HELPERS_TEST_GO}:40"),
    250_000_000: ("0.25", f"derived from {HELPERS_GO}:146-148"),
    500_000_000: ("0.5", f"derived from {HELPERS_GO}:142-143 (nine zeros)"),
    4_000_000_000: ("4.0", f"derived from {HELPERS_GO}:142-143"),
    7_000_000_000: ("7.0", f"derived from {HELPERS_GO}:142-143"),
    10_000_000_000: ("10.", f"derived from {HELPERS_GO}:146-148 (ten zeros: trimmed)"),
    12_000_000_000: ("12.0", f"derived from {HELPERS_GO}:142-143"),
    20_000_000_000: ("20.", f"derived from {HELPERS_GO}:146-148"),
    100_000_000_000: ("100.", f"derived from {HELPERS_GO}:146-148"),
    512_000_000_000: ("512.0", f"derived from {HELPERS_GO}:142-143"),
    # Read back as another value: 0.050000000 has nine zeros and FloatString(1) rounds it.
    50_000_000: ("0.1", f"derived from {HELPERS_GO}:142-143"),
    10_000_000: ("0.0", f"derived from {HELPERS_GO}:142-143"),
    10_050_000_000: ("10.1", f"derived from {HELPERS_GO}:142-143"),
}

# Seconds -> Go's Duration.String().
DURATION_READ_BACK: dict[int, tuple[str, str]] = {
    0: ("0s", "golang/go src/time/time_test.go durationTests"),
    245: ("4m5s", "golang/go src/time/time_test.go durationTests"),
    1: ("1s", "derived"),
    3: ("3s", "derived"),
    5: ("5s", "derived"),
    10: ("10s", "derived"),
    15: ("15s", "derived"),
    20: ("20s", "derived"),
    30: ("30s", "derived"),
    59: ("59s", "derived"),
    60: ("1m0s", "derived"),
    90: ("1m30s", "derived"),
    120: ("2m0s", "derived"),
    3600: ("1h0m0s", "derived"),
    5400: ("1h30m0s", "derived"),
}

DOCKER_HUB_PULL_KEY = ("registry-1.docker.io", f"{IMAGE_FUNCS_GO}:330")


def read_ports(ports: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``flattenContainerPorts``: the entries by internal port number (ties keep our order
    here; the provider's order for them is not fixed, which the spec refuses)."""
    return [dict(entry) for entry in sorted(ports, key=lambda entry: int(entry["internal"]))]


def read_duration(text: str) -> str:
    """What the provider reads a healthcheck duration we sent back as."""
    seconds = _go_seconds(text)
    if seconds not in DURATION_READ_BACK:
        raise KeyError(f"{text}: add {seconds} s to DURATION_READ_BACK, read from Go's format")
    return DURATION_READ_BACK[seconds][0]


def read_cpus(text: str) -> str:
    from decimal import Decimal  # noqa: PLC0415 -- only the read-back mocks parse numbers

    nano = int(Decimal(text) * 10**9)
    if nano not in CPUS_READ_BACK:
        raise KeyError(f"cpus {text}: add {nano} to CPUS_READ_BACK, read from helpers.go")
    return CPUS_READ_BACK[nano][0]


def read_container(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A container's state after the provider's read: its inputs with the rewritten fields."""
    state = dict(inputs)
    if "ports" in state:
        state["ports"] = read_ports(state["ports"])
    if "cpus" in state:
        state["cpus"] = read_cpus(state["cpus"])
    check = state.get("healthcheck")
    if isinstance(check, Mapping):
        state["healthcheck"] = {
            key: read_duration(value)
            if key in {"interval", "timeout", "startPeriod", "startInterval"}
            else value
            for key, value in check.items()
        }
    return state


def pull_key(image: str) -> str:
    """The ``registry_auth`` key the provider looks up to pull ``image`` (parseImageOptions)."""
    first_slash = image.find("/")
    if image.count("/") > 1 or (
        first_slash != -1
        and (any(c in image[:first_slash] for c in ".:") or image[:first_slash] == "localhost")
    ):
        return image[:first_slash]
    return DOCKER_HUB_PULL_KEY[0]


def _go_seconds(text: str) -> int:
    """Whole seconds of a Go duration such as ``90s``, ``1m30s`` or ``1h0m0s``."""
    total, number = 0, ""
    units = {"h": 3600, "m": 60, "s": 1}
    for char in text:
        if char.isdigit():
            number += char
        elif char in units and number:
            total += int(number) * units[char]
            number = ""
        else:
            raise ValueError(f"{text} is not a whole-second Go duration")
    if number:
        raise ValueError(f"{text} has no unit")
    return total
