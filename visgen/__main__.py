from __future__ import annotations

import sys

from visgen.cli import main

if __name__ == "__main__":
    sys.exit(main())
