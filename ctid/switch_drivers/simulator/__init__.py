"""The built-in voice-card simulator: the default switch, so everything runs on one laptop."""
