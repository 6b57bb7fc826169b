"""`python -m scripts.automation` keeps working: the command lives in `mysql_platform.cli.stack`."""

import sys

from mysql_platform.cli.stack import main

if __name__ == "__main__":
    sys.exit(main())
