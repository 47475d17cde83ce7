"""Benchmark: our offline plan next to the bare Pulumi SDK registering the same resources.

Run: `.venv/bin/python benchmarks/plan_overhead.py [--rounds N]`. Not a test: it prints
wall times and ratios measured in the same run, interleaved round by round, because these
machines are noisy. Targets: program overhead <= 1.2x the bare SDK for every stack; a stack
imports the provider SDKs of its own host kinds only (no Proxmox SDK without a Proxmox host...).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402
from pulumi.runtime.rpc import _RESOURCE_MODULES  # noqa: E402

from components.plan import RecordedResource, plan_stack, read_stack_config, run_program  # noqa: E402
from components.plan.recording import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN  # noqa: E402

PROJECT = "selfhosted-platform"
MAIN = ROOT / "__main__.py"


def synthetic_config(services: int) -> tuple[dict[str, str], set[str]]:
    """Prod's config with ``services`` guests on a /16 NAT bridge, one container service each."""
    prod = read_stack_config(ROOT / "Pulumi.prod.yaml")
    values = dict(prod.values)
    hosts = json.loads(values["platform:hosts"])
    hosts["ax102"]["natBridge"] = {"name": "vmbr1", "address": "10.0.0.1/16"}
    values["platform:hosts"] = json.dumps(hosts)
    values["platform:guests"] = json.dumps(
        {
            f"g{i}": {
                "host": "ax102",
                "vmId": 1000 + i,
                "address": f"10.0.{i // 250}.{i % 250 + 2}",
            }
            for i in range(services)
        }
    )
    values["platform:services"] = json.dumps(
        {
            f"svc{i}": {
                "machine": f"g{i}",
                "image": "ghcr.io/example/backend:1.0.0",
                "networks": ["app"],
                "healthcheck": {"test": ["CMD", "true"]},
            }
            for i in range(services)
        }
    )
    values.pop("platform:proxy")
    return values, set(prod.secret_keys)


def stacks() -> list[str]:
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml")
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _kwargs(value: Any, rename: bool = True) -> Any:
    """Engine-form inputs back to SDK keyword form: snake_case keys, secrets as secret Outputs.

    Inside a secret the SDK no longer translates names, so the wire names are kept there.
    """
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return pulumi.Output.secret(_kwargs(value["value"], rename=False))
        return {(_snake(k) if rename else k): _kwargs(v, rename) for k, v in value.items()}
    if isinstance(value, list):
        return [_kwargs(v, rename) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return _unknown()
    return value


def _unknown() -> pulumi.Output[Any]:
    """A value unknown during preview (an output of a resource not created yet)."""
    loop = asyncio.get_event_loop()
    value: asyncio.Future[Any] = loop.create_future()
    value.set_result(None)
    known: asyncio.Future[bool] = loop.create_future()
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def _json_decoded(value: Any) -> Any:
    """Provider inputs travel JSON-encoded on the wire; undo that before replaying them."""
    if isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG:
        return {**value, "value": _json_decoded(value["value"])}
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _sdk_class(type_token: str) -> Any:
    """The provider SDK class that registers ``type_token``, from the SDKs' own registry."""
    if type_token.startswith("pulumi:providers:"):
        package = type_token.removeprefix("pulumi:providers:")
        return importlib.import_module(f"pulumi_{package}").Provider
    package, module, _ = type_token.split(":")
    for candidate in _RESOURCE_MODULES.get(f"{package}:{module}", []):
        info = getattr(candidate, "mod_info", {})
        if type_token in info.get("classes", {}):
            return getattr(importlib.import_module(info["fqn"]), info["classes"][type_token])
    raise LookupError(type_token)


def bare_program(recorded: list[RecordedResource]) -> Callable[[], None]:
    """The same registrations declared flat through the provider SDK classes.

    This is what a team would write without this library: the same resources, types, names,
    parents, providers, options, inputs and waits on other resources' outputs, but no spec,
    derivation or component code.
    """
    plan = []
    for r in recorded:
        if r.type == "pulumi:pulumi:Stack":
            continue
        cls = _sdk_class(r.type) if r.custom else None
        inputs = r.inputs
        if r.type.startswith("pulumi:providers:"):
            inputs = {k: _json_decoded(v) for k, v in inputs.items()}
        plan.append((r, cls, inputs))

    def program() -> None:
        created: dict[str, pulumi.Resource] = {}
        for r, cls, inputs in plan:
            opts = pulumi.ResourceOptions(
                parent=created.get(r.parent),
                provider=created.get(r.provider_urn),  # type: ignore[arg-type]
                protect=r.protect,
                depends_on=[created[urn] for urn in r.dependencies if urn in created],
            )
            if cls is None:
                created[r.urn] = pulumi.ComponentResource(r.type, r.name, None, opts)
            else:
                created[r.urn] = cls(r.name, opts, **_waiting(r, _kwargs(inputs), created))

    return program


def _waiting(
    r: RecordedResource, kwargs: dict[str, Any], created: dict[str, pulumi.Resource]
) -> dict[str, Any]:
    """Inputs that came from another resource's outputs wait for that resource, as they must in
    any program (a provider's host computed from a readiness command cannot be known first):
    the baseline keeps the dependency structure, not only the values."""
    for key, urns in r.property_dependencies.items():
        waits = [created[urn].urn for urn in urns if urn in created]
        name = _snake(key)
        if waits and name in kwargs:
            value = kwargs[name]
            kwargs[name] = pulumi.Output.all(*waits).apply(lambda _, v=value: v)
    return kwargs


def _signature(resources: list[RecordedResource]) -> list[tuple[str, str, str]]:
    return sorted((r.urn, r.parent, json.dumps(r.inputs, sort_keys=True)) for r in resources)


def _time(fn: Callable[[], object]) -> float:
    # As timeit does: collect first and keep the collector out of the timed run, so a pause
    # for garbage another run left behind is not charged to this one.
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def compare(label: str, config: dict[str, str], secrets: set[str], rounds: int) -> None:
    def ours() -> list[RecordedResource]:
        run = run_program(MAIN, project=PROJECT, stack="bench", config=config, secret_keys=secrets)
        if run.error is not None:
            raise run.error
        return run.resources

    recorded = ours()
    expected = _signature(recorded)
    bare = bare_program(recorded)

    def run_bare() -> None:
        run = run_program(bare, project=PROJECT, stack="bench", config=config, secret_keys=secrets)
        if run.error is not None:
            raise run.error
        if _signature(run.resources) != expected:
            raise AssertionError("the bare program registered different resources")

    for _ in range(2):  # warm up both (thread pools, caches) before anything is timed
        ours()
        run_bare()
    ours_times, bare_times = [], []
    for index in range(rounds):
        # Interleaved, and alternating which goes first, so drift on the machine and whatever
        # one run leaves behind for the next (garbage, a grown thread pool) hit both alike.
        pair = [(ours_times, ours), (bare_times, run_bare)]
        for times, fn in pair if index % 2 == 0 else reversed(pair):
            times.append(_time(fn))
    ours_median, bare_median = statistics.median(ours_times), statistics.median(bare_times)
    print(
        f"{label:<22} {len(recorded):>5} resources  ours {ours_median * 1000:8.1f} ms  "
        f"bare SDK {bare_median * 1000:8.1f} ms  ratio {ours_median / bare_median:5.2f}x"
    )


HOST_SDKS = {
    "proxmox": "pulumi_proxmoxve",
    "droplet": "pulumi_digitalocean",
    "hcloud": "pulumi_hcloud",
}


def import_times(rounds: int) -> None:
    def python(code: str) -> float:
        return _time(lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True))

    ours, bare = [], []
    for _ in range(rounds):
        ours.append(python("import components.program"))
        bare.append(python("import pulumi, pulumi_docker, pulumi_command"))
    o, b = statistics.median(ours), statistics.median(bare)
    print(
        f"{'import':<22} {'':>5}            ours {o * 1000:8.1f} ms  "
        f"SDKs alone {b * 1000:6.1f} ms  ratio {o / b:5.2f}x"
    )
    for stack in stacks():
        check = (
            "import json, sys, pathlib\n"
            "from components.plan import read_stack_config, run_program\n"
            f"c = read_stack_config(pathlib.Path('Pulumi.{stack}.yaml'))\n"
            f"run_program(pathlib.Path('__main__.py'), project='p', stack='{stack}',"
            " config=c.values, secret_keys=c.secret_keys)\n"
            "kinds = sorted({h['kind'] for h in json.loads(c.values['platform:hosts']).values()})\n"
            f"sdks = {sorted(HOST_SDKS.values())!r}\n"
            "print(json.dumps([kinds, [m for m in sdks if m in sys.modules]]))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", check], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        kinds, loaded = json.loads(out)
        expected = sorted(HOST_SDKS[k] for k in kinds if k in HOST_SDKS)
        verdict = (
            "only its own"
            if loaded == expected
            else f"EXTRA: {sorted(set(loaded) - set(expected))}"
        )
        kinds_text = ", ".join(kinds)
        print(f"  {stack:<10} host kinds {kinds_text:<10} host SDKs imported {loaded} ({verdict})")


def full_plan(rounds: int) -> None:
    times = [_time(lambda: plan_stack(ROOT, "prod")) for _ in range(rounds)]
    median = statistics.median(times)
    print(f"{'full plan prod':<22} (program + policy pack process) {median:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    print(f"median of {rounds} interleaved rounds; ratio = ours / bare SDK, same run")
    for stack in stacks():
        config = read_stack_config(ROOT / f"Pulumi.{stack}.yaml")
        compare(stack, dict(config.values), set(config.secret_keys), rounds)
    compare("synthetic 200 guests", *synthetic_config(200), rounds)
    import_times(max(3, rounds // 2))
    full_plan(max(3, rounds // 2))


if __name__ == "__main__":
    main()
