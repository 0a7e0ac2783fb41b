"""``ctid fax export|import``: back up a date range of faxes, and restore it."""

from __future__ import annotations

import argparse

from ..records.archive_command import ArchiveCommand, run_archive_command, setup_archive_command

__all__ = ["fax_command", "setup_fax"]


def setup_fax(parser: argparse.ArgumentParser) -> None:
    parser.description = "back up and restore faxes (received and sent, with their documents)"
    setup_archive_command(parser, "fax_command", "faxes")


def fax_command(args: argparse.Namespace) -> int:
    from .archive import export_archive, import_archive
    from .config import fax_settings

    command = ArchiveCommand(
        directory=lambda config: fax_settings(config).directory,
        export=export_archive,
        restore=import_archive,
        exported="{archive}: {result.faxes} fax(es), {result.documents} document(s), "
        "{result.calls} call record(s), {result.bytes} bytes of images",
        imported="{archive}: {result.faxes} fax(es) restored, {result.files} file(s) placed, "
        "{result.already_there} already there, {result.calls} call record(s)",
    )
    return run_archive_command(args, args.fax_command, command)
