"""The Asterisk switch driver, through ARI (the Asterisk REST Interface).

* ``rest``: ARI requests as typed values, and ARI errors as ``CommandRejected``.
* ``http``: a small HTTP/1.1 client on h11 over an injected trio stream.
* ``mapping``: the sans-IO core that folds ARI events into normalized switch events.
* ``driver``: the trio I/O shell, ``AsteriskDriver``.
"""
