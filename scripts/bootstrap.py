"""`python -m scripts.bootstrap` keeps working: the command lives in `mysql_platform.cli.bootstrap`."""

import sys

from mysql_platform.cli.bootstrap import main

if __name__ == "__main__":
    sys.exit(main())
