"""Webhooks: the durable, signed outbox that pushes events to HTTP receivers.

* ``spec``: one webhook's definition (``[[webhooks]]`` or ``webhook.create``), checked.
* ``policy``: the sans-IO rules (which events, backoff, backlog, batches).
* ``signing``: ``X-Ctid-Signature``.
* ``outbox``: the database side (blocking, in worker threads).
* ``service``: the trio tasks (one writer, one sender per webhook).
"""
