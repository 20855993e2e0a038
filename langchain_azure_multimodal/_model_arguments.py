"""What the chat model does with arguments it does not know: a near-miss of a known one is refused, naming it; any
other constructor keyword becomes a model extra, with a warning that says so; an unknown call keyword is refused with
the way to send it. Pure functions: the chat model calls them from its validator and its request builder.

Example:
    >>> known = {"temperature", "top_p", "model_extras"}
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     sort_constructor_arguments({"top_k": 3, "temperature": 0.2}, known, owner="ChatX")
    {'temperature': 0.2, 'model_extras': {'top_k': 3}}
    >>> str(caught[0].message)
    "ChatX: top_k is not one of its arguments, so it is sent in the request body as a model extra (model_extras={'top_k': 3}); pass it there to silence this warning"
    >>> sort_constructor_arguments({"temprature": 0.2}, known, owner="ChatX")
    Traceback (most recent call last):
    ...
    TypeError: ChatX got an unexpected keyword argument 'temprature'; did you mean 'temperature'?
"""  # noqa: E501 - doctest output

from __future__ import annotations

import difflib
import warnings
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import AliasChoices, BaseModel

__all__ = ["check_call_arguments", "constructor_names", "near_miss", "sort_constructor_arguments"]

#: How close a name must be to a known one to be taken for a typo of it. 0.85 takes ``temprature``,
#: ``max_token`` and ``stream_usge`` for typos, but not ``top_k`` (0.8 from ``top_p``), a real parameter of
#: Mistral and Llama models that belongs in the extras.
_TYPO_CUTOFF = 0.85


def near_miss(name: str, known: Collection[str]) -> str | None:
    """The known name ``name`` is most likely a typo of, if any."""
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=_TYPO_CUTOFF)
    return matches[0] if matches else None


def sort_constructor_arguments(values: Mapping[str, Any], known: Collection[str], *, owner: str) -> dict[str, Any]:
    """``values`` with each unknown keyword moved into ``model_extras`` (with a warning), after raising
    ``TypeError`` for the first that looks like a typo of a known one. Extras given explicitly win over moved ones
    of the same name, as the more deliberate of the two."""
    unknown = [name for name in values if name not in known]
    for name in unknown:
        if (meant := near_miss(name, known)) is not None:
            raise TypeError(f"{owner} got an unexpected keyword argument {name!r}; did you mean {meant!r}?")
    if not unknown:
        return dict(values)
    sorted_values = {name: value for name, value in values.items() if name in known}
    moved = {name: values[name] for name in unknown}
    shown = ", ".join(unknown)
    warnings.warn(
        f"{owner}: {shown} {'is' if len(unknown) == 1 else 'are'} not one of its arguments, so "
        f"{'it is' if len(unknown) == 1 else 'they are'} sent in the request body as a model extra "
        f"(model_extras={moved!r}); pass {'it' if len(unknown) == 1 else 'them'} there to silence this warning",
        UserWarning,
        stacklevel=4,
    )
    given = sorted_values.get("model_extras") or {}
    sorted_values["model_extras"] = {**moved, **given}
    return sorted_values


def check_call_arguments(unknown: Collection[str], known: Collection[str], *, owner: str) -> None:
    """Raise ``TypeError`` for keywords a call does not take, with the likely meant name or how to send them."""
    if not unknown:
        return
    hints = []
    for name in sorted(unknown):
        meant = near_miss(name, known)
        hints.append(f"{name!r} (did you mean {meant!r}?)" if meant else repr(name))
    extras = {name: "..." for name in sorted(unknown) if near_miss(name, known) is None}
    how = (
        f"; to send a model-specific parameter, pass model_extras={{{', '.join(f'{k!r}: ...' for k in extras)}}}"
        if extras
        else ""
    )
    raise TypeError(f"{owner} got unexpected keyword arguments: {', '.join(hints)}{how}")


def constructor_names(model: type[BaseModel]) -> set[str]:
    """Every name a pydantic model's constructor takes: each field's, and its aliases."""
    names = set(model.model_fields)
    for field in model.model_fields.values():
        if field.alias:
            names.add(field.alias)
        if isinstance(field.validation_alias, AliasChoices):
            names.update(choice for choice in field.validation_alias.choices if isinstance(choice, str))
        elif isinstance(field.validation_alias, str):
            names.add(field.validation_alias)
    return names
