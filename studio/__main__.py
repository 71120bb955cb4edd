"""``python -m studio`` is the same as the ``imitation-studio`` console script."""

import sys

from studio.cli import main

sys.exit(main())
