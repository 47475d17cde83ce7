"""The Pulumi program every stack runs: load the spec, build the platform, export a summary."""

from __future__ import annotations

import pulumi

from components.proxmox_platform import ProxmoxPlatform, ProxmoxPlatformArgs
from components.spec import SpecError
from components.stack_config import load_platform_spec, platform_secret


def main() -> None:
    try:
        spec = load_platform_spec()
    except SpecError as error:
        # RunError prints the message alone; nothing has been declared at this point.
        raise pulumi.RunError(f"invalid stack config:\n{error}") from error
    platform = ProxmoxPlatform(
        spec.host.name,
        ProxmoxPlatformArgs(
            spec=spec,
            api_token=platform_secret("proxmoxApiToken"),
            ssh_private_key=platform_secret("sshPrivateKey"),
        ),
    )
    pulumi.export("publicAddress", str(spec.host.publicAddress))
    pulumi.export("services", {name: svc.address for name, svc in platform.services.items()})
