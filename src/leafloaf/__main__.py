"""``python -m leafloaf``: the same as the ``leafloaf`` command."""

import sys

from leafloaf.cli import main

sys.exit(main())
