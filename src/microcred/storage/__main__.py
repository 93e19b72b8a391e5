"""``python -m microcred.storage COMMAND``: the developer's migration tool (``migrator.main``)."""

from __future__ import annotations

import sys

from microcred.storage.migrator import main

sys.exit(main())
