"""The real server: start/stop, concurrency, SQLite across restarts, the official twilio library, the CLI."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from twilio.rest import Client as TwilioClient
from twilio.rest.conversations.v2.conversation import ConversationList

from conformance.contract.schemas import load_contract
from conformance.emulator.server import EmulatorServer
from conformance.vendor import IDEMPOTENCY_KEY_HEADER

from .conftest import CREATE, assert_error, full_request


def api_key_auth(server: EmulatorServer) -> tuple[str, str]:
    return server.credentials.api_key or "", server.credentials.api_secret or ""


def test_starts_and_stops_on_a_free_loopback_port() -> None:
    """Stopping does not wait for an idle keep-alive connection to close (how fast it starts is a benchmark's)."""
    with EmulatorServer() as server, EmulatorServer() as second:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0 and server.port != second.port
        with httpx.Client(base_url=server.url) as client:  # a keep-alive connection stays open during stop
            assert client.get("/__emulator__/health").json()["status"] == "ok"
            serving = server._thread
            server.stop()  # joins the serving thread, waiting at most 5 s (a hang guard)
            assert serving is not None and not serving.is_alive()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), timeout=1):
        pass


def test_real_server_answers_like_the_app() -> None:
    with EmulatorServer() as server, httpx.Client(base_url=server.url, auth=api_key_auth(server)) as client:
        created = client.post(CREATE, json=full_request(configurationId=server.configuration_id))
        assert created.status_code == 201 and created.headers["content-type"] == "application/json"
        assert "server" not in created.headers
        assert load_contract().errors("conversation", created.json()) == []
        assert_error(client.post(CREATE, content=b"\xff", headers={"content-type": "application/json"}), 400)
        assert_error(
            client.post(CREATE, content=b"x" * (1024 * 1024 + 1), headers={"content-type": "application/json"}), 413
        )
        server.inject("status_503", count=1, retry_after=2)
        assert client.get(f"{CREATE}/{created.json()['id']}").headers["retry-after"] == "2"
        assert client.get(f"{CREATE}/{created.json()['id']}").status_code == 200


def test_concurrent_creates_get_distinct_ids_and_are_all_fetchable() -> None:
    local = threading.local()

    with EmulatorServer() as server:

        def client() -> httpx.Client:
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=server.url, auth=api_key_auth(server))
                clients.append(local.client)
            return local.client

        def create(_: int) -> str:
            response = client().post(CREATE, json=full_request(configurationId=server.configuration_id))
            assert response.status_code == 201, response.text
            return response.json()["id"]

        def fetch(conversation_id: str) -> str:
            return client().get(f"{CREATE}/{conversation_id}").json()["id"]

        clients: list[httpx.Client] = []
        with ThreadPoolExecutor(max_workers=32) as pool:  # 32 connections in flight at once
            ids = list(pool.map(create, range(200)))
            fetched = list(pool.map(fetch, ids))
        for each in clients:
            each.close()
        assert len(set(ids)) == 200 and fetched == ids
        assert server.backend.count_conversations() == 200


def test_sqlite_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "emulator.db"
    request = full_request()
    with EmulatorServer(db_path=db) as server, httpx.Client(base_url=server.url, auth=api_key_auth(server)) as client:
        created = client.post(CREATE, json=request, headers={IDEMPOTENCY_KEY_HEADER: "restart"}).json()
    with EmulatorServer(db_path=db) as server, httpx.Client(base_url=server.url, auth=api_key_auth(server)) as client:
        assert client.get(f"{CREATE}/{created['id']}").json() == created
        replay = client.post(CREATE, json=request, headers={IDEMPOTENCY_KEY_HEADER: "restart"})
        assert replay.status_code == 201 and replay.json() == created
        conflict = client.post(CREATE, json=full_request(name="x"), headers={IDEMPOTENCY_KEY_HEADER: "restart"})
        assert_error(conflict, 409)
        client.post("/__emulator__/reset")
        assert_error(client.get(f"{CREATE}/{created['id']}"), 404)


@pytest.mark.parametrize("form", ["api key", "account sid + auth token"])
def test_official_twilio_library_creates_and_fetches(form: str) -> None:
    with EmulatorServer() as server:
        credentials = server.credentials
        if form == "api key":
            client = TwilioClient(credentials.api_key, credentials.api_secret, account_sid=credentials.account_sid)
        else:
            client = TwilioClient(credentials.account_sid, credentials.auth_token)
        client.conversations.base_url = server.url  # instead of https://conversations.twilio.com
        request = ConversationList.CreateConversationWithConfigRequest(
            full_request(configurationId=server.configuration_id)
        )
        created = client.conversations.v2.conversations.create(request)
        assert created.id.startswith("conv_conversation_") and created.name == "Support Chat"
        assert created.account_id == credentials.account_sid and created.created_at is not None  # parsed datetime
        fetched = client.conversations.v2.conversations(created.id).fetch()
        assert fetched.id == created.id and fetched.participants == created.participants


def test_cli_serves_with_env_credentials(tmp_path: Path) -> None:
    sid, token = "AC" + "5" * 32, "cli-token"
    env = {**os.environ, "TWILIO_ACCOUNT_SID": sid, "TWILIO_AUTH_TOKEN": token, "PYTHONUNBUFFERED": "1",
           "CONFORMANCE_CONFIGURATION_ID": "conv_configuration_cli"}  # fmt: skip
    for name in ("TWILIO_API_KEY", "TWILIO_API_SECRET"):
        env.pop(name, None)
    command = [sys.executable, "-m", "conformance.cli", "emulator", "--port", "0", "--db", str(tmp_path / "cli.db")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("Press Ctrl+C"):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[0]).group(0)  # type: ignore[union-attr]
        assert "conv_configuration_cli" in "".join(lines) and token not in "".join(lines)
        body = full_request(configurationId="conv_configuration_cli")
        assert httpx.post(url + CREATE, json=body, auth=(sid, token)).status_code == 201
        assert httpx.post(url + CREATE, json=body, auth=(sid, "emulator_auth_token")).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
