r"""Files for streamed results: size estimates, atomic replacement, CSV and Parquet writers.

Used by :func:`~compensation.analysis.stream.stream_sweep` and the command line.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._optional import require
from .._validation import check_choice
from .grid import format_size

__all__ = [
    "FORMATS",
    "TableWriter",
    "check_disk",
    "estimate_bytes",
    "parquet_module",
    "replace_when_done",
]

FORMATS = ("csv", "parquet")
#: Bytes of one field on disk: CSV writes up to 10 significant digits, a sign, a point, an
#: exponent and a separator; Parquet stores 8-byte floats (before any compression).
FIELD_BYTES = {"csv": 13, "parquet": 8}


def parquet_module(module: str = "pyarrow.parquet") -> Any:
    """Import a pyarrow module, naming the extra that installs it.

    Parameters
    ----------
    module : str, default "pyarrow.parquet"
        The module.

    Returns
    -------
    module

    Raises
    ------
    ImportError
        Without pyarrow, with ``pip install 'compensation[parquet]'``.
    """
    return require(module, "Parquet files (or write CSV)")


def estimate_bytes(rows: int, columns: int, fmt: str = "csv") -> int:
    r"""Upper estimate of the size of a streamed table on disk.

    Parameters
    ----------
    rows, columns : int
        The table's size: grid points and axes plus outputs.
    fmt : {"csv", "parquet"}
        The file format.

    Returns
    -------
    int
        :math:`\text{rows} \times \text{columns} \times b` bytes, with :math:`b` = 13 for CSV
        (10 significant digits, sign, point, exponent, separator) and 8 for Parquet (8-byte
        floats before compression, which only makes the file smaller).

    Examples
    --------
    >>> from compensation.analysis.files import estimate_bytes
    >>> estimate_bytes(10**8, 3, "parquet")
    2400000000
    """
    check_choice("fmt", fmt, FORMATS)
    return rows * columns * FIELD_BYTES[fmt]


def check_disk(target: Path, nbytes: int, detail: str = "") -> None:
    """Raise ``OSError`` when ``target``'s directory has less than ``nbytes`` free.

    Parameters
    ----------
    target : Path
        The file to be written.
    nbytes : int
        Its estimated size in bytes.
    detail : str, optional
        What the estimate is made of, for the message.

    Returns
    -------
    None

    Raises
    ------
    OSError
        Not enough space, with the estimate and the free space.
    """
    directory = target.parent
    if not directory.is_dir():
        return
    free = shutil.disk_usage(directory).free
    if nbytes > free:
        what = detail or f"the output would take about {format_size(nbytes)}"
        raise OSError(
            f"not enough disk space: {what}, but {directory} has {format_size(free)} free"
        )


@contextmanager
def replace_when_done(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed to it only when the block completes.

    Parameters
    ----------
    target : path-like
        The final file name; an existing file stays untouched until the rename.

    Yields
    ------
    Path
        Where to write (``.<name>.<random>.part`` in the same directory, so that the rename
        is atomic); removed if the block raises (Ctrl-C included).

    Raises
    ------
    ValueError
        ``target`` is a directory, or its directory does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from compensation.analysis.files import replace_when_done
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with replace_when_done(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text()
    'done'
    """
    target = Path(target)
    if target.is_dir():
        raise ValueError(f"output {target} is a directory; give a file name")
    directory = target.parent
    if not directory.is_dir():
        raise ValueError(f"output directory does not exist: {directory}")
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the mode a plain open would.
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)  # atomic on one file system: old file or new, never half
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class TableWriter:
    """Columns of floats appended chunk by chunk to a CSV or Parquet file."""

    def __init__(self, path: Path, columns: Sequence[str], fmt: str) -> None:
        self.fmt, self.columns = fmt, list(columns)
        if fmt == "parquet":
            self.pa = parquet_module("pyarrow")
            pq = parquet_module("pyarrow.parquet")
            self.schema = self.pa.schema([(c, self.pa.float64()) for c in self.columns])
            self.pq_writer = pq.ParquetWriter(str(path), self.schema)
        else:
            self.fh = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed by close()
            self.csv_writer = csv.writer(self.fh)
            self.csv_writer.writerow(self.columns)

    def write(self, columns: Sequence[NDArray[Any]]) -> None:
        """Append rows: one 1-D array per column, all of one length."""
        if self.fmt == "parquet":
            arrays = [self.pa.array(np.asarray(c, dtype=float)) for c in columns]
            self.pq_writer.write_table(self.pa.Table.from_arrays(arrays, schema=self.schema))
            return
        text = [[f"{v:.10g}" for v in np.asarray(c, dtype=float).tolist()] for c in columns]
        self.csv_writer.writerows(zip(*text))

    def close(self) -> None:
        """Finish the file (Parquet writes its footer here) and flush it to disk."""
        if self.fmt == "parquet":
            self.pq_writer.close()
            return
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
