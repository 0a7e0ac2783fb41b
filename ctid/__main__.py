"""``python -m ctid``: the same as the ``ctid`` command."""

import sys

from .cli import main

sys.exit(main())
