"""``ctid demo``: a small call centre on the simulator, with generated traffic."""
