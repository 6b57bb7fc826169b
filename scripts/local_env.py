"""`python -m scripts.local_env` keeps working: the command lives in `scripts.cli.local`."""

import sys

from scripts.cli.local import main

if __name__ == "__main__":
    sys.exit(main())
