"""`python -m scripts.plan STACK`: the plan command lives in `mysql_platform.cli.plan`."""

import sys

from mysql_platform.cli.plan import main

if __name__ == "__main__":
    sys.exit(main())
