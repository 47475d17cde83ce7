"""The ssh_config and known_hosts through which pulumi-docker reaches every Docker engine.

How pulumi-docker uses them (read at the versions this project locks):
- pulumi/pulumi-docker provider/go.mod (237b7899bb51) bridges kreuzwerker/terraform-provider-docker
  and builds with github.com/docker/cli v28.5.2.
- kreuzwerker/terraform-provider-docker internal/provider/config.go (83c00e0bf3ce), for a host
  starting with `ssh://`, calls `connhelper.GetConnectionHelperWithSSHOpts(host, SSHOpts)`.
- docker/cli v28.5.2 cli/connhelper/connhelper.go appends `-o ConnectTimeout=30` unless an
  ssh_opt mentions ConnectTimeout, appends `-T`, and runs the remote `docker system dial-stdio`;
  cli/connhelper/ssh/ssh.go builds `ssh [-l user] [-p port] <ssh_opts...> -- <host> <command>`
  and commandconn execs `ssh` directly (no shell): every ssh_opts element is one argv word.

So the provider gets `host="ssh://<alias>"` (no user or port in the URL: `-l`/`-p` would
override the config) and `ssh_opts=["-F", "<ssh_config>"]`. `-F` makes ssh read this file only
(no ~/.ssh/config, no /etc/ssh/ssh_config), and OpenSSH passes the same `-F` to the ssh it
spawns for a ProxyJump hop, so the jump host's block below applies to the hop too.

Host keys are pinned: each block sets `HostKeyAlias <alias>` and the known_hosts lines are keyed
by that alias, so a guest's private bridge address never collides with another stack's, and
`StrictHostKeyChecking yes` with `UpdateHostKeys no` means an unknown or changed key fails the
connection instead of being learned.

Multiplexing: the provider caches one Docker client per provider config (kreuzwerker
internal/provider/config.go:116-126, 206) whose HTTP transport keeps idle connections, but
every new connection (each concurrent call, and any after an idle one was dropped) is a new
`ssh` process: without multiplexing a full handshake each. Each block therefore shares one
master connection (`ControlMaster auto`, `ControlPersist`): a later `ssh` to the same host
opens a session over it, and every guest's file shares its Proxmox host's master for the hop.
The socket lives in the stack's own private directory, named by a hash of the endpoint (alias,
address, port, user, jump host) and its pinned keys: two stacks never share a master, nor two
guests with one bridge address behind different Proxmox hosts, and a changed pin (a rebuilt
host) starts a new one (a master is reused without checking the host key again). The path is
short: a unix socket path holds 107 bytes and ssh binds `<path>.<16 random characters>` first
(OpenSSH mux.c `muxserver_listen`), so the path may hold 90.
sshd allows 10 sessions per connection (`MaxSessions`) and starts dropping new unauthenticated
connections beyond 10 (`MaxStartups 10:30:100`); an `ssh` the master refuses falls back to a
connection of its own (tests/render/test_ssh_config.py shows both with a real sshd), so the
deploy workflow bounds Pulumi's parallel operations below both (`.github/workflows/
pulumi-stack.yml`, `parallel`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .input_errors import HOST_KEY, SAFE_TOKEN, check, check_port, raise_if

# Paths are written unquoted into ssh_config, where '%' starts a token and '~' expands.
_CONFIG_PATH = re.compile(r"^/[A-Za-z0-9._/-]+$")
_SSH_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# Longest ControlPath ssh can bind (see above), and the name's length within it.
MAX_CONTROL_PATH = 90
_CONTROL_NAME_LENGTH = 20
CONTROL_PERSIST_S = 60
_DNS_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


@dataclass(frozen=True)
class SshHost:
    """One SSH endpoint: a Docker engine, or a Proxmox host used as the jump host.

    `alias` is the name in `ssh://<alias>` and in known_hosts; `hostname` is the address ssh
    connects to (for a guest on the private bridge: its bridge address, reached via `jump`).
    """

    alias: str
    hostname: str
    user: str
    host_keys: tuple[str, ...]
    port: int = 22
    jump: str | None = None


@dataclass(frozen=True)
class SshClientPaths:
    """Where the files live on the machine that runs `pulumi` (absolute paths).

    `control_dir` holds the stack's multiplexing sockets: private (0700) and short (see above).
    """

    ssh_config: str
    known_hosts: str
    identity_file: str
    control_dir: str


def docker_host(alias: str) -> str:
    """The pulumi-docker `host` for an engine reached through the generated ssh_config."""
    return f"ssh://{alias}"


def docker_ssh_opts(paths: SshClientPaths) -> list[str]:
    """The pulumi-docker `ssh_opts`: one argv word each, since ssh is exec'd without a shell."""
    return ["-F", paths.ssh_config]


def _is_address_or_name(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(_DNS_NAME.match(value))


def _check(hosts: Sequence[SshHost], paths: SshClientPaths | None) -> None:
    problems: list[str] = []
    aliases = [h.alias for h in hosts]
    check(problems, len(hosts) > 0, "hosts", [], "at least one SSH host")
    for alias in sorted({a for a in aliases if aliases.count(a) > 1}):
        check(problems, False, "alias", alias, "unique across hosts")
    by_alias = {h.alias: h for h in hosts}
    for h in hosts:
        where = f"hosts[{h.alias}]"
        check(
            problems,
            bool(SAFE_TOKEN.match(h.alias)),
            f"{where}.alias",
            h.alias,
            "letters, digits, '.', '_', '-' (it is a Host pattern and a URL host)",
        )
        check(
            problems,
            _is_address_or_name(h.hostname),
            f"{where}.hostname",
            h.hostname,
            "an IP address or a DNS name",
        )
        check(problems, bool(_SSH_USER.match(h.user)), f"{where}.user", h.user, "a Unix user name")
        check_port(problems, f"{where}.port", h.port)
        check(
            problems,
            len(h.host_keys) > 0,
            f"{where}.host_keys",
            h.host_keys,
            "at least one pinned host key",
        )
        for i, key in enumerate(h.host_keys):
            check(
                problems,
                bool(HOST_KEY.match(key.strip())),
                f"{where}.host_keys[{i}]",
                key,
                "'<type> <base64>' as in a known_hosts line, without host or comment",
            )
        if h.jump is not None:
            check(
                problems,
                h.jump in by_alias and h.jump != h.alias,
                f"{where}.jump",
                h.jump,
                f"the alias of another host in this file: {sorted(by_alias)}",
            )
    # A jump chain must end: following `jump` from any host never comes back to it.
    for h in hosts:
        seen = {h.alias}
        hop = h.jump
        while hop is not None and hop in by_alias:
            if hop in seen:
                check(problems, False, f"hosts[{h.alias}].jump", h.jump, "a chain without a loop")
                break
            seen.add(hop)
            hop = by_alias[hop].jump
    if paths is not None:
        for name in ("ssh_config", "known_hosts", "identity_file", "control_dir"):
            value = getattr(paths, name)
            check(
                problems,
                bool(_CONFIG_PATH.match(value)),
                f"paths.{name}",
                value,
                "an absolute path of letters, digits, '.', '_', '-', '/'",
            )
        room = MAX_CONTROL_PATH - _CONTROL_NAME_LENGTH - 1
        check(
            problems,
            len(paths.control_dir.rstrip("/")) <= room,
            "paths.control_dir",
            paths.control_dir,
            f"at most {room} characters (a unix socket path, with ssh's suffix, holds 107)",
        )
    raise_if("ssh_config", problems)


def known_hosts_text(hosts: Sequence[SshHost]) -> str:
    """known_hosts lines keyed by each host's alias (the HostKeyAlias), sorted."""
    _check(hosts, None)
    lines = sorted(f"{h.alias} {key.strip()}" for h in hosts for key in h.host_keys)
    return "\n".join(lines) + "\n"


def ssh_config_text(hosts: Sequence[SshHost], paths: SshClientPaths) -> str:
    """One `Host` block per endpoint, sorted by alias; nothing outside the blocks."""
    _check(hosts, paths)
    blocks: list[str] = [
        "# Managed by selfhosted-platform: used only through `ssh -F` (pulumi-docker ssh_opts).",
    ]
    for h in sorted(hosts, key=lambda host: host.alias):
        options: list[tuple[str, str]] = [
            ("HostName", h.hostname),
            ("Port", str(h.port)),
            ("User", h.user),
            ("HostKeyAlias", h.alias),
            ("IdentityFile", paths.identity_file),
            ("IdentitiesOnly", "yes"),
            # Never offer an agent's keys: only the stack's key may authenticate.
            ("IdentityAgent", "none"),
            ("UserKnownHostsFile", paths.known_hosts),
            ("GlobalKnownHostsFile", "/dev/null"),
            ("StrictHostKeyChecking", "yes"),
            ("UpdateHostKeys", "no"),
            ("CheckHostIP", "no"),
            ("PreferredAuthentications", "publickey"),
            ("PasswordAuthentication", "no"),
            ("KbdInteractiveAuthentication", "no"),
            ("BatchMode", "yes"),
            ("ForwardAgent", "no"),
            ("ForwardX11", "no"),
            # pulumi-docker keeps one dial-stdio session per API call: detect dead paths.
            ("ServerAliveInterval", "15"),
            ("ServerAliveCountMax", "4"),
        ]
        if h.jump is not None:
            options.append(("ProxyJump", h.jump))
        options += [
            ("ControlMaster", "auto"),
            ("ControlPath", _control_path(paths.control_dir, h)),
            ("ControlPersist", str(CONTROL_PERSIST_S)),
        ]
        body = "\n".join(f"    {key} {value}" for key, value in options)
        blocks.append(f"Host {h.alias}\n{body}")
    return "\n\n".join(blocks) + "\n"


def _control_path(directory: str, host: SshHost) -> str:
    """The master's socket in `directory` (one per stack): one name per endpoint and pin."""
    identity = "\n".join(
        [
            host.alias,
            host.hostname,
            str(host.port),
            host.user,
            host.jump or "",
            *sorted(key.strip() for key in host.host_keys),
        ]
    )
    name = hashlib.sha256(identity.encode()).hexdigest()[:_CONTROL_NAME_LENGTH]
    return f"{directory.rstrip('/')}/{name}"
