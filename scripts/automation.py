"""`python -m scripts.automation` keeps working: the command lives in `scripts.cli.stack`."""

import sys

from scripts.cli.stack import main

if __name__ == "__main__":
    sys.exit(main())
