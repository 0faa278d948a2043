"""The result of a parameter sweep: values over a Cartesian grid, with its axes and provenance."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._optional import require
from .._results import DIGITS, LONG, Result
from ..model.fields import FIELDS

__all__ = ["SweepResult"]


@dataclass(frozen=True)
class SweepResult(Result):
    """Values of a function over a Cartesian grid of parameters.

    Attributes
    ----------
    values : ndarray
        Shape ``tuple(len(a) for a in axes.values())`` (plus any trailing output shape), in
        the unit of ``fn``'s output.
    axes : dict of str to ndarray
        The grid, in axis order, in each parameter's unit.
    backend : str
        How it was computed: ``"numpy"``, ``"processes"`` or ``"dask"`` (also ``method``).
    vectorised : bool
        True when ``fn`` received array-valued parameters, False when it ran point by point.
    fallback_reason : str
        Why a vectorised attempt fell back to points ("" when it did not).
    success : bool
        True when every point was evaluated; False only for the ``partial`` result of a
        :class:`~compensation.exceptions.SweepError`.
    message : str
        How many points were evaluated, or why the sweep stopped.
    """

    values: NDArray[Any]
    axes: dict[str, NDArray[np.float64]]
    backend: str
    vectorised: bool = field(default=True)
    fallback_reason: str = ""
    success: bool = True
    message: str = ""

    @property
    def method(self) -> str:
        """The backend, under the name every result uses for how it was computed."""
        return self.backend

    def __repr__(self) -> str:
        # Result prints a dict as it is (numpy's repr of each axis): round or summarise axes.
        return Result.__repr__(dataclasses.replace(self, axes=_Axes(self.axes)))

    def to_frame(self) -> Any:
        """Long table: one row per grid point, one column per axis, then the values.

        Returns
        -------
        pandas.DataFrame
            Columns named after the axes, then ``value`` (or ``value_0``, ``value_1``, …
            for array-valued outputs).

        Raises
        ------
        ImportError
            Without pandas (``pip install 'compensation[frame]'``).
        """
        pd = require("pandas")
        mesh = np.meshgrid(*self.axes.values(), indexing="ij")
        data = {name: m.ravel() for name, m in zip(self.axes, mesh)}
        vals = self.values.reshape(mesh[0].size, -1) if mesh else self.values.reshape(1, -1)
        if vals.shape[1] == 1:
            data["value"] = vals[:, 0]
        else:
            for k in range(vals.shape[1]):
                data[f"value_{k}"] = vals[:, k]
        return pd.DataFrame(data)

    def to_dataset(self, name: str = "value", units: str = "") -> Any:
        """The grid as an ``xarray.Dataset`` with named dimensions and units.

        Parameters
        ----------
        name : str, default "value"
            Name of the data variable.
        units : str, optional
            Unit of the values (stored in its ``attrs["units"]``).

        Returns
        -------
        xarray.Dataset
            One dimension per axis with the parameter's unit and meaning in its ``attrs``
            (an array-valued output adds dimensions ``output_0``, …), and the variable.

        Raises
        ------
        ImportError
            Without xarray (``pip install 'compensation[xarray]'``).

        Examples
        --------
        >>> from compensation import sweep, threshold_subsidy
        >>> ds = sweep(threshold_subsidy, {"price": [0.0, 0.05]}).to_dataset("g_star", "万元/dd")
        >>> ds["g_star"].dims, ds["price"].attrs["units"]
        (('price',), '万元/dd')
        """
        xr = require("xarray")
        dims = list(self.axes) + [f"output_{k}" for k in range(self.values.ndim - len(self.axes))]
        coords = {
            n: (n, a, {"units": FIELDS[n].unit, "long_name": FIELDS[n].meaning})
            for n, a in self.axes.items()
        }
        attrs = {"units": units} if units else {}
        return xr.Dataset(
            {name: (dims, self.values, attrs)},
            coords=coords,
            attrs={"backend": self.backend, "message": self.message},
        )


class _Axes(dict[str, NDArray[np.float64]]):
    """A grid's axes that print rounded (short axes) or as their size and range (long ones)."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{n!r}: {_axis_text(a)}" for n, a in self.items()) + "}"


def _axis_text(a: NDArray[np.float64]) -> str:
    if a.size <= LONG:
        return repr(np.round(a, DIGITS).tolist())
    return f"<{a.size} values from {a.min():.6g} to {a.max():.6g}>"
