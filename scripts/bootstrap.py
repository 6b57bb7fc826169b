"""`python -m scripts.bootstrap` keeps working: the command now lives in `scripts.db.bootstrap`."""

import sys

from scripts.db.bootstrap import main

if __name__ == "__main__":
    sys.exit(main())
