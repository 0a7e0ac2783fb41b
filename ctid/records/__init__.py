"""Call records: the database (schema, migrations, writer), call detail records, reports.

* ``schema``: the tables (SQLAlchemy Core), ``db``: engines, migrations and the
  schema check.
* ``journal``: the on-disk spool every record passes through first (the
  durable point), ``writer``: the trio task that moves it into the database.
* ``tracker`` and ``disposition``: the pure core that turns a call's CSTA events
  and its ``CallEnded`` notice into a call detail record.
* ``service``: the records service wired into the daemon.
* ``reports``: reports computed from the records.

See docs/records.md.
"""
