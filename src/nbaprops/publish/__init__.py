"""Phase 6: publishing. The JSON files a website and the dashboard read, written to the lake.

``publisher.publish_date`` writes a game date's files under ``publish/`` (``documents`` builds them
from rows, ``performance`` and ``status`` the global ones; ``schemas/`` holds a JSON Schema per
file); ``site`` installs the static dashboard next to them and ``serve`` serves it on loopback
(``nbaprops demo --serve``); ``commands`` is ``nbaprops publish``.
"""
