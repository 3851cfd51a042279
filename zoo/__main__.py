"""`python -m zoo` is `rnnzoo`."""

import sys

from zoo.cli import main

sys.exit(main())
