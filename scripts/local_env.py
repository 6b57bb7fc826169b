"""`python -m scripts.local_env` keeps working: the command lives in `mysql_platform.cli.local`."""

import sys

from mysql_platform.cli.local import main

if __name__ == "__main__":
    sys.exit(main())
