"""ctid: a headless CTI server.

One daemon between a telephone switch and a contact centre's software: CSTA call
control, agents and queues (ACD), voice menus (IVR), recording and call records,
offered through a versioned CSTA-style JSON-RPC 2.0 protocol over WebSocket.
"""

__version__ = "0.1.0"
PROTOCOL_VERSION = "1.0"
