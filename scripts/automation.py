"""`python -m scripts.automation` keeps working: the command now lives in `scripts.stack.automation`."""

import sys

from scripts.stack.automation import main

if __name__ == "__main__":
    sys.exit(main())
