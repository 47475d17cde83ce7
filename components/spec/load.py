"""Turn the raw ``platform:*`` config values of a stack into a validated ``PlatformSpec``.

Pulumi hands a program its config as strings (objects and lists as JSON). This module is pure:
the Pulumi shell passes the values in, and any problem comes back as one ``SpecError`` listing
every offending path, value and what is allowed, before a single resource is declared.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Set
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from .common import SecretRef
from .errors import CONFIG_NAMESPACE, Problem, SpecError, SpecProblem
from .monitoring import secret_refs as monitoring_secret_refs
from .partial import INVALID, parsed, set_private, value_or_partial
from .platform import PlatformSpec, host_kinds
from .rules import cross_field_problems
from .rules.names import SECTIONS
from .services import ServiceSpec

# Namespaces a stack file may use besides `platform`: the settings of the providers the host
# kinds declare (each kind's PROVIDERS), and Pulumi's own. Anything else is most likely a
# misspelt `platform` (`platfrom:hosts`) whose keys would be silently ignored.
KNOWN_NAMESPACES = frozenset(
    {CONFIG_NAMESPACE, "pulumi", *(p for kind in host_kinds() for p in kind.PROVIDERS)}
)
SECRETS_KEY = "secrets"
SECRET_PLACEHOLDER = "[secret]"


def check_namespaces(keys: Iterable[str]) -> list[Problem]:
    """One problem per config key whose namespace no part of the program reads."""
    problems = []
    for key in sorted(keys):
        namespace, _, name = key.partition(":")
        if namespace not in KNOWN_NAMESPACES:
            known = ", ".join(sorted(KNOWN_NAMESPACES))
            problems.append(
                Problem(
                    (name,),
                    f"is in the namespace {namespace}, which nothing reads; did you mean "
                    f"{CONFIG_NAMESPACE}:{name}? Known namespaces: {known}",
                    namespace=namespace,
                )
            )
    return problems


def parse_platform(
    values: Mapping[str, str],
    secret_keys: Set[str] = frozenset(),
    secret_leaves: Set[str] | None = None,
) -> PlatformSpec:
    """Validate the ``platform`` namespace: ``values`` maps a key (no namespace) to its raw text.

    ``secret_keys`` are the keys Pulumi marks secret (a key holding any ``secure:`` value).
    ``secret_leaves``, when the caller read the stack file itself, are the dotted paths under
    ``secrets`` that were stored encrypted; the Pulumi runtime only knows whole keys.
    """
    problems: list[Problem] = []
    document = {key: _decode(text) for key, text in values.items() if key != SECRETS_KEY}
    secrets = _decode(values[SECRETS_KEY]) if SECRETS_KEY in values else {}
    leaves = _secret_leaf_paths(secrets, problems)
    if SECRETS_KEY in values and SECRETS_KEY not in secret_keys:
        problems.append(Problem((SECRETS_KEY,), _plaintext_message(SECRETS_KEY)))
    elif secret_leaves is not None:
        for path in sorted(leaves - set(secret_leaves)):
            problems.append(
                Problem(
                    (SECRETS_KEY, *path.split(".")), _plaintext_message(f"{SECRETS_KEY}.{path}")
                )
            )
    spec, validation_problems = _validate(document, secret_keys)
    problems.extend(validation_problems)
    problems.extend(_secret_reference_problems(spec, leaves))
    if problems:
        raise SpecError(problems)
    return spec


def _plaintext_message(path: str) -> str:
    return (
        "is stored in plaintext; store secrets encrypted with "
        f"`pulumi config set --secret --path '{CONFIG_NAMESPACE}:{path}' <value>`"
    )


def _secret_leaf_paths(secrets: Any, problems: list[Problem]) -> set[str]:
    leaves: set[str] = set()

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, str(key)))
        elif isinstance(value, str) and path:
            leaves.add(".".join(path))
        else:
            problems.append(
                Problem(
                    (SECRETS_KEY, *path),
                    "is not a secret value: platform:secrets holds nested objects whose leaves "
                    "are encrypted strings",
                )
            )

    walk(secrets, ())
    return leaves


def _validate(
    document: dict[str, Any], secret_keys: Set[str]
) -> tuple[PlatformSpec, list[Problem]]:
    """The spec, or a partial one with every field and cross-field problem of the document."""
    try:
        return PlatformSpec.model_validate(document), []
    except ValidationError as error:
        problems = _problems_from(error, secret_keys)
    # A field error stops pydantic before the cross-field rules: run them on a partial spec that
    # keeps every field that is valid on its own (see ``partial``), so one run reports all.
    spec = _partial_spec(document)
    # A rule never speaks about a value already reported as invalid.
    reported = {problem.loc for problem in problems}
    problems.extend(p for p in cross_field_problems(spec) if p.loc not in reported)
    return spec, problems


def _partial_spec(document: Mapping[str, Any]) -> PlatformSpec:
    values: dict[str, Any] = {}
    failed: set[str] = set()
    unvalidated: list[tuple[str, str]] = []
    for key, field in PlatformSpec.model_fields.items():
        if key in SECTIONS:
            # A missing section declares nothing; one that is not an object reads as empty but
            # is failed, so no reference into it is reported as unknown.
            raw = document.get(key, {})
            if not isinstance(raw, dict):
                failed.add(key)
                raw = {}
            entry_type = get_args(field.annotation)[1]
            entries = {}
            for name, item in raw.items():
                entry = value_or_partial(entry_type, item)
                if entry is INVALID:
                    unvalidated.append((key, name))
                else:
                    entries[name] = entry
            values[key] = entries
        elif key in document:
            value = value_or_partial(field.rebuild_annotation(), document[key])
            if value is INVALID:
                failed.add(key)
            else:
                values[key] = value
    spec = PlatformSpec.model_construct(**values)
    for key in failed - set(SECTIONS):
        spec.__dict__.pop(key, None)
    set_private(spec, _failed=frozenset(failed), _unvalidated=tuple(unvalidated))
    return spec


def _secret_reference_problems(spec: PlatformSpec, leaves: Set[str]) -> list[Problem]:
    problems = []
    for host_name, host in spec.hosts.items():
        for key, what in type(host).SECRETS.items():
            path = f"{host_name}.{key}"
            if path not in leaves:
                problems.append(
                    Problem(
                        (SECRETS_KEY, host_name, key),
                        f"is required ({what}) by the {host.kind} host {host_name}; set it with "
                        f"`pulumi config set --secret --path '{CONFIG_NAMESPACE}:{SECRETS_KEY}."
                        f"{path}' <value>`",
                    )
                )
    refs: list[tuple[tuple[str | int, ...], SecretRef]] = [
        (("registries", host, "password", "secret"), registry.password)
        for host, registry in (spec.registries.items() if parsed(spec, "registries") else ())
    ]
    for name, service in spec.services.items():
        refs += _service_secret_refs(name, service)
    if parsed(spec, "monitoring") and spec.monitoring is not None:
        refs += monitoring_secret_refs(spec.monitoring)
    for loc, ref in refs:
        if ref.secret not in leaves:
            problems.append(
                Problem(
                    loc,
                    f"{ref.secret} is not under platform:secrets; set it with "
                    f"`pulumi config set --secret --path '{CONFIG_NAMESPACE}:{SECRETS_KEY}."
                    f"{ref.secret}' <value>`",
                )
            )
    return problems


def _service_secret_refs(
    name: str, service: ServiceSpec
) -> list[tuple[tuple[str | int, ...], SecretRef]]:
    refs: list[tuple[tuple[str | int, ...], SecretRef]] = []
    if parsed(service, "env"):
        refs += [
            (("services", name, "env", key, "secret"), value)
            for key, value in service.env.items()
            if isinstance(value, SecretRef)
        ]
    if parsed(service, "app") and service.app is not None:
        for key in type(service.app).model_fields:
            value = getattr(service.app, key)
            if isinstance(value, SecretRef):
                refs.append((("services", name, "app", key, "secret"), value))
    return refs


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _problems_from(error: ValidationError, secret_keys: Set[str]) -> list[Problem]:
    problems: dict[tuple[str | int, ...], Problem] = {}
    for detail in error.errors():
        cause = detail.get("ctx", {}).get("error")
        loc, _, _ = _walk(detail["loc"])
        if isinstance(cause, SpecProblem):
            if not loc:
                # The platform's own cross-field rules: the loader runs them on its own.
                continue
            # A model's validator names paths inside that model; prefix where the model sits.
            for problem in cause.problems:
                full = Problem((*loc, *problem.loc), problem.message)
                problems.setdefault(full.loc, full)
            continue
        if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
            detail["ctx"] = {**detail.get("ctx", {}), "expected_tags": _kinds(detail["loc"])}
            loc = (*loc, "kind")
        shown = SECRET_PLACEHOLDER if loc and loc[0] in secret_keys else _show(detail["input"])
        # A value no member of a union accepts fails once per member: report the first.
        problems.setdefault(loc, Problem(loc, _describe(detail, shown)))
    return list(problems.values())


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str)


def _describe(detail: ErrorDetails, shown: str) -> str:
    kind = detail["type"]
    loc = detail["loc"]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        expected = detail.get("ctx", {}).get("expected_tags", "")
        tag = detail.get("ctx", {}).get("tag")
        found = f"{tag} is not a known kind" if tag is not None else "kind is required"
        return f"{found}; allowed kinds: {expected}"
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


def _walk(
    loc: tuple[int | str, ...],
) -> tuple[tuple[str | int, ...], Any, FieldInfo | None]:
    """Follow pydantic's ``loc`` through the model tree.

    Returns the config path (union member tags and validator names removed), the annotation
    reached and the last field passed.
    """
    annotation: Any = PlatformSpec
    field: FieldInfo | None = None
    path: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        members = _union_members(annotation)
        if members:
            # Pydantic names the union member it tried: a discriminator tag or a type name.
            annotation = _member_named(members, part)
            continue
        model = _model_in(annotation)
        # A dict key is never a field, even when a service is called `livekit` or `image`.
        container = get_origin(_unannotated(annotation)) in (dict, list)
        if (
            model is not None
            and not container
            and isinstance(part, str)
            and part in model.model_fields
        ):
            field = model.model_fields[part]
            annotation = field.annotation
            path.append(part)
            continue
        # A dict key (a service name) or a list index: step into the container's value type.
        args = [arg for arg in get_args(_unannotated(annotation)) if arg is not type(None)]
        annotation = args[-1] if args else None
        path.append(part)
    return tuple(path), annotation, field


def _kinds(loc: tuple[int | str, ...]) -> str:
    """The `kind` values the discriminated union at ``loc`` accepts, as config spells them."""
    _, annotation, _ = _walk(loc)
    tags = [
        tag
        for member in _union_members(annotation)
        if (model := _model_in(member)) is not None and "kind" in model.model_fields
        for tag in get_args(model.model_fields["kind"].annotation)
    ]
    return ", ".join(tags)


def _unannotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _union_members(annotation: Any) -> list[Any]:
    annotation = _unannotated(annotation)
    if get_origin(annotation) not in (Union, UnionType):
        return []
    members = [arg for arg in get_args(annotation) if arg is not type(None)]
    # `X | None` where X is itself a union (an optional discriminated union, like `app`).
    return members if len(members) > 1 else _union_members(members[0]) if members else []


def _member_named(members: list[Any], tag: str | int) -> Any:
    for member in members:
        model = _model_in(member)
        if model is None:
            continue
        kind = model.model_fields.get("kind")
        if model.__name__ == tag or (kind is not None and tag in get_args(kind.annotation)):
            return model
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _field_description(loc: tuple[int | str, ...]) -> str:
    _, _, field = _walk(loc)
    if field is None or not field.description:
        return "see the README's config reference"
    return field.description


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    _, annotation, _ = _walk(loc)
    model = _model_in(annotation)
    extra = [SECRETS_KEY] if not loc else []
    return sorted([*(model.model_fields if model else ()), *extra])
