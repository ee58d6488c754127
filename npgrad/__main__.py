"""``python -m npgrad ...`` runs the ``npgrad`` command (see ``npgrad/cli.py``)."""
import sys

from .cli import main

sys.exit(main())
