"""`aim-serve`: one long-running process that serves every AIM deployment.

Why: users drive the pipeline with `prefect deployment run generate-dataset/generate-dataset`
from any shell and watch it in the UI; that needs a Prefect server and a process executing
the deployments' runs. aim-serve provides both: it reuses the server at PREFECT_API_URL or
starts a local one (embedded SQLite) and serves the flows of `flows.registry`. SIGTERM or
Ctrl-C stops the served runs and the server it started.
"""
from __future__ import annotations

import argparse
import os
import signal

from rich.console import Console

from flows.prefect_server import DEFAULT_API_URL, ensure_server
from flows.registry import FLOWS

console = Console(stderr=True)


def _interrupt_on_sigterm(signum, frame) -> None:
    """SIGTERM behaves like Ctrl-C (while serving, Prefect's runner handles it and exits the same way)."""
    raise KeyboardInterrupt(f"signal {signum}")


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (a limit of 0 or less would serve nothing, forever)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from prefect.settings import PREFECT_API_URL

    parser = argparse.ArgumentParser(prog="aim-serve", description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", default=PREFECT_API_URL.value() or DEFAULT_API_URL,
                        help="Prefect API (default: PREFECT_API_URL, else %(default)s); "
                             "a local address with no server answering gets one started")
    parser.add_argument("--flows", nargs="+", choices=list(FLOWS), default=None, metavar="FLOW",
                        help=f"serve only these flows (default: every registered one: {', '.join(FLOWS)})")
    parser.add_argument("--limit", type=_positive_int, default=None,
                        help="maximum number of flow runs executed at once (default: no limit)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    with console.status(f"Prefect server at {args.api_url} ..."):
        server = ensure_server(args.api_url)
    console.log(f"{'started' if server.started_here else 'using'} the Prefect server at {server.api_url} "
                f"(UI {server.ui_url})")
    os.environ["PREFECT_API_URL"] = server.api_url  # the runs the runner spawns inherit it
    try:
        from prefect import serve
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.registry import deployments

        with temporary_settings({PREFECT_API_URL: server.api_url}):
            served = deployments(args.flows)
            if not served:
                raise SystemExit(f"none of the flows {args.flows or list(FLOWS)} exists in this installation")
            console.log("serving " + ", ".join(f"{d.flow_name}/{d.name}" for d in served))
            serve(*served, limit=args.limit)
    except (KeyboardInterrupt, SystemExit) as stop:
        if isinstance(stop, SystemExit) and stop.code not in (None, 0):
            raise
    finally:
        console.log("stopping" + (" the Prefect server it started" if server.started_here else ""))
        server.stop()


if __name__ == "__main__":
    main()
