"""``python -m ablation_suite ...``: the command line, as the ``ablation-suite`` console script runs it."""

import sys

from ablation_suite.cli.main import main

sys.exit(main())
