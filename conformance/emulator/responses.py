"""The HTTP layer: Starlette handlers that turn requests into backend calls and results into the wire format.

Every answer, including 404 for an unknown path, 405 and anything unexpected, is JSON with
the vendor error body; faults (see :mod:`conformance.emulator.faults`) act on the reply last.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from conformance.emulator.bodies import OFF_PROCESS_BYTES, BodyWorker
from conformance.emulator.exceptions import (
    AuthenticationFailed,
    EmulatorError,
    InternalError,
    InvalidContentType,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from conformance.emulator.faults import FAULTS, FaultError, FaultInjector, Inbound, Reply, Stage
from conformance.emulator.models import Admitted, Backend, Conversation, encode_json
from conformance.emulator.rules import parse_json, quote
from conformance.kinds import AuthMode, CredentialForm
from conformance.vendor import ACCOUNT_SID_PREFIX, IDEMPOTENCY_KEY_HEADER

MAX_IDEMPOTENCY_KEY = 255  # longer keys get 400 (an emulator assumption)
_JSON_CONTENT_TYPES = frozenset(
    {"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"}
)
_AUTH_CACHE_SIZE = 64


def render(reply: Reply) -> Response:
    """A reply on the wire: its JSON body (or raw bytes), status, headers and content type."""
    content = reply.raw if reply.raw is not None else (b"" if reply.body is None else encode_json(reply.body))
    return Response(content, reply.status, reply.headers, media_type=reply.content_type)


def is_json_content_type(value: str | None) -> bool:
    """``application/json``, optionally with ``charset=utf-8`` (any case, any spacing)."""
    if value is None:
        return False
    if value in _JSON_CONTENT_TYPES:
        return True
    media_type, *params = (part.strip().lower() for part in value.split(";"))
    if media_type != "application/json":
        return False
    for param in params:
        name, _, val = param.partition("=")
        if name.strip() == "charset" and val.strip().strip('"') not in ("utf-8", "utf8"):
            return False
    return True


def _decoded(header: str | None) -> tuple[str, str | None, str | None]:
    """An Authorization header's scheme (lower case), and its token read as base64 UTF-8 ``username:password``:
    the username (None when the token is not base64 UTF-8) and the password (None without a colon)."""
    scheme, _, token = (header or "").strip().partition(" ")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return scheme.lower(), None, None
    username, colon, password = decoded.partition(":")
    return scheme.lower(), username, password if colon else None


def _form_of(username: str) -> str:
    """A username's credential form: an Account SID (``AC...``) is the account form, anything else an API key."""
    return CredentialForm.ACCOUNT if username.upper().startswith(ACCOUNT_SID_PREFIX) else CredentialForm.API_KEY


def _username_form(header: str | None) -> str:
    """The credential form of a Basic header's username (an Account SID or an API key SID)."""
    _scheme, username, _password = _decoded(header)
    return "any" if username is None else _form_of(username)


def _headers(request: Request) -> dict[str, str]:
    """Request headers as a plain dict, built once (ASGI names are lower case; a repeated header's last value wins)."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in request.scope["headers"]}


def _inbound(request: Request) -> Inbound:
    """The request as the faults that echo it see it (built only while faults are on)."""
    scope = request.scope
    query = scope.get("query_string", b"").decode("latin-1")
    target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1") + (f"?{query}" if query else "")
    headers = tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
    return Inbound(scope["method"], target, headers)


def _success(status: int, conversation: Conversation, faults: FaultInjector) -> Reply:
    # Faults edit the body as data; without them the conversation's encoded JSON goes out as is.
    return Reply(status, conversation.to_wire()) if faults else Reply(status, raw=conversation.to_json())


class EmulatorResponses:
    """Request handlers for the vendor routes and the control API."""

    def __init__(self, backend: Backend, faults: FaultInjector, max_body_bytes: int) -> None:
        self.backend = backend
        self.faults = faults
        self.max_body_bytes = max_body_bytes
        self._auth_cache: dict[str, str] = {}
        self.body_worker = BodyWorker(backend.contract.directory)

    # --- vendor routes ---

    async def create_conversation(self, request: Request) -> Response:
        """``POST /v2/Conversations``."""
        faults = self.faults
        if faults:
            injected = await self._injected(faults, "create")
            if injected is not None:
                return render(faults.transform("create", injected, _inbound(request)))
        try:
            headers = _headers(request)
            late_auth = bool(faults) and bool(faults.first(Stage.AUTH_ORDER, "create"))
            account = "" if late_auth else self._account(headers, "create")
            if not late_auth:
                self.backend.check_rate(account)
            if not is_json_content_type(headers.get("content-type")) and not (
                faults and faults.first(Stage.CONTENT_TYPE, "create")
            ):
                raise InvalidContentType()
            raw = await self._body(request, headers)
            if not faults and len(raw) >= OFF_PROCESS_BYTES:
                conversation = await self._create_off_process(account, raw, headers)
                return render(_success(201, conversation, faults))
            body = parse_json(raw)
            if faults:
                faults.every(Stage.REQUEST, "create", self.backend, body)
            if late_auth:
                self.backend.validate(body)
                account = self._account(headers, "create")
            key = self._idempotency_key(headers)
            create: Callable[..., Conversation] = self.backend.create_conversation
            if faults and faults.first(Stage.CONFIGURATION, "create", self.backend, account, body):
                create = functools.partial(create, any_account_configuration=True)
            try:
                conversation = create(account, body, idempotency_key=key, raw=raw)
            except InvalidParameter:
                if faults and faults.first(Stage.INVALID, "create", self.backend, body):
                    conversation = self.backend.create_conversation(account, body, idempotency_key=key, lenient=True)
                else:
                    raise
            reply = _success(201, conversation, faults)
            if faults:
                faults.every(Stage.SUCCESS, "create", self.backend, account, reply)
        except EmulatorError as exc:
            reply = Reply.error(exc)
        if faults:
            reply = faults.transform("create", reply, _inbound(request))
        return render(reply)

    async def fetch_conversation(self, request: Request) -> Response:
        """``GET /v2/Conversations/{id}``."""
        faults = self.faults
        if faults:
            injected = await self._injected(faults, "fetch")
            if injected is not None:
                return render(faults.transform("fetch", injected, _inbound(request)))
        try:
            headers = _headers(request)
            account = self._account(headers, "fetch")
            self.backend.check_rate(account)
            wanted = request.path_params["id"]
            if faults:
                faults.first(Stage.FETCH_ID, "fetch", wanted)
            try:
                conversation = self.backend.fetch_conversation(account, wanted)
            except NotFound as missing:
                if not faults:
                    raise
                conversation = self._owned_elsewhere(faults, account, headers, wanted, missing)
            reply = _success(200, conversation, faults)
            if faults:
                faults.every(Stage.SUCCESS, "fetch", self.backend, account, reply)
        except EmulatorError as exc:
            reply = Reply.error(exc)
        if faults:
            reply = faults.transform("fetch", reply, _inbound(request))
        return render(reply)

    def _owned_elsewhere(self, faults: FaultInjector, account: str, headers: dict[str, str], conversation_id: str,
                            missing: NotFound) -> Conversation:  # fmt: skip
        """Another account's conversation, when a fault of that stage answers with it (or with an error of its
        own); ``missing`` (the faithful answer) otherwise."""
        found = self.backend.owned_elsewhere(account, conversation_id)
        if found is not None:
            form = _username_form(headers.get("authorization"))
            answer = faults.first(Stage.FETCH_ELSEWHERE, "fetch", found, conversation_id, form)
            if answer is not None:
                return answer
        raise missing

    async def _create_off_process(self, account: str, raw: bytes, headers: dict[str, str]) -> Conversation:
        """A big body's create: parsed and validated in the worker process, stored here; the 400s come in the
        same order as inline (JSON, then the ``Idempotency-Key`` length, then the contract)."""
        with_fingerprint = bool(headers.get(IDEMPOTENCY_KEY_HEADER.lower()))
        outcome, result = await self.body_worker.admit(raw, with_fingerprint=with_fingerprint)
        if outcome == "json":
            raise InvalidParameter(str(result))
        key = self._idempotency_key(headers)
        if not isinstance(result, Admitted):
            raise InvalidParameter(result)
        return self.backend.create_admitted(account, result, key)

    def close(self) -> None:
        """Stop the body worker process, if one was started."""
        self.body_worker.close()

    async def _injected(self, faults: FaultInjector, route: str) -> Reply | None:
        delay = faults.delay(route)
        if delay:
            await asyncio.sleep(delay)
        return faults.respond(route)

    def _account(self, headers: dict[str, str], route: str) -> str:
        header = headers.get("authorization")
        account = self._auth_cache.get(header) if header else None
        if account is None:
            account = self._authenticate(header)
            if account is None:
                let_in = self.faults and self.faults.first(Stage.AUTH_REFUSED, route, self.backend,
                                                           *self._auth_failure(header))  # fmt: skip
                if let_in:
                    return let_in
                raise AuthenticationFailed()
            if len(self._auth_cache) < _AUTH_CACHE_SIZE:
                self._auth_cache[header] = account  # type: ignore[index]
        return account

    def _authenticate(self, header: str | None) -> str | None:
        scheme, username, password = _decoded(header)
        if scheme != "basic" or username is None or password is None:
            return None
        return self.backend.authenticate(username, password)

    def _auth_failure(self, header: str | None) -> tuple[AuthMode, str]:
        """Why credentials failed (the credentials mode that sends such a header) and the username's form."""
        if not header:
            return AuthMode.NONE, "any"
        scheme, username, password = _decoded(header)
        if username is None or password is None:
            return AuthMode.MALFORMED, "any"
        if scheme == "bearer" and self.backend.authenticate(username, password):
            return AuthMode.BEARER_CREDENTIALS, _form_of(username)
        if scheme != "basic":
            return AuthMode.MALFORMED, "any"
        return self.backend.login_failure(username, password), _form_of(username)

    def _idempotency_key(self, headers: dict[str, str]) -> str | None:
        key = headers.get(IDEMPOTENCY_KEY_HEADER.lower())
        if not key:
            return None
        if len(key) > MAX_IDEMPOTENCY_KEY:
            raise InvalidParameter(
                f"Invalid parameter {IDEMPOTENCY_KEY_HEADER}: at most {MAX_IDEMPOTENCY_KEY} characters"
            )
        return key

    async def _body(self, request: Request, headers: dict[str, str]) -> bytes:
        """The request body, or 413 as soon as it is known to be too large (before reading, when declared)."""
        limit = self.max_body_bytes
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(f"Request body larger than {limit} bytes")
        chunks, size = [], 0
        while True:
            message = await request.receive()
            if message["type"] != "http.request":
                raise InvalidParameter("Client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Request body larger than {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    # --- control API (no auth: a loopback tool) ---

    async def health(self, request: Request) -> Response:
        body = {
            "status": "ok",
            "conversations": self.backend.count_conversations(),
            "faults": len(self.faults.active()),
        }
        return render(Reply(200, body))

    async def reset(self, request: Request) -> Response:
        self.backend.reset()
        self.faults.clear()
        return render(Reply(200, {"status": "reset"}))

    async def configurations(self, request: Request) -> Response:
        return render(Reply(200, {"configurations": [c.to_wire() for c in self.backend.configurations()]}))

    async def list_faults(self, request: Request) -> Response:
        available = {name: spec.describe() for name, spec in FAULTS.items()}
        return render(Reply(200, {"active": self.faults.active(), "available": available}))

    async def add_fault(self, request: Request) -> Response:
        try:
            body = parse_json(await self._body(request, _headers(request)))
            if not isinstance(body, dict) or not isinstance(body.get("fault"), str):
                raise InvalidParameter('Expected a JSON object like {"fault": "status_500", "count": 1}')
            params = {k: v for k, v in body.items() if k not in ("fault", "count", "route")}
            try:
                active = self.faults.inject(body["fault"], body.get("count"), body.get("route", "any"), **params)
            except FaultError as exc:
                raise InvalidParameter(str(exc)) from None
            reply = Reply(201, active.to_json())
        except EmulatorError as exc:
            reply = Reply.error(exc)
        return render(reply)

    async def clear_faults(self, request: Request) -> Response:
        return render(Reply(200, {"cleared": self.faults.clear()}))

    # --- everything else ---

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """Starlette's own 404 (no route) and 405 (route, wrong method) in the vendor's error body."""
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        path = request.url.path
        if status == 405:
            allowed = (exc.headers or {}).get("Allow", "") if isinstance(exc, HTTPException) else ""
            error: EmulatorError = MethodNotAllowed(allowed, f"Method {request.method} is not allowed on {path}")
        elif status == 404:
            error = NotFound(f"The requested resource {quote(path)} was not found")
        elif 400 <= status < 500:
            error = InvalidParameter(str(getattr(exc, "detail", "")) or "Bad request")
        else:
            error = InternalError()
        return render(Reply.error(error))

    async def server_error(self, request: Request, exc: Exception) -> Response:
        """Last resort: a bug still answers with the vendor error body."""
        return render(Reply.error(InternalError()))
