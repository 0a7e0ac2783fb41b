"""Voicemail boxes: messages the IVR records for a queue, an agent or a number, kept,
listed, heard, deleted and expired like recordings."""
