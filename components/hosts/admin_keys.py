"""The admin user's ``authorized_keys`` on a Docker server, kept equal to platform:adminSshKeys.

A cloud server reads its keys once, from cloud-init at first boot (its ``userData`` and
``sshKeys`` are ignored after creation), and an existing server never gets them from the
program at all; so a step writes the file after the readiness on every change, as prod's
``-ssh-keys`` step does for each guest: an added key arrives, a removed one is revoked.

The program logs in with its own key (platform:secrets.<host>.sshPrivateKey); a key set
without that key's public half would lock the program out of the server for good, so it is
refused before anything runs, naming the key to add.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_command as command

from components import names
from components.render.server_steps import authorized_keys_script
from components.render.ssh_keys import holds_key, public_key_of
from components.spec import Problem, SpecError


def lockout_problem(keys: Sequence[str], private_key: str, secret_path: str) -> Problem | None:
    """Why writing ``keys`` would lock out the holder of ``private_key``, or None. A value
    that is not a private key (an offline plan's placeholder) cannot be checked: None."""
    public = public_key_of(private_key)
    if public is None or holds_key(keys, public):
        return None
    return Problem(
        ("adminSshKeys",),
        f"does not hold {public}, the public half of {secret_path}: the program logs in with "
        "that key, and writing these keys would lock it out of the server. Add that line "
        "(to rotate the program's key: add the new public key, run `pulumi up`, switch the "
        "secret, run `pulumi up`, then remove the old key)",
    )


def authorized_keys_step(
    host: str,
    *,
    connection: command.remote.ConnectionArgs,
    keys: Sequence[str],
    private_key: pulumi.Input[str],
    secret_path: str,
    after: Sequence[pulumi.Resource],
    triggers: Sequence[pulumi.Input[str]] | None,
    parent: pulumi.Resource,
) -> command.remote.Command:
    """``<host>-ssh-keys``: the SSH user's authorized_keys, replaced whole by ``keys``."""
    script = authorized_keys_script(keys)

    def checked(key: str) -> str:
        problem = lockout_problem(keys, key, secret_path)
        if problem is not None:
            error = SpecError([problem])
            raise pulumi.RunError(f"invalid stack config:\n{error}") from error
        return script

    # The script holds public keys only: the check reads the secret, its result does not.
    create = pulumi.Output.unsecret(pulumi.Output.secret(private_key).apply(checked))
    return command.remote.Command(
        names.child(host, names.SSH_KEYS),
        connection=connection,
        create=create,
        update=create,
        triggers=list(triggers) if triggers is not None else None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(after)),
    )
