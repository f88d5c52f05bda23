"""A local HTTP server for the poller tests: fixture feeds and article pages from tests/data/feeds.

In: nothing (it binds free ports). Out: a running aiohttp server on 127.0.0.1 (``base``) and on
127.0.0.2 (``slow``, a second "host" whose pages answer only after ``slow_seconds``), which
records every request. ``/feeds/world.xml`` serves ``world_v1.xml`` until :meth:`FeedServer.switch`
says otherwise, with an ETag and Last-Modified and 304 answers to matching conditional requests;
``/feeds/slow.xml`` is an Atom feed pointing at the slow host, ``/feeds/slow_many.xml`` an RSS
feed of three stories there (``most_in_flight`` shows how many were asked at once);
``/feeds/broken.xml`` is not a feed; ``/feeds/flaky.xml`` lists a page on the slow host under
``/flaky/``, which always answers 503 (at once); ``/articles/withdrawn.html`` is a 404.

``python -m tests.support.feed_server [--port N]`` runs it in the foreground (for a local demo).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
# Last-Modified of each world feed version (any fixed time will do; they only need to differ)
_MODIFIED = {"world_v1.xml": "Sat, 21 Nov 2026 07:05:00 GMT", "world_v2.xml": "Sun, 22 Nov 2026 11:50:00 GMT"}
_FEEDS = {
    "/feeds/slow.xml": "slow_atom.xml",
    "/feeds/slow_many.xml": "slow_many.xml",
    "/feeds/broken.xml": "broken.xml",
    "/feeds/flaky.xml": "flaky.xml",
}
_PAGES = {"/m/maarat-shelling.html": "maarat-shelling-mobile.html"}


@dataclass
class Request:
    host: str
    path: str
    headers: dict[str, str]


@dataclass
class FeedServer:
    slow_seconds: float = 3.0
    port: int = 0
    world: str = "world_v1.xml"
    requests: list[Request] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)  # host -> requests being answered now
    most_in_flight: dict[str, int] = field(default_factory=dict)  # host -> the most at once
    base: str = ""
    slow: str = ""
    _runner: web.AppRunner | None = None

    def switch(self, version: str) -> None:
        """Serve another version of /feeds/world.xml (``world_v2.xml``)."""
        self.world = version

    def seen(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _text(self, name: str) -> str:
        return (DATA / name).read_text().replace("{base}", self.base).replace("{slow}", self.slow)

    async def _world(self, request: web.Request) -> web.Response:
        body = self._text(self.world).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = _MODIFIED[self.world]
        headers = {"ETag": etag, "Last-Modified": modified}
        if (
            request.headers.get("If-None-Match") == etag
            or request.headers.get("If-Modified-Since") == modified
        ):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers, content_type="application/rss+xml")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Request(request.host, request.path, dict(request.headers)))
        host = request.host.split(":")[0]
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.most_in_flight[host] = max(self.most_in_flight.get(host, 0), self.in_flight[host])
        try:
            return await self._answer(request)
        finally:
            self.in_flight[host] -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/feeds/world.xml":
            return await self._world(request)
        if path in _FEEDS:
            return web.Response(text=self._text(_FEEDS[path]), content_type="application/xml")
        if path.startswith("/flaky/"):
            return web.Response(status=503, text="try again later")
        name = _PAGES.get(path) or (path.removeprefix("/articles/") if path.startswith("/articles/") else "")
        page = DATA / "pages" / name
        if not name or "/" in name or not page.is_file():
            return web.Response(status=404, text="not found")
        if request.host.startswith("127.0.0.2"):
            await asyncio.sleep(self.slow_seconds)
        return web.Response(text=self._text(f"pages/{name}"), content_type="text/html")

    async def start(self) -> FeedServer:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        fast = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await fast.start()
        port = fast._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # started: it has sockets
        slow = web.TCPSite(self._runner, "127.0.0.2", port)
        await slow.start()
        self.base, self.slow = f"http://127.0.0.1:{port}", f"http://127.0.0.2:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _serve(port: int) -> None:
    server = await FeedServer(port=port).start()
    print(f"feeds: {server.base}/feeds/world.xml {server.base}/feeds/slow.xml {server.base}/feeds/broken.xml")
    try:
        while True:
            await asyncio.sleep(3600)
    finally:
        await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(_serve(parser.parse_args().port))
