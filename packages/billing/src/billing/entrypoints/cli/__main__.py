"""``python -m billing.entrypoints.cli``: the ``billing`` command line."""

import sys

from billing.entrypoints.cli import main

sys.exit(main())
