"""``ctid recording export|import``: back up a date range of recordings, and restore it."""

from __future__ import annotations

import argparse

from ..records.archive_command import (
    ArchiveCommand,
    parse_day_or_time,
    run_archive_command,
    setup_archive_command,
)

__all__ = ["parse_day_or_time", "recording_command", "setup_recording"]


def setup_recording(parser: argparse.ArgumentParser) -> None:
    parser.description = "back up and restore call recordings"
    setup_archive_command(parser, "recording_command", "recordings")


def recording_command(args: argparse.Namespace) -> int:
    from .archive import export_archive, import_archive
    from .config import recording_settings

    command = ArchiveCommand(
        directory=lambda config: recording_settings(config).directory,
        export=export_archive,
        restore=import_archive,
        exported="{archive}: {result.recordings} recording(s), {result.calls} call record(s), "
        "{result.bytes} bytes of audio",
        imported="{archive}: {result.recordings} recording(s) restored, "
        "{result.already_there} already there, {result.calls} call record(s)",
    )
    return run_archive_command(args, args.recording_command, command)
