"""One result vocabulary: a base for the frozen result dataclasses (issue 11).

Every result prints its fields in declaration order with numbers rounded (no 17-digit
floats), turns into a dict, and, where its fields are arrays of one shape (a sweep of
points) or scalars, into a pandas DataFrame. Iterative solvers add ``success``, ``message``,
``iterations``, ``method`` and ``tol`` as fields.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ._optional import require

DIGITS = 6  # significant digits shown
LONG = 12  # arrays longer than this print as a summary


def _round(x: float) -> float:
    return float(f"{x:.{DIGITS}g}") if np.isfinite(x) else x


def _show(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (float, np.floating)):
        return repr(_round(float(value)))
    if type(value) is dict:  # subclasses (a sweep's axes) print themselves
        return "{" + ", ".join(f"{k!r}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _show(value.item())
        if value.dtype.kind == "f" and value.size <= LONG:
            return (
                repr([_round(float(x)) for x in value.ravel()])
                if value.ndim == 1
                else repr(np.vectorize(_round, otypes=[float])(value).tolist())
            )
        if value.size <= LONG:
            return repr(value.tolist())
        return f"<array shape={value.shape} dtype={value.dtype}>"
    if isinstance(value, (list, tuple)) and len(value) > LONG:
        return f"<{type(value).__name__} of {len(value)}>"
    return repr(value)


class Result:
    """Base of the package's result dataclasses: rounded repr, ``to_dict``, ``to_frame``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # @dataclass writes its own __repr__ unless the class body defines one: put ours in
        # the class body (before the decorator runs) unless the subclass wrote its own.
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = Result.__repr__  # type: ignore[method-assign]

    def __repr__(self) -> str:
        parts = [
            f"{f.name}={_show(getattr(self, f.name))}"
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if f.repr
        ]
        return f"{type(self).__name__}({', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        """Fields as a dict (arrays stay arrays)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def to_frame(self) -> Any:
        """The array fields of one shape (and scalars) as a pandas DataFrame, one row a point.

        Needs pandas (``pip install 'compensation[frame]'``).
        """
        pd = require("pandas")
        columns: dict[str, Any] = {}
        shape: tuple[int, ...] | None = None
        for name, value in self.to_dict().items():
            arr = np.asarray(value) if isinstance(value, (np.ndarray, float, int, bool)) else None
            if arr is None or arr.dtype == object:
                continue
            if arr.ndim and shape is None:
                shape = arr.shape
            columns[name] = arr
        size = int(np.prod(shape)) if shape else 1
        table = {
            n: np.broadcast_to(a, shape or ()).reshape(size)
            for n, a in columns.items()
            if a.ndim == 0 or a.shape == shape
        }
        return pd.DataFrame(table)
