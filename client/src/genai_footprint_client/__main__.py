"""``python -m genai_footprint_client``: the same as the ``genai-footprint`` command."""

import sys

from .cli import main

sys.exit(main())
