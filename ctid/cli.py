"""The ``ctid`` command: ``run``, ``demo``, ``check-config``, ``version``.

argv -> config -> ``trio.run``; nothing else happens here.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import trio

from . import PROTOCOL_VERSION, __version__
from .config import Config, ConfigError, config_from_dict, load_config, parse_listen
from .errors import StartupError
from .switch_drivers.base import DriverError

__all__ = ["main"]

log = logging.getLogger("ctid")

#: Subcommands added by services (``simulate``, ``report``, ``db``): name -> (setup, run).
EXTRA_COMMANDS: dict[
    str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {}


#: One line of ``ctid --help`` per service command.
EXTRA_HELP = {
    "simulate": "a day of a call centre on the real ACD code, time-compressed",
    "db": "the records database: migrations (ctid db upgrade)",
    "report": "a report computed from the call records",
    "recording": "back up (export) and restore (import) call recordings",
    "fax": "back up (export) and restore (import) faxes",
    "campaign": "outbound campaigns: import a list (ctid campaign import NAME FILE.csv)",
}


#: Where each service command is defined: name -> (module, its setup, its run).
EXTRA_MODULES = {
    "simulate": ("ctid.simulate.command", "setup", "run"),
    "db": ("ctid.records.cli", "setup_db", "db_command"),
    "report": ("ctid.report_command", "setup_report", "report_command"),
    "recording": ("ctid.recording.cli", "setup_recording", "recording_command"),
    "campaign": ("ctid.outbound.cli", "setup_campaign", "campaign_command"),
    "fax": ("ctid.fax.cli", "setup_fax", "fax_command"),
}


def _load_extra_command(name: str) -> None:
    """Import the service command ``name`` (if it is one) into ``EXTRA_COMMANDS``.

    Only the command asked for is imported: ``ctid --help`` lists them all from
    ``EXTRA_HELP``, and importing every command's module (with the libraries of
    the whole daemon: SQLAlchemy, the archive and report code) cost every command,
    ``ctid simulate`` first, ~0.5 s of start-up (issue 14).
    """
    if name in EXTRA_COMMANDS or name not in EXTRA_MODULES:
        return
    module_name, setup, run = EXTRA_MODULES[name]
    module = importlib.import_module(module_name)
    EXTRA_COMMANDS[name] = (getattr(module, setup), getattr(module, run))


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first word not an option (``ctid`` itself
    takes only ``--help`` and ``--version``)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _listen_arg(value: str) -> str:
    try:
        parse_listen(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    chosen = _chosen_command(sys.argv[1:] if argv is None else argv)
    if chosen is not None:
        _load_extra_command(chosen)
    parser = argparse.ArgumentParser(prog="ctid", description="ctid, a headless CTI server")
    parser.add_argument("--version", action="version", version=f"ctid {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the daemon with a configuration file")
    run.add_argument("--config", required=True, type=Path, help="the TOML configuration file")
    run.add_argument(
        "--listen", type=_listen_arg, help="HOST:PORT for the API (overrides the file)"
    )
    run.add_argument(
        "--metrics-listen", type=_listen_arg, help="HOST:PORT for /metrics and /healthz"
    )

    demo = sub.add_parser("demo", help="a working call centre on the built-in simulator")
    demo.add_argument(
        "--listen", type=_listen_arg, default=None, help="HOST:PORT (default 127.0.0.1:8765)"
    )
    demo.add_argument(
        "--metrics-listen", type=_listen_arg, help="HOST:PORT for /metrics and /healthz"
    )
    demo.add_argument(
        "--no-traffic", action="store_true", help="stay quiet until driven through the API"
    )
    demo.add_argument(
        "--config", type=Path, help="a configuration file instead of the built-in demo one"
    )
    demo.add_argument("--seed", type=int, default=None, help="seed for the generated traffic")

    check = sub.add_parser("check-config", help="check a configuration file and exit")
    check.add_argument("file", type=Path)

    sub.add_parser("version", help="print the server and protocol versions")

    reload = sub.add_parser(
        "reload",
        help="check a configuration file, then have the running daemon apply it (SIGHUP)",
    )
    reload.add_argument("--config", required=True, type=Path, help="the daemon's TOML file")

    for name in {**EXTRA_MODULES, **EXTRA_COMMANDS}:
        command = sub.add_parser(name, help=EXTRA_HELP.get(name))
        if name in EXTRA_COMMANDS:
            EXTRA_COMMANDS[name][0](command)
    return parser


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )


def demo_config(path: Path | None) -> Config:
    if path is not None:
        return load_config(path)
    import tomllib

    text = resources.files("ctid.demo").joinpath("demo.toml").read_text()
    return config_from_dict(tomllib.loads(text), "<built-in demo.toml>")


def check_config(path: Path) -> int:
    """Check everything a daemon would check at start-up, without starting it."""
    from .app import load_tls
    from .wiring.checks import check_problems

    # The certificate files must load too (a reload needs them).
    problems, warnings = check_problems(path, extra=(load_tls,))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if problems:
        print(f"{path}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{path}: ok" + (f", with {len(warnings)} warning(s)" if warnings else ""))
    return 0


def reload_daemon(path: Path) -> int:
    """``ctid reload``: every problem of the file, or SIGHUP to the daemon running with it."""
    from .pidfile import PID_FILE, PidFileError, read_pid

    if check_config(path) != 0:
        print("nothing was sent: the running daemon keeps its configuration", file=sys.stderr)
        return 1
    config = load_config(path)
    pid_file = config.path(config.server.state_dir) / PID_FILE
    try:
        pid = read_pid(pid_file)
        os.kill(pid, signal.SIGHUP)
    except PidFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except PermissionError:
        print(f"error: not allowed to signal ctid (pid {pid}): run as its user", file=sys.stderr)
        return 1
    print(f"reload sent to ctid (pid {pid}); its log says what was applied and what was refused")
    return 0


def _run(config: Config, args: argparse.Namespace, *, demo: bool) -> int:
    from .app import App, build_driver

    admin_token = os.environ.get(config.auth.admin_token_env) or None
    generated = False
    if demo and not admin_token:
        admin_token = secrets.token_urlsafe(18)
        generated = True
    from .auth_setup import check_admin_token
    from .wiring.checks import config_problems, setup_warnings, start_checks

    # Every problem a start finds, as check-config lists them (unset token variables too).
    problems = config_problems(
        config,
        extra=(*start_checks(), lambda config: check_admin_token(config, admin_token)),
    )
    for found in problems:
        print(f"error: {found}", file=sys.stderr)
    if problems:
        return 2
    for warning in setup_warnings(config):
        log.warning("%s", warning)
    driver = build_driver(config)
    if not admin_token and not config.auth.tokens:
        print(
            f"error: no credentials: set {config.auth.admin_token_env} or add [[auth.tokens]] "
            f"to {config.file}",
            file=sys.stderr,
        )
        return 2

    def make_app(driver: Any) -> Any:
        app = App(
            config,
            driver=driver,
            admin_token=admin_token,
            listen=args.listen,
            handle_signals=True,
        )
        if getattr(args, "metrics_listen", None):
            app.metrics_listen = args.metrics_listen
        from .sdnotify import NotifySettings

        app.notify = NotifySettings.from_environ(os.environ, os.getpid())
        return app

    app = make_app(driver)
    if demo:
        from .demo_command import add_demo

        try:
            add_demo(app, traffic=not args.no_traffic, seed=args.seed)
        except ConfigError as exc:  # e.g. a configuration for another driver
            print(f"error: {exc}", file=sys.stderr)
            return 2

    async def main() -> None:
        nonlocal app
        from .cluster.node import LeadershipLost

        while True:
            lost: LeadershipLost | None = None
            try:
                async with trio.open_nursery() as nursery:
                    await nursery.start(app.run)
                    if demo:
                        _print_banner(app, admin_token or "", generated, config)
            except* LeadershipLost as group:
                lost = _leaves(group)[0]  # type: ignore[assignment]
            if lost is None:
                return
            # The switch and the clients are let go already; this process comes back
            # as a standby with a clean memory by itself (no supervisor needed).
            log.error("%s; starting again as a standby", lost)
            app = make_app(build_driver(config))
            app.patient_start = True

    from .pidfile import PID_FILE, remove_pid, write_pid

    pid_file = config.path(config.server.state_dir) / PID_FILE
    try:
        # For ``ctid reload``; a daemon that cannot write it still runs.
        write_pid(pid_file, os.getpid())
    except OSError as exc:
        log.warning("cannot write %s (ctid reload will not find this daemon): %s", pid_file, exc)
    try:
        trio.run(main)
    except KeyboardInterrupt:
        log.info("interrupted")
    except (OSError, StartupError, DriverError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BaseExceptionGroup as group:
        # Ctrl-C before the signal handler is up (during start-up) arrives as a
        # KeyboardInterrupt inside the nurseries' group: the same clean stop.
        interrupted, others = group.split(KeyboardInterrupt)
        if interrupted is not None and others is None:
            log.info("interrupted")
            return 0
        # Services fail inside nurseries, so their errors arrive grouped. A
        # driver's run() raises only for bad configuration the switch found
        # (credentials refused): the operator's message, not a traceback.
        expected, rest = group.split((OSError, StartupError, DriverError))
        if expected is None or rest is not None:
            raise
        for problem in _leaves(expected):
            print(f"error: {problem}", file=sys.stderr)
        return 1
    finally:
        remove_pid(pid_file, os.getpid())
    return 0


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        out.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return out


def _print_banner(app: Any, token: str, generated: bool, config: Config) -> None:
    note = (
        "(generated; set CTID_ADMIN_TOKEN to choose it)" if generated else "(from CTID_ADMIN_TOKEN)"
    )
    exts = app.driver.extensions
    lines = [
        "",
        "ctid demo: a call centre on the built-in voice-card simulator",
        f"  WebSocket URL : {app.url}   (subprotocol ctid.v1.json or ctid.v1.msgpack)",
        f"  Admin token   : {token}  {note}",
        f"  Extensions    : {exts[0]}-{exts[-1]}" if exts else "  Extensions    : none",
    ]
    from .switch_drivers.simulator.driver import SimulatorDriver

    if isinstance(app.driver, SimulatorDriver) and app.driver.config.trunks:
        card = app.driver.config
        lines.append(f"  Outside lines : {card.trunk_group}/1-{card.trunk_group}/{card.trunks}")
    metrics_server = app.api.services.get("metrics_server")
    if metrics_server is not None and metrics_server.addresses:
        # The bound address, not the configured one: with port 0 only this one is usable.
        host, port = metrics_server.addresses[0]
        shown = f"[{host}]" if ":" in host else host
        lines.append(f"  Metrics       : http://{shown}:{port}/metrics")
    for line in app.api.services.get("banner", []):
        lines.append(f"  {line}")
    lines.append("  Stop with Ctrl-C.")
    print("\n".join(lines), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser(argv).parse_args(argv)
    if args.command == "version":
        print(f"ctid {__version__} (protocol {PROTOCOL_VERSION})")
        return 0
    if args.command == "check-config":
        return check_config(args.file)
    if args.command == "reload":
        return reload_daemon(args.config)
    if args.command in EXTRA_COMMANDS:
        return EXTRA_COMMANDS[args.command][1](args)
    try:
        config = load_config(args.config) if args.command == "run" else demo_config(args.config)
    except ConfigError as exc:
        from .wiring.checks import load_problems

        # Every problem, as check-config lists them, not only the first.
        for problem in load_problems(args.config, exc) if args.config else [exc]:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    _logging(config.server.log_level)
    return _run(config, args, demo=args.command == "demo")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
