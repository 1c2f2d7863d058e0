"""The locks on the web app (pure ASGI middleware, so they hold for every route, static
files included). The model is Jupyter's: a random token in the first URL, checked
Host headers, and nothing a page from elsewhere can make the browser do.

- **Host**: only ``127.0.0.1:PORT`` and ``localhost:PORT`` (a DNS-rebinding page calls
  us under its own name, and is refused).
- **Token**: ``?token=…`` in the URL is swapped for an HttpOnly, SameSite=Strict cookie
  and the browser is sent to the same address without it (so it leaves the address bar
  and the history); every request without the cookie gets 403.
- **Unsafe methods** (POST and the rest): the ``Origin`` must be this server; without an
  ``Origin``, ``Sec-Fetch-Site`` must say ``same-origin``; else 403. (``Referrer-Policy:
  same-origin`` keeps Chromium sending a real Origin, not ``null``.)
- **Bodies** are bounded: a request larger than ``max_body`` bytes gets 413, whether it
  says its length or not.
- **Every response** carries a strict Content-Security-Policy (no inline script or style,
  nothing from elsewhere), ``Cache-Control: no-store``, ``X-Content-Type-Options:
  nosniff``, ``Referrer-Policy: same-origin``, frame and opener isolation, and no CORS
  header at all.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

def cookie_name(port: int) -> str:
    """The token cookie's name. Browsers keep cookies per host, not per port, so two
    servers on one computer each need their own name."""
    return f"oppforms_token_{port}"


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
SAFE_METHODS = frozenset({"GET", "HEAD"})

_FORBIDDEN_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Geen toegang - oppforms</title></head>
<body><main><h1>Geen toegang</h1><p>{reason}</p></main></body></html>
"""


class Guard:
    """Wraps the app in every check above. ``port`` is the port the server listens on;
    ``token`` the secret of this run."""

    def __init__(self, app: ASGIApp, *, token: str, port: int, max_body: int) -> None:
        self.app = app
        self.token = token
        self.max_body = max_body
        self.hosts = {f"127.0.0.1:{port}".encode(), f"localhost:{port}".encode()}
        self.origins = {b"http://" + h for h in self.hosts}
        self.cookie = cookie_name(port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        too_large = False

        async def send_secured(message: Message) -> None:
            if too_large:  # the app's answer to a cut-off body is replaced by a 413 below
                return
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control-")]
                message["headers"] = kept + list(SECURITY_HEADERS)
            await send(message)

        if headers.get(b"host") not in self.hosts:
            await _refuse(send_secured, 403, "Dit adres is niet toegestaan. Open oppforms via 127.0.0.1 of localhost.")
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        if "token" in query:
            if hmac.compare_digest(query["token"].encode(), self.token.encode()):
                del query["token"]
                target = scope.get("path", "/") + (("?" + urlencode(query)) if query else "")
                await _redirect_with_cookie(send_secured, target, self.cookie, self.token)
            else:
                await _refuse(send_secured, 403, "De sleutel in de link klopt niet. Gebruik de link die oppforms serve liet zien.")
            return
        if not hmac.compare_digest(_cookie(headers.get(b"cookie", b""), self.cookie).encode(), self.token.encode()):
            await _refuse(send_secured, 403, "Open oppforms met de link die <code>oppforms serve</code> liet zien.")
            return
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get(b"origin")
            fetch_site = headers.get(b"sec-fetch-site")
            if origin is not None:
                allowed = origin in self.origins
            else:
                allowed = fetch_site == b"same-origin"
            if not allowed:
                await _refuse(send_secured, 403, "Dit verzoek kwam niet van deze pagina en is geweigerd.")
                return
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await _refuse(send_secured, 413, _too_large(self.max_body))
                return
            inner = receive
            seen = 0

            async def bounded() -> Message:
                nonlocal seen, too_large
                message = await inner()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.max_body:
                        too_large = True
                        raise BodyTooLarge
                return message

            receive = bounded
        try:
            await self.app(scope, receive, send_secured)
        except BodyTooLarge:
            pass
        except Exception:
            if not too_large:
                raise
        if too_large:
            too_large = False
            await _refuse(send_secured, 413, _too_large(self.max_body))


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was read."""


def _too_large(limit: int) -> str:
    return f"Wat u stuurde is te groot (meer dan {limit // (1024 * 1024)} MB samen). Stuur minder bestanden tegelijk."


def _cookie(header: bytes, name: str) -> str:
    for part in header.decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def _refuse(send: Send, status: int, reason: str) -> None:
    body = _FORBIDDEN_PAGE.format(reason=reason).replace("Geen toegang", "Te groot" if status == 413 else "Geen toegang")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body.encode())).encode())]})
    await send({"type": "http.response.body", "body": body.encode()})


async def _redirect_with_cookie(send: Send, target: str, name: str, token: str) -> None:
    cookie = f"{name}={token}; HttpOnly; SameSite=Strict; Path=/"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", target.encode("latin-1")), (b"set-cookie", cookie.encode()),
                            (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
