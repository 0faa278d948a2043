"""Parameter files (JSON, TOML) for :class:`~compensation.model.parameters.Parameters`.

Files are read as UTF-8 with or without a byte-order mark (Windows editors write one).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["file_text", "json_fields", "toml_fields", "toml_value", "unwrap"]


def toml_value(value: Any) -> str:
    """A TOML literal for a field value (a string, a float or a nested list of them)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(float(value))


def file_text(source: str | os.PathLike[str], fmt: str) -> str | None:
    """Text of the file ``source`` names, or ``None`` when ``source`` is text to parse.

    Path-likes are files; a ``str`` is a file only if one exists. No guessing from characters:
    ``runs/price=0.07.toml`` contains ``=`` and ``{`` can occur in JSON paths.
    """
    if isinstance(source, os.PathLike):
        return Path(source).read_text(encoding="utf-8-sig")
    if not isinstance(source, str):
        raise TypeError(
            f"source must be a path (str or pathlib.Path) or {fmt} text; "
            f"got {type(source).__name__}"
        )
    try:
        is_file = Path(source).is_file()
    except (OSError, ValueError):  # too long or NUL in the name: certainly text
        is_file = False
    return Path(source).read_text(encoding="utf-8-sig") if is_file else None


def not_file_nor(fmt: str, source: str, problem: str) -> ValueError:
    shown = source if len(source) <= 60 else source[:57] + "..."
    return ValueError(
        f"{shown!r} is neither an existing file (no such file) nor valid {fmt} text ({problem}); "
        f"pass a pathlib.Path to read a file, or use Parameters.from_{fmt.lower()}_string "
        "for text"
    )


def toml_fields(text: str, source: Any = None) -> dict[str, Any]:
    """The fields of TOML ``text``; ``source`` names the file the text was not (for errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if source is not None:
            raise not_file_nor("TOML", str(source), str(exc)) from None
        raise ValueError(f"not valid TOML text: {exc}") from None
    return unwrap(data, "TOML", "a [parameters] table")


def json_fields(text: str, source: Any = None) -> dict[str, Any]:
    """The fields of JSON ``text`` (repeated keys refused); ``source`` as for TOML."""
    try:
        data = json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        if source is not None:
            raise not_file_nor("JSON", str(source), str(exc)) from None
        raise ValueError(f"not valid JSON text: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(
            "JSON must hold an object of parameter fields; got "
            f"{type(data).__name__}" + ("" if source is None else f" (and {source!r} is no file)")
        )
    return unwrap(data, "JSON", 'a "parameters" object')


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of repeated keys silently; a repeated field is a mistake.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"JSON repeats the key {key!r}; each field may appear once")
        out[key] = value
    return out


def unwrap(data: dict[str, Any], fmt: str, table: str) -> dict[str, Any]:
    """Fields at top level, or all inside the ``parameters`` table; a mix is refused."""
    inner = data.get("parameters")
    if not isinstance(inner, dict):
        return data
    others = sorted(k for k in data if k != "parameters")
    if others:
        # Merging would have to pick a winner for repeated names; refusing is unambiguous.
        raise ValueError(
            f"{fmt} has {table} and top-level keys {', '.join(map(repr, others))}; put every "
            "field inside the table, or drop the table and keep them all at top level"
        )
    return inner
