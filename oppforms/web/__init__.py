"""``oppforms serve``: the local web app, in Dutch, for the school's whole OPP cycle.

It sits on the top floor beside :mod:`oppforms.cli` and is as thin: :mod:`.app` holds
the routes (parse, call the library, render a template from ``templates/``),
:mod:`.security` the locks (token cookie, Host and Origin checks, CSP, bounded bodies),
:mod:`.jobs` the background thread that fills and reads, :mod:`.texts` the Dutch words
for what the library says. The state lives in a :class:`oppforms.workspace.Workspace`.

Needs the ``web`` extra: ``pip install "oppforms[web]"`` (Starlette, Jinja2,
python-multipart, uvicorn).
"""

from __future__ import annotations

import errno
import secrets
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from ..errors import MissingDependencyError, UsageError

__all__ = ["DEFAULT_PORT", "serve"]

DEFAULT_PORT = 8765
HINT = 'the web app needs its extra: pip install "oppforms[web]"'


def _bind(port: int | None) -> socket.socket:
    """A listening socket on 127.0.0.1 only: ``port``, or the default port and, when that
    one is taken, any free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform != "win32":  # on Windows it would let another program take the port too
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", DEFAULT_PORT if port is None else port))
    except OSError as exc:
        if port is not None or exc.errno != errno.EADDRINUSE:
            sock.close()
            raise UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
        sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def serve(
    workspace: Path,
    *,
    port: int | None = None,
    open_browser: bool = True,
    on_ready: Callable[[str], None] = lambda url: None,
) -> bool:
    """Run the web app until Ctrl-C (or SIGTERM). ``on_ready`` gets the URL with this
    run's token as soon as the server listens. Returns False when a background job did
    not stop within two seconds (the caller then ends the process at once: every file
    and every decision is written atomically, so nothing is half-written)."""
    try:
        import jinja2  # noqa: F401
        import python_multipart  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise MissingDependencyError(HINT) from exc
    from .app import Settings, create_app

    sock = _bind(port)
    bound = sock.getsockname()[1]
    token = secrets.token_urlsafe(32)
    guard, web = create_app(Settings(Path(workspace), token, bound))
    config = uvicorn.Config(
        guard,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=2,
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    server = uvicorn.Server(config)
    url = f"http://127.0.0.1:{bound}/?token={token}"
    on_ready(url)
    if open_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, (url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises the captured Ctrl-C again once it has stopped
        pass
    finally:
        stopped = web.jobs.stop(timeout=2.0)
        sock.close()
    return stopped
