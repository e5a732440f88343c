"""A small Language Server Protocol client for Red Hat's YAML language server (the
server behind VS Code's YAML extension, Neovim's yamlls, Helix and JetBrains), to see
drillbit's schemas as an editor shows them.

The server is the npm package ``yaml-language-server`` (1.25 or later); ``.ci/run``
installs it and names its executable in DRILLBIT_YAML_LANGUAGE_SERVER. Without it a
test skips, except under CI=true, where a missing server is a failure.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ENV = "DRILLBIT_YAML_LANGUAGE_SERVER"
#: Long enough for a cold start on a loaded two-core machine, short enough to fail fast.
TIMEOUT = 60.0


def server_command() -> list[str]:
    """The command that starts the server over stdio; skips (fails under CI=true) without it."""
    found = os.environ.get(ENV) or shutil.which("yaml-language-server")
    node = shutil.which("node")
    if not found or not Path(found).exists() or not node:
        reason = f"no yaml-language-server (set {ENV}) or no node"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must provide it (.ci/run installs it with npm)")
        pytest.skip(reason)
    return [node, str(Path(found).resolve()), "--stdio"]


class LanguageServer:
    """One running server: requests wait for their answer, diagnostics are kept per file."""

    def __init__(self, command: list[str], root: Path, settings: dict[str, Any]) -> None:
        self.root = root
        self.settings = settings
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, cwd=root)
        self._next_id = 0
        self._answers: dict[int, queue.Queue] = {}
        self._diagnostics: dict[str, queue.Queue] = {}
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self._initialize(root, settings)
        except BaseException:  # no server left running when it never answered
            self._stop()
            raise

    def _initialize(self, root: Path, settings: dict[str, Any]) -> None:
        self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {
                "workspace": {"configuration": True, "didChangeConfiguration": {"dynamicRegistration": True}},
                "textDocument": {
                    "publishDiagnostics": {"relatedInformation": True},
                    "completion": {"completionItem": {"snippetSupport": True}},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                },
            },
        })
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": settings}})

    # -- the protocol -------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        with self._write_lock:
            assert self._proc.stdin is not None
            self._proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._proc.stdin.flush()

    def _read(self) -> None:
        out = self._proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            self._dispatch(json.loads(out.read(length)))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and "method" in message:  # the server asks the client
            self._send({"id": message["id"], "result": self._answer(message)})
        elif "id" in message:
            self._answers_for(message["id"]).put(message)
        elif message.get("method") == "textDocument/publishDiagnostics":
            params = message["params"]
            self._diagnostics_for(params["uri"]).put(params["diagnostics"])

    def _answer(self, message: dict[str, Any]) -> Any:
        if message["method"] == "workspace/configuration":
            return [self.settings if item.get("section") == "yaml" else None
                    for item in message["params"]["items"]]
        return None  # registrations and progress tokens: accepted

    def _answers_for(self, ident: int) -> queue.Queue:
        with self._lock:
            return self._answers.setdefault(ident, queue.Queue())

    def _diagnostics_for(self, uri: str) -> queue.Queue:
        with self._lock:
            return self._diagnostics.setdefault(uri, queue.Queue())

    def request(self, method: str, params: dict[str, Any]) -> Any:
        """Send a request and wait for its result; an error answer fails the test."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        self._send({"id": ident, "method": method, "params": params})
        answer = self._wait(self._answers_for(ident), method)
        assert "error" not in answer, f"{method}: {answer['error']}"
        return answer["result"]

    def _wait(self, answers: queue.Queue, what: str) -> Any:
        """The next item of ``answers``; fails the test when the server has exited or
        TIMEOUT seconds pass, rather than waiting on a server that will never answer."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                return answers.get(timeout=0.5)
            except queue.Empty:
                if self._proc.poll() is not None:
                    pytest.fail(f"the language server exited (status {self._proc.returncode}) before answering {what}")
        pytest.fail(f"the language server did not answer {what} within {TIMEOUT:g}s")

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    # -- what an editor does ------------------------------------------------------------
    def _show(self, path: Path, text: str) -> tuple[str, list[dict[str, Any]]]:
        """Open ``text`` as the file at ``path`` (inside the root), or, when it is open
        already, change it to ``text``; its URI and diagnostics once the server has checked it."""
        uri = path.as_uri()
        published = self._diagnostics_for(uri)
        while not published.empty():  # those of an earlier version
            published.get_nowait()
        version = self._versions[uri] = self._versions.get(uri, 0) + 1
        if version == 1:
            self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        else:
            self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                   "contentChanges": [{"text": text}]})
        return uri, self._wait(published, f"diagnostics of {path.name}")

    def diagnostics(self, path: Path, text: str) -> list[dict[str, Any]]:
        """The diagnostics the server publishes for ``text`` shown as the file ``path``."""
        return self._show(path, text)[1]

    def completion(self, path: Path, text: str, line: int, character: int) -> list[dict[str, Any]]:
        """Completion items at a 0-based position of ``text`` shown as ``path``."""
        uri, _ = self._show(path, text)
        result = self.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                          "position": {"line": line, "character": character}})
        return result["items"] if isinstance(result, dict) else (result or [])

    def hover(self, path: Path, text: str, line: int, character: int) -> str:
        """What hovering at a 0-based position of ``text`` shown as ``path`` shows."""
        uri, _ = self._show(path, text)
        result = self.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                     "position": {"line": line, "character": character}})
        contents = (result or {}).get("contents", "")
        return contents.get("value", "") if isinstance(contents, dict) else str(contents)

    def close(self) -> None:
        """Shut the server down politely, then for good."""
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self._proc.wait(timeout=10)
        except (Exception, pytest.fail.Exception):  # a server that hangs on shutdown must not hang the tests
            pass
        finally:
            self._stop()

    def _stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
