"""Hot standby: leader election through PostgreSQL and the node's role."""
