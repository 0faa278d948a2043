"""Exceptions and warnings raised by :mod:`compensation`."""

from __future__ import annotations

__all__ = ["InfeasibleError", "NotIdentifiedWarning"]


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
