"""Exceptions and warnings raised by :mod:`compensation`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "ConvergenceError",
    "InfeasibleError",
    "NotIdentifiedWarning",
    "PoorFitWarning",
    "SweepError",
]


class ConvergenceError(RuntimeError):
    """A solver failed or an iterative method stopped at its cap without converging.

    Raised instead of looping on: the message names the method, the solver and what was left.
    """


class InfeasibleError(ValueError):
    """No point satisfies the constraints; ``constraints`` names the conflicting ones."""

    def __init__(self, message: str, constraints: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.constraints = tuple(constraints)


class NotIdentifiedWarning(UserWarning):
    """The data do not pin down some parameters; ``parameters`` names them."""

    def __init__(self, message: str, parameters: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.parameters = tuple(parameters)


class PoorFitWarning(UserWarning):
    """A calibration misses some moments by more than its tolerance.

    ``moments`` names the moments missed; ``at_bounds`` names the estimates that ended on a
    bound (a binding bound is the usual reason: the best fit lies outside it).
    """

    def __init__(
        self, message: str, moments: tuple[str, ...] = (), at_bounds: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.moments = tuple(moments)
        self.at_bounds = tuple(at_bounds)


class SweepError(RuntimeError):
    """A point of a sweep failed or timed out; the results finished before it are kept.

    Attributes
    ----------
    point : dict of str to float
        Values of the swept parameters at the point that failed (for a failed chunk of
        several points, its first point).
    index : tuple of int
        Its position in the grid.
    partial : SweepResult
        Every result finished before the failure, as float with NaN where not evaluated.
    completed : ndarray of bool
        Grid-shaped: True where ``partial`` holds a computed value.
    timed_out : bool
        True when the point (or chunk) exceeded ``timeout``.

    The original exception, when there is one, is the ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        point: dict[str, float],
        index: tuple[int, ...],
        partial: Any,
        completed: NDArray[np.bool_],
        timed_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.point = point
        self.index = index
        self.partial = partial
        self.completed = completed
        self.timed_out = timed_out

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only attributes do not survive the default exception pickling (args only).
        return (
            _sweep_error,
            (str(self), self.point, self.index, self.partial, self.completed, self.timed_out),
        )


def _sweep_error(*args: Any) -> SweepError:
    message, point, index, partial, completed, timed_out = args
    return SweepError(
        message,
        point=point,
        index=index,
        partial=partial,
        completed=completed,
        timed_out=timed_out,
    )
