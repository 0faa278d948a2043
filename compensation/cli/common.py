"""What every command shares: one-line user errors and reading parameter files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..model.parameters import Parameters

__all__ = ["UserError", "load_parameters", "one_line", "read_text"]


class UserError(Exception):
    """A mistake in the command line or its files, reported in one line."""


def read_text(path: str, what: str) -> str:
    """The UTF-8 text (with or without a BOM) of the file ``path``; ``what`` names it in errors."""
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{what} not found: {path}")
    try:
        # utf-8-sig: Excel, WPS and Notepad save "UTF-8 with BOM"; the BOM is not data.
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load_parameters(path: str) -> Parameters:
    """Scalar :class:`~compensation.Parameters` from a TOML or JSON file (by its suffix)."""
    text = read_text(path, "parameter file")
    fmt = "JSON" if Path(path).suffix.lower() == ".json" else "TOML"
    try:
        p = (
            Parameters.from_json_string(text)
            if fmt == "JSON"
            else Parameters.from_toml_string(text)
        )
    except RecursionError:
        raise UserError(f"{path}: {fmt} nested too deeply") from None
    except (ValueError, TypeError, ArithmeticError) as exc:
        # The parser's message gives the line and column; the file name is ours to add.
        raise UserError(f"{path}: {exc}") from None
    if p.shape != ():
        arrays = [n for n, v in p.to_dict().items() if np.ndim(v)]
        raise UserError(
            f"{path}: the command line needs single numbers, but {', '.join(arrays)} "
            "hold arrays; sweep them with --grid instead"
        )
    return p


def one_line(exc: BaseException | str) -> str:
    """The message of ``exc`` on one line."""
    return re.sub(r"\s*\n\s*", " ", str(exc)).strip()
