"""Turn the raw ``platform:*`` config values of a stack into a validated ``PlatformSpec``.

Pulumi hands a program its config as strings (objects and lists as JSON). This module is pure:
the Pulumi shell passes the values in, and any problem comes back as one ``SpecError`` listing
every offending path, value and what is allowed, before a single resource is declared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from .errors import Problem, SpecError, SpecProblem, config_path
from .models import PlatformSpec

# Credentials the program needs, read by the Pulumi layer with `Config.require_secret`. They
# must be stored encrypted (`pulumi config set --secret`); a plaintext value is an error.
SECRET_KEYS: dict[str, str] = {
    "proxmoxApiToken": "Proxmox API token, USER@REALM!TOKENID=UUID",
    "sshPrivateKey": "private key (OpenSSH PEM) for SSH to the Proxmox host",
}

SECRET_PLACEHOLDER = "[secret]"


def parse_platform(values: Mapping[str, str], secret_keys: Set[str] = frozenset()) -> PlatformSpec:
    """Validate the ``platform`` namespace: ``values`` maps a key (no namespace) to its raw text."""
    problems = _secret_problems(values, secret_keys)
    document = {key: _decode(text) for key, text in values.items() if key not in SECRET_KEYS}
    try:
        spec = PlatformSpec.model_validate(document)
    except ValidationError as error:
        problems.extend(_problems_from(error, secret_keys))
        raise SpecError(problems) from None
    if problems:
        raise SpecError(problems)
    return spec


def _secret_problems(values: Mapping[str, str], secret_keys: Set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for key, what in SECRET_KEYS.items():
        if key not in values:
            problems.append(
                Problem(
                    (key,),
                    f"is required ({what}); set it with "
                    f"`pulumi config set --secret {config_path((key,))} <value>`",
                )
            )
        elif key not in secret_keys:
            problems.append(
                Problem(
                    (key,),
                    f"is stored in plaintext ({what}); store it encrypted with "
                    f"`pulumi config set --secret {config_path((key,))} <value>`",
                )
            )
    return problems


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _problems_from(error: ValidationError, secret_keys: Set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for detail in error.errors():
        cause = detail.get("ctx", {}).get("error")
        loc = _config_loc(detail["loc"])
        if isinstance(cause, SpecProblem):
            # A model's validator names paths inside that model; prefix where the model sits.
            problems.extend(Problem((*loc, *p.loc), p.message) for p in cause.problems)
            continue
        shown = SECRET_PLACEHOLDER if loc and loc[0] in secret_keys else _show(detail["input"])
        problems.append(Problem(loc, _describe(detail, shown)))
    return problems


def _config_loc(loc: tuple[int | str, ...]) -> tuple[str | int, ...]:
    # Pydantic appends the validator's name for union/function errors; keep the config keys only.
    return tuple(part for part in loc if isinstance(part, int) or not part.startswith("function-"))


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str)


def _describe(detail: ErrorDetails, shown: str) -> str:
    kind = detail["type"]
    loc = detail["loc"]
    if kind == "missing":
        return f"is required: {_field_description(loc)}"
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc[:-1]))
        return f"is not a known key; allowed keys: {allowed}"
    if kind in ("ip_v4_address", "ip_any_address"):
        return (
            f"{shown} is not a valid IPv4 address; use dotted-decimal form without a prefix, "
            "such as 10.0.0.2"
        )
    if kind in ("ip_v4_interface", "ip_any_interface"):
        return f"{shown} is not a valid IPv4 address with prefix, such as 10.0.0.1/24"
    if kind in ("ip_v4_network", "ip_any_network"):
        return f"{shown} is not a valid IPv4 network in CIDR form, such as 10.0.0.0/24"
    message = detail["msg"].removeprefix("Value error, ")
    if kind in ("port_range", "value_error"):
        return f"{shown} {message}"
    return f"{shown} is invalid: {message} ({_field_description(loc)})"


def _walk(loc: tuple[int | str, ...]) -> tuple[Any, FieldInfo | None]:
    """Follow ``loc`` through the model tree: the annotation reached and the last field passed."""
    annotation: Any = PlatformSpec
    field: FieldInfo | None = None
    for part in loc:
        model = _model_in(annotation)
        if model is not None and isinstance(part, str) and part in model.model_fields:
            field = model.model_fields[part]
            annotation = field.annotation
            continue
        # A dict key (a service name) or a list index: step into the container's value type.
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if not args:
            return None, None
        annotation = args[-1]
    return annotation, field


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _field_description(loc: tuple[int | str, ...]) -> str:
    _, field = _walk(loc)
    if field is None or not field.description:
        return "see the README's config reference"
    return field.description


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    annotation, _ = _walk(loc)
    model = _model_in(annotation)
    extra = list(SECRET_KEYS) if not loc else []
    return sorted([*(model.model_fields if model else ()), *extra])
