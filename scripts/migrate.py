"""`python -m scripts.migrate` runs the migration commands: they live in `scripts.cli.migrate`."""

import sys

from scripts.cli.migrate import main

if __name__ == "__main__":
    sys.exit(main())
