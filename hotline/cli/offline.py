"""`python -m hotline.cli.offline COMMAND`: a `hotline` command with outside connections refused.

The demo starts its worker and router this way, so no process of the demo leaves the machine.
"""

from __future__ import annotations

import sys

from hotline.cli import main
from hotline.devtools import local_only

if __name__ == "__main__":
    local_only.enable()
    main(args=sys.argv[1:], prog_name="hotline")
