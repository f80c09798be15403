"""A fake Slack Web API on loopback: a real HTTP server that records every call, keeps the
messages it was sent (posted, then updated), takes file uploads and `response_url` posts,
and answers 429 (with Retry-After) or 500 on demand. Modelled on bolt-python's
tests/mock_web_api_server."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

BOT_USER = "UBOT"


@dataclass
class Call:
    method: str  # "chat.postMessage", "upload", "response_url", ...
    args: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int
    times: int
    retry_after: int | None = None


@dataclass
class Message:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    updates: int = 0

    def all_text(self) -> str:
        """Every text of the message's blocks (sections, context, buttons)."""
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)  # response_url posts
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- the test's side ----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/response/{name}"

    def __enter__(self) -> FakeSlack:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(
        self, method: str, status: int, times: int = 1, retry_after: int | None = None
    ) -> None:
        """The next `times` calls of `method` answer `status` (429 with Retry-After)."""
        with self.lock:
            self.faults.setdefault(method, []).append(Fault(status, times, retry_after))

    def called(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def in_thread(self, channel: str, thread_ts: str) -> list[Message]:
        with self.lock:
            return [
                m
                for m in self.messages.values()
                if m.channel == channel and (m.thread_ts == thread_ts or m.ts == thread_ts)
            ]

    def wait(self, condition: Callable[[], Any], timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = condition()
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError(f"timed out; calls: {[(c.method, c.status) for c in self.calls]}")

    def final_reply(self, channel: str, thread_ts: str, timeout: float = 20.0) -> Message:
        """The bot's message in the thread once it is no longer the placeholder."""

        def done() -> Message | None:
            for message in self.in_thread(channel, thread_ts):
                if (
                    message.ts != thread_ts
                    and not message.text.endswith("\u2026")
                    and not message.text.startswith(
                        ("\u23f3", "\U0001f50e", "\U0001f914", "\u270d")
                    )
                ):
                    return message
            return None

        found: Message = self.wait(done, timeout)
        return found

    # -- the server's side --------------------------------------------------------------
    def _fault(self, method: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(method) or []
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def answer(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        fault = self._fault(method)
        if fault is not None:
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            )
            error = "ratelimited" if fault.status == 429 else "internal_error"
            return fault.status, {"ok": False, "error": error}, headers
        return 200, self._ok(method, args), {}

    def _ok(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if method == "auth.test":
                return {
                    "ok": True,
                    "user_id": BOT_USER,
                    "bot_id": "BBOT",
                    "team_id": "T1",
                    "user": "assistant",
                    "team": "Test",
                }
            if method == "chat.postMessage":
                ts = f"1800000000.{next(self._ts):06d}"
                blocks = _blocks(args.get("blocks"))
                self.messages[ts] = Message(
                    str(args["channel"]),
                    ts,
                    args.get("thread_ts"),
                    str(args.get("text", "")),
                    blocks,
                )
                return {"ok": True, "channel": args["channel"], "ts": ts}
            if method == "chat.update":
                message = self.messages.get(str(args.get("ts")))
                if message is None:
                    return {"ok": False, "error": "message_not_found"}
                message.text = str(args.get("text", ""))
                message.blocks = _blocks(args.get("blocks"))
                message.updates += 1
                return {"ok": True, "channel": message.channel, "ts": message.ts}
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": f"1800000000.{next(self._ts):06d}"}
            if method == "users.info":
                user = self.users.get(str(args.get("user")))
                if user is None:
                    return {"ok": False, "error": "user_not_found"}
                return {"ok": True, "user": {"id": args.get("user"), **user}}
            if method == "conversations.info":
                channel = str(args.get("channel"))
                return {"ok": True, "channel": {"id": channel, **self.channels.get(channel, {})}}
            if method == "files.getUploadURLExternal":
                file_id = f"F{next(self._ts)}"
                return {
                    "ok": True,
                    "file_id": file_id,
                    "upload_url": f"{self.url}/upload/{file_id}",
                }
            if method == "files.completeUploadExternal":
                files = (
                    json.loads(args["files"])
                    if isinstance(args.get("files"), str)
                    else args.get("files", [])
                )
                return {
                    "ok": True,
                    "files": [{"id": f["id"], "title": f.get("title")} for f in files],
                }
            return {"ok": True}


def _blocks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        parsed: list[dict[str, Any]] = json.loads(value)
        return parsed
    return list(value or [])


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            pass

        def _args(self) -> tuple[dict[str, Any], bytes]:
            parsed = urlparse(self.path)
            args: dict[str, Any] = dict(parse_qsl(parsed.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            kind = self.headers.get("Content-Type") or ""
            if raw and "json" in kind:
                args.update(json.loads(raw))
            elif raw and "form" in kind:
                args.update(dict(parse_qsl(raw.decode())))
            return args, raw

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/json" if not isinstance(body, bytes) else "text/plain"
            )
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self.do_POST()

        def do_POST(self) -> None:
            args, raw = self._args()
            path = urlparse(self.path).path
            if path.startswith("/upload/"):
                file_id = path.rsplit("/", 1)[-1]
                with fake.lock:
                    fake.uploads[file_id] = raw
                    fake.calls.append(Call("upload", {"file_id": file_id, "size": len(raw)}, 200))
                self._send(200, f"OK - {len(raw)}".encode())
                return
            if path.startswith("/response/"):
                with fake.lock:
                    fake.responses.append(args)
                    fake.calls.append(Call("response_url", args, 200))
                self._send(200, b"ok")
                return
            method = path.removeprefix("/api/")
            status, body, headers = fake.answer(method, args)
            with fake.lock:
                fake.calls.append(Call(method, args, status))
            self._send(status, body, headers)

    return Handler
