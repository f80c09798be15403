"""The start-up check every way of starting the app goes through.

`assistant serve` checks the data directory before it starts uvicorn, but the app is also
started as `uvicorn --factory assistant.api.app:create_app`, `uvicorn assistant.api.app:app`
or by gunicorn. `StartupCheck` runs the same check when the server starts the app (the ASGI
lifespan's `startup`), before anything is built: a failure ends the start-up with one line
naming the directory and what to do (uvicorn logs it and exits with status 3), instead of a
Chroma or SQLite traceback from deep inside `build_services`.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.errors import DataDirError


class StartupCheck:
    def __init__(self, app: ASGIApp, check: Callable[[], None]) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        first = await receive()
        if first["type"] == "lifespan.startup":
            try:
                self.check()
            except DataDirError as error:
                await send({"type": "lifespan.startup.failed", "message": f"error: {error}"})
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return first
            return await receive()

        await self.app(scope, replay, send)
