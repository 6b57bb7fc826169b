"""`python -m scripts.bootstrap` keeps working: the command lives in `scripts.cli.bootstrap`."""

import sys

from scripts.cli.bootstrap import main

if __name__ == "__main__":
    sys.exit(main())
