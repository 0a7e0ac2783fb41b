"""IVR: flow files, the flow engine, inbound routing, prompts (TTS and say) and lookups.

The layers, bottom up: ``flow`` (the values a flow file becomes), ``load``
(files -> checked flows), ``say``/``templates``/``compare`` (pure helpers),
``engine`` (one call's run, sans-IO), ``routing`` (inbound rules, pure), then
the trio shells: ``tts``, ``lookup`` and ``service``.
"""
