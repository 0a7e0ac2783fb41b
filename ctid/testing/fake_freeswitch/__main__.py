"""``python -m ctid.testing.fake_freeswitch``: the fake as a process (see ``switch_process``)."""

import sys

from ctid.testing.switch_process import main

sys.exit(main("freeswitch"))
