"""``python -m regional`` is the ``regional`` command."""

import sys

from regional.cli import main

sys.exit(main())
