"""One place that checks numbers and words the way every public function promises.

Messages name the parameter, the allowed range with its unit, and the offending value; for
arrays, the first bad index and how many entries are bad (STYLE.md, Errors).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["as_float", "check_choice", "check_domain", "check_tol", "domain_error", "suggest"]

# (lower, upper, lower_open, upper_open, words)
_DOMAINS: dict[str, tuple[float, float, bool, bool, str]] = {
    "real": (-np.inf, np.inf, True, True, "finite"),
    "nonneg": (0.0, np.inf, False, True, "finite and ≥ 0"),
    "positive": (0.0, np.inf, True, True, "finite and > 0"),
    "share": (0.0, 1.0, False, False, "in [0, 1]"),
}


def as_float(value: Any, name: str) -> NDArray[np.float64]:
    """Convert to a float array or raise ``TypeError`` naming ``name``.

    ``None`` and booleans are refused in words of their own: numpy would read them as NaN and
    as 0/1, and a ``True`` where a price belongs is a mistake, not a number.
    """
    if value is None:
        raise TypeError(f"{name} must be a real number or an array of them; got None")
    if isinstance(value, (bool, np.bool_)) or np.asarray(value).dtype == np.bool_:
        raise TypeError(f"{name} must be a real number, not a boolean; got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number or an array of them; got {value!r}") from exc
    return arr


def _describe_bad(arr: NDArray[np.float64], bad: NDArray[np.bool_]) -> str:
    if arr.ndim == 0:
        return f"got {float(arr)!r}"
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    where = idx[0] if len(idx) == 1 else idx
    return f"got {float(arr[idx])!r} at index {where} ({int(bad.sum())} of {arr.size} entries bad)"


def domain_error(
    name: str,
    value: Any,
    domain: str,
    unit: str = "",
    *,
    upper: float | None = None,
    limits: tuple[float, float] | None = None,
) -> str | None:
    """Return the message for ``value`` outside ``domain`` (``None`` when it is inside).

    ``limits`` is a closed range ``[lo, hi]`` that values must also lie in (magnitude caps that
    keep downstream arithmetic finite). The message states the domain's own words when only
    those are broken, so long-standing messages stay as they were, and the whole range once a
    limit is broken.
    """
    lo, hi, lo_open, hi_open, words = _DOMAINS[domain]
    if upper is not None:
        hi, hi_open, words = upper, False, f"{words} and ≤ {upper:g}"
    arr = as_float(value, name)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr)
        bad |= (arr <= lo) if lo_open else (arr < lo)
        bad |= (arr >= hi) if hi_open else (arr > hi)
        if limits is not None:
            beyond = ~bad & ((arr < limits[0]) | (arr > limits[1]))
            if beyond.any():
                bad |= beyond
                words = f"finite and in [{limits[0]:g}, {limits[1]:g}]"
    if not bad.any():
        return None
    unit_text = f" ({unit})" if unit else ""
    return f"{name} must be {words}{unit_text}; {_describe_bad(arr, bad)}"


def check_domain(name: str, value: Any, domain: str, unit: str = "") -> NDArray[np.float64]:
    """Return ``value`` as a float array, or raise ``ValueError`` if outside ``domain``.

    ``domain`` is one of ``"real"``, ``"nonneg"``, ``"positive"``, ``"share"``.
    """
    message = domain_error(name, value, domain, unit)
    if message is not None:
        raise ValueError(message)
    return as_float(value, name)


def check_tol(name: str, value: Any, *, upper: float = 1e-3, allow_zero: bool = False) -> float:
    """Return a relative tolerance as a float, or raise ``ValueError`` naming its range.

    NaN would make every comparison false (a loop that never ends, or a check that always
    passes), so it is refused with the rest.
    """
    try:
        tol = float(value)
    except (TypeError, ValueError):
        tol = np.nan
    ok = np.isfinite(tol) and (tol >= 0 if allow_zero else tol > 0) and tol <= upper
    if not ok:
        left = "[" if allow_zero else "("
        raise ValueError(
            f"{name} must be finite and in {left}0, {upper:g}] (relative to the largest "
            f"magnitude in the problem); got {value!r}"
        )
    return tol


def check_count(name: str, value: Any, *, minimum: int = 1, what: str = "") -> int:
    """Return ``value`` if it is an integer ≥ ``minimum`` (not a bool), else ``ValueError``.

    ``what`` says in the message what is counted, e.g. ``"orderings to draw"``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        said = f" ({what})" if what else ""
        raise ValueError(f"{name} must be an integer ≥ {minimum}{said}; got {value!r}")
    return int(value)


def suggest(name: str, options: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest option, or an empty string."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_choice(name: str, value: Any, options: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``options``, else raise ``ValueError`` listing them."""
    options = tuple(options)
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        hint = suggest(str(value), options)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}{hint}")
    return str(value)
