"""`python -m scripts.local_env` keeps working: the command now lives in `scripts.local.env`."""

import sys

from scripts.local.env import main

if __name__ == "__main__":
    sys.exit(main())
