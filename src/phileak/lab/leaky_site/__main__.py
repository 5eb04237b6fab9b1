"""`python -m phileak.lab.leaky_site --port N --root DIR`: serve the leaky site and the tracker sink on
127.0.0.1:N over HTTPS, from a data directory prepared by the lab (site/, vendors/, tls/)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from phileak.lab.leaky_site.server import make_server


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m phileak.lab.leaky_site", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", type=Path, required=True, help="the service's data directory")
    args = parser.parse_args(argv)
    missing = [name for name in ("site/index.html", "tls/cert.pem", "tls/key.pem") if not (args.root / name).is_file()]
    if missing:
        print(f"leaky-site: {args.root} is not prepared (missing {', '.join(missing)})", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    try:
        server = make_server(args.root, args.port, lambda line: print(f"leaky-site: {line}", flush=True))
    except OSError as exc:
        print(f"leaky-site: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    with server:
        print(f"leaky-site: serving https://127.0.0.1:{server.server_address[1]}/ for the site and the trackers",
              flush=True)  # fmt: skip
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
