"""``ctid simulate``: the real daemon and ACD on trio's MockClock with simulated people.

* ``erlang``: Erlang C, the queueing theory the results are checked against.
* ``people``: simulated callers and agents driving the voice-card simulator.
* ``stats``: what happened, from the notices the ACD emits, into the summary.
* ``run``: builds the daemon for a scenario and runs it in a fresh ``trio.run``.
* ``chart``: an SVG of queue length and agents' states over time.
* ``command``: the command line.
"""
