#!/usr/bin/env python3
"""``python study.py ...`` in a checkout: the same command as the installed ``ablation-suite`` console script
(``pip install .``, or ``make demo``, which installs into .venv)."""

import sys

from ablation_suite.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
