"""``python -m compensation``: see :mod:`compensation.cli`."""

import sys

from .cli import main

sys.exit(main())
