"""A stack file's validated spec, read the way the program reads its config."""

from __future__ import annotations

from pathlib import Path

from components.spec import (
    CONFIG_NAMESPACE,
    PlatformSpec,
    SpecError,
    check_namespaces,
    parse_platform,
)

from .stack_file import read_stack_config

_PREFIX = f"{CONFIG_NAMESPACE}:"


def read_stack_spec(path: Path) -> PlatformSpec:
    """Raises ``SpecError`` with every problem, ``StackFileError`` for an unreadable file."""
    config = read_stack_config(path)
    problems = check_namespaces(config.values)
    try:
        spec = parse_platform(
            {k.removeprefix(_PREFIX): v for k, v in config.values.items() if k.startswith(_PREFIX)},
            {k.removeprefix(_PREFIX) for k in config.secret_keys if k.startswith(_PREFIX)},
            secret_leaves={
                p.removeprefix(f"{_PREFIX}secrets.")
                for p in config.secure_paths
                if p.startswith(f"{_PREFIX}secrets.")
            },
        )
    except SpecError as error:
        raise SpecError([*problems, *error.problems]) from None
    if problems:
        raise SpecError(problems)
    return spec
