"""Durable live state: what ctid knows and the switch does not, kept across restarts.

* ``store``: ``LiveStore``, rows ``(kind, key) -> JSON object`` in the records
  database (table ``live_state``), written behind the call path's back and
  read once at start.

See docs/design.md, "Durable live state".
"""
