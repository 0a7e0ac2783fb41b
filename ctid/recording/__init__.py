"""Call recording: policies, the recording service, files, retention, search and archives.

See docs/records.md.
"""
