"""`python -m scripts.local_env` keeps working: the command now lives in `scripts.local.cli`."""

import sys

from scripts.local.cli import main

if __name__ == "__main__":
    sys.exit(main())
