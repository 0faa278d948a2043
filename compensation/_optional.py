"""Import optional extras lazily, with the install command in the error."""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = {
    "matplotlib": "plot",
    "tqdm": "progress",
    "dask": "dask",
    "highspy": "highs",
    "pandas": "frame",
    "SALib": "sensitivity",
    "pyarrow": "parquet",
    "xarray": "xarray",
    "numba": "fast",
}


def require(module: str, purpose: str = "this") -> ModuleType:
    """Import ``module`` or raise ``ImportError`` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = EXTRAS.get(top, top)
        raise ImportError(
            f"{top} is needed for {purpose}; install it with: pip install 'compensation[{extra}]'"
        ) from exc
