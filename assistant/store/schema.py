"""Every table of the store, registered on `Base.metadata` (what the migrations describe).

Import this module to have the whole schema: Alembic's `env.py` and the migration check do.
"""

from __future__ import annotations

from assistant.store import accounts, conversations, drafts, feedback, manifest, pending, slack
from assistant.store.db import Base

metadata = Base.metadata
MODULES = (accounts, conversations, drafts, feedback, manifest, pending, slack)
