"""`python -m phileak.lab.www --port N --root DIR`: serve the lab hospital's site on 127.0.0.1:N."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from phileak.lab.www.server import make_server


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phileak.lab.www", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", type=Path, required=True, help="folder holding the site's pages")
    args = parser.parse_args(argv)
    if not (args.root / "index.html").is_file():
        print(f"www: no index.html in {args.root}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    try:
        server = make_server(args.root, args.port)
    except OSError as exc:
        print(f"www: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    with server:
        host, port = server.server_address[:2]
        print(f"www: serving {args.root} on http://{host!s}:{port}/", flush=True)
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
