"""The ACD: agents and their states, queues (skill groups), routing strategies,
overflow, callbacks, supervisor features, and the time-compressed simulator.

Layout, from the bottom up (each pure module imports no trio):

* ``config``: the ``[acd]`` table, checked into frozen values.
* ``schedule``: time-of-day / day-of-week membership schedules.
* ``agent_states``: the agent state machine (one table).
* ``entry_states``: the queue entry state machine (one table).
* ``agent``: an agent's runtime record and its day's statistics.
* ``index``: sorted indexes behind the strategies and the waiting lists.
* ``strategies``: one small class per routing strategy.
* ``queue``: a queue's runtime: its waiting calls, figures and estimated wait.
* ``router``: matches waiting calls and free agents across queues.
* ``engine``: the ACD itself, driving calls through ``CallControl``.
* ``service``: the thin trio shell wiring the engine into the daemon.
"""
