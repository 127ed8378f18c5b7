"""Placeholder entry point (``python3 -m open_monitor <mode>``); the real one calls ``cli.main(sys.argv[1:])``."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    sys.exit("open_monitor: placeholder package, not the monitoring script")
