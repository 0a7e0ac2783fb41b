"""The call model: devices, calls and connections with CSTA states, and their CSTA events."""
