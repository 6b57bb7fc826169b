"""`python -m scripts.migrate` runs the migration commands: they live in `mysql_platform.cli.migrate`."""

import sys

from mysql_platform.cli.migrate import main

if __name__ == "__main__":
    sys.exit(main())
