"""The FreeSWITCH switch driver: Event Socket (ESL) in inbound mode, JSON events.

Modules, bottom up:

* ``errors`` - the protocol error classes (local vs remote, like h11).
* ``framing`` - sans-IO framing of ``Name: value`` header blocks plus a
  ``Content-Length`` body, in both directions.
* ``frames`` - the parsed messages the server sends (replies, events, notices).
* ``commands`` - builders for the bytes of every command ctid sends, the
  originate dial string, and parsers for reply texts.
* ``proto`` - ``EslConnection``, the client-side protocol state machine.
* ``causes`` - FreeSWITCH hangup cause names to and from ``HangupCause``.
* ``bridges`` - the planner that realises ctid's bridge model with
  ``uuid_bridge`` and conferences.
* ``mapping`` - folds ESL events into normalized ``SwitchEvent``s.
* ``driver`` - the trio I/O shell, ``FreeSwitchDriver``.
"""
