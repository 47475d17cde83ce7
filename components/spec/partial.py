"""Partial entries: what the cross-field rules may still judge of an entry that failed.

Pydantic stops an entry at its first invalid field, and the platform's cross-field rules never
see it. When the loader meets such an entry it validates each field on its own against the
field's ``FieldInfo`` and keeps those that pass in a partial model (``model_construct``). A field
that is invalid, or required and missing, is absent from the partial model (reading it raises
``AttributeError``, never a default that was not written) and named in its ``_failed`` set.

A rule asks ``parsed(model, *fields)`` before it reads a field of an entry, so it skips only the
checks that need a field that did not parse: a guest with ``cores: eight`` still has its
``vmId`` compared with the other guests'. A model that validated whole has nothing failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

from .common import Strict


class Invalid:
    """A value that failed and has no model to keep its valid fields in."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = Invalid()


def parsed(model: Strict, *fields: str) -> bool:
    """Whether every one of ``fields`` of ``model`` passed its own validation."""
    return model._failed.isdisjoint(fields)


def value_or_partial(annotation: Any, raw: Any) -> Any:
    """``raw`` validated against ``annotation``; else, when ``annotation`` is a model (or a union
    of models told apart by ``kind``) and ``raw`` an object, the partial model of its valid
    fields; else ``INVALID``."""
    try:
        return _adapter(annotation).validate_python(raw)
    except ValidationError:
        pass
    model = _model_for(annotation, raw) if isinstance(raw, Mapping) else None
    if model is None:
        return INVALID
    built = partial(model, raw)
    if _members(annotation) and model not in _members(annotation):
        # The kind named no member: only the fields all kinds share were judged.
        set_private(built, _failed=built._failed | {"kind"})
    return built


def partial(cls: type[Strict], raw: Mapping[str, Any]) -> Strict:
    """The fields of ``raw`` that validate on their own; the others are named as failed.

    Unknown keys are left out (they are reported on their own and set nothing); a field that is
    not written takes its default, as in a model that validates.
    """
    values: dict[str, Any] = {}
    failed: set[str] = set()
    for name, field in cls.model_fields.items():
        if name in raw:
            try:
                values[name] = _field_adapter(cls, name).validate_python(raw[name])
            except ValidationError:
                failed.add(name)
        elif field.is_required():
            failed.add(name)
    model = cls.model_construct(**values)
    for name in failed:
        # model_construct fills a failed field's default; the rules must not read it.
        model.__dict__.pop(name, None)
    set_private(model, _failed=frozenset(failed))
    return model


def set_private(model: Strict, **values: Any) -> None:
    """Set private attributes of a model built with ``model_construct`` (frozen or not)."""
    object.__setattr__(
        model, "__pydantic_private__", {**(model.__pydantic_private__ or {}), **values}
    )


@cache
def _field_adapter(cls: type[Strict], name: str) -> TypeAdapter[Any]:
    # The annotation with the field's constraints (ge, pattern, min_length...).
    return TypeAdapter(cls.model_fields[name].rebuild_annotation())


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _members(annotation: Any) -> list[type[Strict]]:
    """The models of a union (or the one model), ``None`` and annotations aside."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, UnionType):
        members = [m for m in get_args(annotation) if m is not type(None)]
        if len(members) == 1:
            return _members(members[0])
    else:
        members = [annotation]
    return [m for m in members if isinstance(m, type) and issubclass(m, Strict)]


def _model_for(annotation: Any, raw: Mapping[str, Any]) -> type[Strict] | None:
    """The model ``raw`` is meant to be: the model itself, the union member its kind names, or,
    for a kind no member has, the base all members share when it has fields of its own (the
    proxy kinds' service and network); else None."""
    models = _members(annotation)
    if len(models) == 1:
        return models[0]  # its kind, if it has one, is a field like any other
    for model in models:
        kind = model.model_fields.get("kind")
        if kind is not None and raw.get("kind") in get_args(kind.annotation):
            return model
    if not models:
        return None
    for base in models[0].__mro__:
        if (
            isinstance(base, type)
            and issubclass(base, Strict)
            and base is not Strict
            and all(issubclass(m, base) for m in models)
        ):
            return base
    return None
