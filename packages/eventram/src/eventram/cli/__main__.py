"""``python -m eventram.cli``: the ``eventram`` command line."""

import sys

from eventram.cli import main

sys.exit(main())
