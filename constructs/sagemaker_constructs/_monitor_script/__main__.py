"""``python -m open_monitor <mode> ...`` (in the container) or ``python -m sagemaker_constructs._monitor_script``."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
