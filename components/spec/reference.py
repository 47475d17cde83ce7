"""The config reference, generated from the spec's models: every key of the ``platform``
namespace with its type, default, description and rules.

``python -m components config-reference`` prints it; docs/config-reference.md is its output,
and a test fails when the two differ. Rules come from the models themselves: pydantic's field
constraints (ranges, lengths, patterns), the allowed values of a ``Literal``, and for a value type
with its own validator, the message that validator gives for a value it refuses (its rule as
the operator reads it in an error). Cross-field rules are listed by topic from ``spec/rules``.
"""

from __future__ import annotations

import enum
import sys
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .platform import PlatformSpec
from .rules import RULES

_HEADER = """# Config reference

Generated from the pydantic models of `components/spec` by `python -m components
config-reference` (do not edit by hand: `tests/spec/test_reference.py` fails when this file
and the models differ). Keys are the camelCase keys of `Pulumi.<stack>.yaml`; `<name>` is a
key you choose. Secrets are `{secret: <dotted path under platform:secrets>}`.
"""


def config_reference() -> str:
    sections = list(_sections("platform:", PlatformSpec, top=True))
    lines = [_HEADER]
    for title, model in sections:
        lines += _table(title, model)
    lines += ["## Cross-field rules", ""]
    lines += [
        f"- `spec/rules/{rule.__module__.rpartition('.')[2]}.py`: "
        f"{(_module_doc(rule) or '').strip()}"
        for rule in RULES
    ]
    return "\n".join(lines).rstrip() + "\n"


def _module_doc(rule: Any) -> str:
    doc = sys.modules[rule.__module__].__doc__ or ""
    return " ".join(doc.split())


def _sections(
    path: str, model: type[BaseModel], top: bool = False
) -> Iterator[tuple[str, type[BaseModel]]]:
    """(title, model) for ``model`` and every model below it, depth first."""
    yield path.rstrip(".") if not top else "platform", model
    for name, field in model.model_fields.items():
        key = name if top else f"{path}{name}"
        key = f"platform:{name}" if top else key
        for suffix, child in _children(field.annotation):
            yield from _sections(f"{key}{suffix}.", child)


def _children(annotation: Any) -> Iterator[tuple[str, type[BaseModel]]]:
    """The models an annotation holds, with the path step to reach each."""
    annotation = _bare(annotation)
    origin = get_origin(annotation)
    if origin is dict:
        for suffix, child in _children(get_args(annotation)[1]):
            yield f".<name>{suffix}", child
    elif origin is list:
        for suffix, child in _children(get_args(annotation)[0]):
            yield f"[]{suffix}", child
    elif origin in (Union, types.UnionType):
        models = [m for m in _members(annotation) if _is_model(m)]
        for member in models:
            kind = member.model_fields.get("kind")
            tag = get_args(kind.annotation) if kind is not None else ()
            label = f" (kind {tag[0]})" if len(models) > 1 and tag else ""
            yield label, member
    elif _is_model(annotation):
        yield "", annotation


def _table(title: str, model: type[BaseModel]) -> list[str]:
    doc = " ".join((model.__doc__ or "").split())
    lines = [f"## `{title}`", ""]
    if doc:
        lines += [doc, ""]
    lines += ["| key | type | default | description | rules |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        lines.append(
            "| "
            + " | ".join(
                _cell(text)
                for text in (
                    f"`{name}`",
                    _type_name(field.annotation),
                    _default(field),
                    field.description or "",
                    "; ".join(_rules(field)),
                )
            )
            + " |"
        )
    return [*lines, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    factory = field.default_factory
    value = factory() if factory is not None else field.default  # type: ignore[call-arg]
    if value is None or value is PydanticUndefined:
        return "none"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, enum.Enum):
        value = value.value
    return f"`{value!s}`" if not isinstance(value, list | dict) or value else f"`{value!r}`"


def _members(annotation: Any) -> list[Any]:
    """A union's members, nested unions (``X | None`` around a discriminated union) flattened."""
    found = []
    for arg in get_args(annotation):
        member = _bare(arg)
        if get_origin(member) in (Union, types.UnionType):
            found += _members(member)
        elif member is not type(None):
            found.append(member)
    return found


def _bare(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


# Models written as one value (`{secret: path}`, `50000-60000`): a type, not a section.
_VALUE_MODELS = ("SecretRef", "PortRange")


def _is_model(annotation: Any) -> bool:
    return (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and annotation.__name__ not in _VALUE_MODELS
    )


def _type_name(annotation: Any) -> str:
    annotation = _bare(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        return " or ".join(f"`{value}`" for value in get_args(annotation))
    if origin is list:
        return f"list of {_type_name(get_args(annotation)[0])}"
    if origin is dict:
        return f"map of {_type_name(get_args(annotation)[1])}"
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(m) for m in _members(annotation))
    if getattr(annotation, "__name__", "") == "SecretRef":
        return "`{secret: path}`"
    if _is_model(annotation):
        kind = annotation.model_fields.get("kind")
        if kind is not None and get_origin(kind.annotation) is Literal:
            return f"object (kind `{get_args(kind.annotation)[0]}`)"
        return "object"
    return {
        "str": "text",
        "int": "integer",
        "float": "number",
        "bool": "true/false",
        "IPv4Address": "IPv4 address",
        "IPv4Network": "IPv4 network (CIDR)",
        "IPv6Network": "IPv6 network (CIDR)",
        "IPv4Interface": "IPv4 address/prefix",
        "HttpUrl": "URL",
        "PortRange": "port or range low-high",
    }.get(getattr(annotation, "__name__", ""), str(annotation))


def _rules(field: FieldInfo) -> Iterator[str]:
    for item in field.metadata:
        for attribute, text in (
            ("ge", ">= {}"),
            ("gt", "> {}"),
            ("le", "<= {}"),
            ("lt", "< {}"),
            ("min_length", "at least {} entries"),
            ("max_length", "at most {} entries"),
            ("pattern", "matches `{}`"),
        ):
            value = getattr(item, attribute, None)
            if value is not None:
                yield text.format(value)
    yield from _validator_rules([*field.metadata, *_annotated_parts(field.annotation)])


def _validator_rules(parts: list[Any]) -> Iterator[str]:
    """A value type's own validator, described by the message it gives for an empty value."""
    seen: set[str] = set()
    for part in parts:
        function = getattr(part, "func", None)
        if function is None:
            continue
        try:
            function("")
        except (ValueError, TypeError) as error:
            message = str(error).splitlines()[0].removeprefix("Value error, ")
            rule = message.removeprefix("is not ").removeprefix("reaches a shell command line; ")
            if rule not in seen:
                seen.add(rule)
                yield rule


def _annotated_parts(annotation: Any) -> Iterator[Any]:
    if get_origin(annotation) is Annotated:
        yield from get_args(annotation)[1:]
        yield from _annotated_parts(get_args(annotation)[0])
    for arg in get_args(annotation) if get_origin(annotation) is not Annotated else ():
        yield from _annotated_parts(arg)
