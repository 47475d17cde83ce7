"""Run from a copy of the project (``python checkout_plan.py STACK``, the copy's root as the
working directory): the program under mocks whose readiness commands answer as ready machines
and whose file-writing invoke answers as it does, so the NPM objects' ``api`` is known. Prints
JSON: the dynamic resources' inputs, where the ssh files were written, and which ``components``
was imported."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pulumi

import components
from components.plan import recording
from components.plan.stack_file import read_project_name, read_stack_config
from components.render.engine_access import GUEST_HOST_KEY_PREFIX
from components.render.readiness import READY_PREFIX

GUEST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuestHostKeyOfTheCheckoutTest"


class ReadyMocks(recording._EchoMocks):
    def __init__(self) -> None:
        self.written: list[str] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        id_, outputs = super().new_resource(args)
        if args.typ in ("digitalocean:index/droplet:Droplet", "hcloud:index/server:Server"):
            outputs.setdefault("ipv4Address", "203.0.113.10")  # known once created
        if args.typ == "tls:index/privateKey:PrivateKey":
            outputs.setdefault("publicKeyOpenssh", GUEST_KEY)
            outputs.setdefault("privateKeyOpenssh", "-----BEGIN OPENSSH PRIVATE KEY-----")
        if args.typ == "command:remote:Command" and args.name.endswith("-ready"):
            outputs["stdout"] = f"{GUEST_HOST_KEY_PREFIX}{GUEST_KEY}\n{READY_PREFIX}26.1.5\n"
        return id_, outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == "command:local:run":
            directory = json.loads(args.args["stdin"])["dir"]
            self.written.append(directory)
            return {"stdout": directory + "\n", "stderr": "", "command": ""}, []
        return super().call(args)


def main(stack: str) -> None:
    root = Path.cwd()
    config = read_stack_config(root / f"Pulumi.{stack}.yaml")
    mocks = ReadyMocks()
    run = recording.run_program(
        root / "__main__.py",
        project=read_project_name(root),
        stack=stack,
        config=config.values,
        secret_keys=config.secret_keys,
        mocks=mocks,
    )
    if run.error is not None:
        raise run.error
    dynamic = {r.name: r.inputs for r in run.resources if r.type.startswith("pulumi-python:")}
    print(
        json.dumps(
            {"dynamic": dynamic, "written": mocks.written, "components": components.__file__},
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
