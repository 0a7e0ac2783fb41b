"""The composition root's wiring: one module per service, each building that service
from the configuration and plugging it into the daemon.

``app.App`` builds the core (clock, timers, bus, call model, API) and then calls
one ``install_*`` function per service here. This package may import every
layer (it is the composition root); no service package imports it or
``app.py``. The functions see the daemon through ``parts.Parts``, a protocol,
so they do not import ``app.py`` either: app -> wiring -> services. ``checks``
holds the configuration checks a start, ``ctid check-config`` and a reload run.
"""
