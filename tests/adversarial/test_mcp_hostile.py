"""Hostile MCP requests (issue 9, section 4): malformed JSON-RPC lines never stop the server, and every tool
error is one line. One ``advisor mcp`` subprocess serves the whole module (raw JSON-RPC lines on its stdin)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys

import pytest

pytest.importorskip("mcp")

INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}


class Server:
    def __init__(self, cwd):
        env = {**os.environ, "ADVISOR_NO_ENTRY_POINTS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "advisor", "mcp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        self.next_id = 100
        assert "result" in self.request(INIT, wait=60)
        self.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))

    def send(self, line: str) -> None:
        self.proc.stdin.write(line.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def read(self, wait: float) -> dict | None:
        ready, _, _ = select.select([self.proc.stdout], [], [], wait)
        return json.loads(self.proc.stdout.readline()) if ready else None

    def request(self, msg: dict, wait: float = 20) -> dict:
        self.send(json.dumps(msg))
        return self.read(wait)

    def call(self, name: str, arguments) -> dict:
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": "tools/call"}
        msg["params"] = {"name": name, "arguments": arguments}
        return self.request(msg)["result"]

    def alive(self) -> bool:
        """The server still answers a plain request (whatever came before)."""
        self.next_id += 1
        reply = self.request({"jsonrpc": "2.0", "id": self.next_id, "method": "tools/list"})
        return reply is not None and reply.get("id") == self.next_id and "tools" in reply["result"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("mcp"))
    yield s
    s.proc.stdin.close()
    s.proc.wait(timeout=10)
    s.proc.stdout.close()


MALFORMED = {
    "not-json": "{not json",
    "params-not-object": json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": "notadict"}
    ),
    "batch": json.dumps([{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]),
    "id-null": json.dumps({"jsonrpc": "2.0", "id": None, "method": "tools/list"}),
    "deeply-nested": '{"jsonrpc":"2.0","id":3,"method":"tools/list","params":'
    + '{"a":' * 5000
    + "1"
    + "}" * 5000
    + "}",
    "no-jsonrpc": json.dumps({"id": 4, "method": "tools/list"}),
    "binary": "\udcff\udcfe".encode("utf-8", "surrogateescape").decode("latin-1"),
    "unknown-method": json.dumps({"jsonrpc": "2.0", "id": 5, "method": "no/such"}),
}


@pytest.mark.parametrize("line", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_line_never_stops_the_server(server, line):
    """What the mcp SDK does: a line that is no JSON-RPC message gets no reply (the SDK drops it after logging;
    answering -32700/-32600 needs the transport, which the SDK owns); the server keeps serving."""
    server.send(line)
    reply = server.read(1)
    assert reply is None or "error" in reply
    assert server.alive()


TOOL_ERRORS = [
    pytest.param(
        "recommend",
        {},
        "profile",
        id="recommend-no-profile",
    ),
    pytest.param("recommend", {"profile": []}, "object", id="recommend-profile-list"),
    pytest.param("recommend", {"profile": {"examples": "300"}}, "examples", id="recommend-string-number"),
    pytest.param("recommend", {"profile": {"exampels": 300}}, "did you mean", id="recommend-typo"),
    pytest.param(
        "recommend", {"profile": {"examples": 300, "latency_ms": -1}}, "latency_ms", id="recommend-neg"
    ),
    pytest.param(
        "recommend",
        {"profile": {"examples": 10**30}},
        "examples",
        id="recommend-huge-examples",
    ),
    pytest.param(
        "check",
        {"answer": "[" * 100_000, "profile": {"examples": 300}},
        "nested",
        id="check-deep",
    ),
    pytest.param(
        "check", {"answer": "no json here", "profile": {"examples": 300}}, "JSON", id="check-no-json"
    ),
    pytest.param(
        "check",
        {"profile": {"examples": 300}},
        "answer",
        id="check-no-answer",
    ),
    pytest.param("explain_rule", {"rule_id": "TEP10"}, "closest", id="explain-unknown"),
    pytest.param(
        "explain_rule",
        {"rule_id": "x" * 100_000},
        "unknown rule",
        id="explain-long-echo-cut",
    ),
    pytest.param("render_prompt", {"profile": {"examples": 0}}, "examples", id="prompt-bad-profile"),
    pytest.param("no_such_tool", {}, "no_such_tool", id="unknown-tool"),
]


@pytest.mark.parametrize(("tool", "arguments", "needle"), TOOL_ERRORS)
def test_tool_errors_are_one_line(server, tool, arguments, needle):
    result = server.call(tool, arguments)
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert "\n" not in text.strip(), text
    assert len(text) < 1000, f"the message echoes too much ({len(text)} characters)"
    assert needle.lower() in text.lower(), text
    assert "Traceback" not in text
