"""``python -m mmcl``: the ``mmcl`` command (so ``accelerate launch -m mmcl train ...`` works)."""

import sys

from mmcl.cli import main

if __name__ == "__main__":
    sys.exit(main())
