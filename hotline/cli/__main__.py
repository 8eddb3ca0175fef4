"""Allow `python -m hotline.cli`."""

from __future__ import annotations

from hotline.cli import main

main()
