"""The Asterisk switch driver, through ARI (the Asterisk REST Interface).

* ``rest``: ARI requests as typed values, and ARI errors as ``CommandRejected``.
* ``http``: a small HTTP/1.1 client on h11 over an injected trio stream.
* ``endpoints``: which endpoints are extensions and which are trunks; Q.850 causes.
* ``mapping``: the sans-IO core that folds ARI events into normalized switch events.
* ``commands``: base.py's commands as ARI requests.
* ``driver``: the trio I/O shell, ``AsteriskDriver``.
"""
