"""`python -m scripts.plan STACK`: the plan command lives in `scripts.cli.plan`."""

import sys

from scripts.cli.plan import main

if __name__ == "__main__":
    sys.exit(main())
