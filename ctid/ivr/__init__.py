"""IVR: flow files, the flow engine, inbound routing, prompts (TTS and say) and lookups.

Pure parts, bottom up: ``flow`` (the values a flow file becomes), ``load``
(files -> checked flows, with ``flow.schema.json``), ``templates``,
``compare``, ``say``, ``messages`` and ``engine`` (one call's run, sans-IO),
``routing`` (inbound rules). The trio shells: ``tts``, ``lookup``,
``service`` (runs flows against the call model), ``inbound`` (the call
model's inbound router). ``config`` checks ``[ivr]``/``[routing]``;
``install`` wires everything into the ``App``. See docs/ivr.md.
"""
