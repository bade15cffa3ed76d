"""``create_app(settings, role)``: the one FastAPI app factory behind every service role.

Every role gets the same frame, and only its own routes:

=============  ==========================================  =====================================
role           operator routes (API key)                   Pub/Sub push (OIDC) topics
=============  ==========================================  =====================================
scrapers       ``POST /v1/ops/scrape``                     ``run-<step>`` of its schedule steps
processors     ``POST /v1/ops/ingest``, ``/v1/ops/build``  (``pipeline.schedule``: role column),
coordinator    ``POST /v1/ops/predict``, ``/v1/ops/grade`` handled by ``DayRunner.handle``
worker         none                                        (``services/day_handlers.py``)
api            the read API ``GET /v1/...`` (read_api)     its schedule steps (``run-publish``)
=============  ==========================================  =====================================

The frame: ``GET /health`` is the only open route; ``/openapi.json`` and everything else needs a
credential (dependencies on whole routers, so a new route cannot forget it). Request bodies are
read only after the caller is authenticated, capped at ``api_max_body_bytes`` (413), and
validated by pydantic (422 naming the field, never echoing the input). Every answer carries an
``X-Request-ID``; every request is one structured ``http.request`` event bound to that id. Every
error is RFC 9457 problem details (``application/problem+json``) with a title, the status and the
request id: no traceback, exception text, SQL or path ever reaches a body (the logs have them,
redacted).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from nbaprops.errors import NbaPropsError, TransientError
from nbaprops.pipeline.bus import DeadLetter, Handler
from nbaprops.services.auth import API_KEY_HEADER, ApiKeys, AuthFailure, OidcVerifier, ReplayGuard
from nbaprops.services.read_models import Health, HealthDetail, Problem
from nbaprops.services.steps import REQUESTS, ROLE_STEPS, ROLES, Role, StepName, StepResult, run_step

if TYPE_CHECKING:
    from nbaprops.services.read_source import ReadSource
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="Operator/read API key.")
_bearer_scheme = HTTPBearer(auto_error=False, description="Google-signed OIDC token (Pub/Sub push).")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ProblemError(Exception):
    """An error answer: status, a fixed title, an optional public detail and extra headers."""

    def __init__(
        self, status: int, title: str, detail: str | None = None, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})


def problem_response(
    request: Request | None,
    status: int,
    title: str,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An RFC 9457 problem-details answer carrying the request id."""
    request_id = None if request is None else request.scope.get("state", {}).get("request_id")
    body = Problem(title=title, status=status, detail=detail, request_id=request_id, **extra)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text}
    for code, text in {
        401: "Missing or invalid credentials.",
        403: "Authenticated, but not as a caller allowed here.",
        413: "Request body too large.",
        422: "The request failed validation.",
        503: "A dependency is unavailable; retry later.",
    }.items()
}


# --- the ASGI frame: request id, access log, body cap ------------------------------------------


class RequestFrame:
    """Pure ASGI middleware: request id, one ``http.request`` event per request, body size cap."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, role: str) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.role = role

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500}
        body_state = {"complete": False}
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            declared = _header(scope, b"content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
                await _drain(receive)
                await self._too_large(scope, send, request_id, status)
                return
            await self.app(scope, self._capped(receive, body_state), self._tagging(send, request_id, status))
        except _BodyTooLarge:
            if not body_state["complete"]:
                await _drain(receive)
            await self._too_large(scope, send, request_id, status)
        finally:
            log.info(
                "http.request",
                role=self.role,
                method=scope.get("method"),
                path=scope.get("path"),
                status=status["code"],
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")

    def _capped(self, receive: Receive, body_state: dict[str, bool]) -> Receive:
        seen = 0

        async def capped() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                body_state["complete"] = not message.get("more_body", False)
                if seen > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        return capped

    @staticmethod
    def _tagging(send: Send, request_id: str, status: dict[str, int]) -> Send:
        async def tagged(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        return tagged

    async def _too_large(self, scope: Scope, send: Send, request_id: str, status: dict[str, int]) -> None:
        status["code"] = 413
        body = Problem(
            title="Request body too large",
            status=413,
            detail=f"at most {self.max_body_bytes} bytes",
            request_id=request_id,
        ).model_dump_json(exclude_none=True)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


_DRAIN_LIMIT = 1024 * 1024


async def _drain(receive: Receive) -> None:
    """Read and drop what is left of a refused body (up to 1 MiB), so the client reads the 413.

    Closing a connection with unread bytes makes the kernel reset it, and the client would see
    "connection reset" instead of the answer.
    """
    dropped = 0
    while dropped <= _DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        dropped += len(message.get("body", b""))


class _BodyTooLarge(Exception):
    """The body passed the cap while it was being received."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


# --- credentials ------------------------------------------------------------------------------


def _api_key_dependency(keys: ApiKeys) -> Callable[..., Awaitable[None]]:
    # async: a digest and a compare, no I/O; a plain def would cost a thread hop per request.
    async def require_api_key(
        request: Request, presented: Annotated[str | None, Depends(_api_key_scheme)] = None
    ) -> None:
        keys.check(presented)

    return require_api_key


def _push_dependency(verifier: OidcVerifier) -> Callable[..., Any]:
    def require_push_token(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)] = None,
    ) -> Any:
        # The raw header, not HTTPBearer's parse: a wrong scheme must be told apart from none.
        return verifier.verify(request.headers.get("authorization"))

    return require_push_token


async def read_json_body(request: Request, model: type[BaseModel]) -> Any:
    """The request body validated by ``model`` (read after authentication); 422 names the fields."""
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False, include_url=False)) from None


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


# --- routers ----------------------------------------------------------------------------------


def _ops_router(settings: Settings, role: Role) -> APIRouter:
    router = APIRouter(prefix="/v1/ops", tags=["operations"])
    for step in ROLE_STEPS[role]:
        router.add_api_route(
            f"/{step}",
            _step_endpoint(settings, step),
            methods=["POST"],
            response_model=StepResult,
            responses=PROBLEM_RESPONSES,
            summary=f"Run the {step} step",
            openapi_extra=_body_schema(REQUESTS[step]),
            name=f"ops_{step}",
        )
    return router


def _step_endpoint(settings: Settings, step: StepName) -> Callable[[Request], Awaitable[StepResult]]:
    model = REQUESTS[step]

    async def endpoint(request: Request) -> StepResult:
        body = await read_json_body(request, model)
        return await run_in_threadpool(run_step, settings, step, body)

    endpoint.__doc__ = f"Run the library's {step} step for the request's date(s); ledgered like the CLI."
    return endpoint


class DeadLettered(BaseModel):
    """A push message that was acked without being processed (recorded as a dead letter)."""

    status: str
    message_id: str


def _push_router(
    handlers: Mapping[str, Sequence[Handler]],
    replay: ReplayGuard,
    on_dead_letter: Callable[[DeadLetter], None] | None,
    settings: Settings,
) -> APIRouter:
    from nbaprops.pipeline.push import PushEnvelope, dispatch_push

    router = APIRouter(tags=["pubsub"])
    attempts = _delivery_attempts(settings)

    @router.post(
        "/pubsub/push",
        status_code=204,
        responses={200: {"model": DeadLettered}, 409: {"model": Problem}, **PROBLEM_RESPONSES},
        openapi_extra=_body_schema(PushEnvelope),
        summary="Pub/Sub push delivery",
    )
    async def push(request: Request) -> Response:
        """Decode a push envelope and hand it to the topic's handlers (2xx acks, 5xx redelivers)."""
        envelope = await read_json_body(request, PushEnvelope)
        message_id, subscription = envelope.message.message_id, envelope.subscription
        # The guard's store is files or Firestore: blocking calls, off the event loop.
        await run_in_threadpool(replay.claim, subscription, message_id)
        try:
            outcome = await run_in_threadpool(
                partial(
                    dispatch_push,
                    envelope,
                    handlers,
                    on_dead_letter=on_dead_letter,
                    max_attempts=attempts,
                    prefix=settings.pubsub_prefix,
                )
            )
        except BaseException:
            await run_in_threadpool(replay.release, subscription, message_id)
            raise
        if outcome.status == "retry":
            await run_in_threadpool(replay.release, subscription, message_id)
            raise ProblemError(503, "Delivery failed; redeliver later", headers={"Retry-After": "10"})
        replay.settle(subscription, message_id)
        if outcome.status == "dead_letter":
            return JSONResponse({"status": "dead_lettered", "message_id": message_id}, status_code=200)
        return Response(status_code=204)

    return router


def _delivery_attempts(settings: Settings) -> dict[str, int]:
    """Each schedule topic's ``maxDeliveryAttempts`` as ``nbaprops schedule export`` sets it."""
    from nbaprops.pipeline.schedule import SCHEDULE

    base = settings.bus_max_attempts
    return {step.topic: max(base, base * (step.retries + 1)) for step in SCHEDULE}


def _alert_dead_letter(settings: Settings) -> Callable[[DeadLetter], None]:
    def record(letter: DeadLetter) -> None:
        from nbaprops.ops.alerts import Alerter
        from nbaprops.warehouse import create_schema, open_warehouse

        warehouse = open_warehouse(settings)
        try:
            create_schema(warehouse)
            Alerter(warehouse).raise_alert(
                "bus.dead_letter",
                f"push message {letter.message_id} on {letter.topic} dead-lettered after "
                f"{letter.attempts} attempt(s): {letter.error}",
                severity="error",
                topic=letter.topic,
                message_id=letter.message_id,
                attempts=letter.attempts,
            )
        finally:
            warehouse.close()

    return record


# --- the factory ------------------------------------------------------------------------------


def create_app(
    settings: Settings,
    role: Role,
    *,
    handlers: Mapping[str, Sequence[Handler]] | None = None,
    read_source: ReadSource | None = None,
    on_dead_letter: Callable[[DeadLetter], None] | None = None,
    verifier: OidcVerifier | None = None,
    replay: ReplayGuard | None = None,
) -> FastAPI:
    """The app of one role. ``handlers``/``read_source``/``on_dead_letter``/``replay`` (on the
    settings' lock store) default from the settings."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    api_key = _api_key_dependency(ApiKeys.from_settings(settings))
    closers: list[Callable[[], None]] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for close in closers:
                await run_in_threadpool(close)

    app = FastAPI(
        lifespan=lifespan,
        title=f"nbaprops {role}",
        version="1",
        description="nbaprops service: every route but /health needs the X-API-Key header "
        "(or, on /pubsub/push, a Google-signed OIDC bearer token). Errors are RFC 9457 problem details.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.role = role

    @app.get("/health", response_model=Health, tags=["health"], summary="Liveness")
    async def health() -> Health:
        """The process answers (no credential; no dependency is touched)."""
        return Health(status="ok", role=role)

    detail = APIRouter(dependencies=[Depends(api_key)], tags=["health"])

    @detail.get("/health/detail", response_model=HealthDetail, summary="Health per source and phase")
    async def health_detail() -> HealthDetail:
        """``nbaprops health``: ok / degraded / failing per source, phase and check, with the reason
        and the last success; the answer is 200 whatever the verdict (the verdict is the body)."""
        return await run_in_threadpool(_health_detail, settings)

    app.include_router(detail)
    docs = APIRouter(dependencies=[Depends(api_key)], tags=["docs"])

    @docs.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(problem_openapi(app))

    app.include_router(docs)
    if ROLE_STEPS[role]:
        app.include_router(_ops_router(settings, role), dependencies=[Depends(api_key)])
    if role == "api":
        from nbaprops.lake import open_lake
        from nbaprops.services.read_api import published_router, read_router
        from nbaprops.services.read_source import WarehouseReadSource

        source = read_source or WarehouseReadSource(settings)
        app.include_router(read_router(source, settings), dependencies=[Depends(api_key)])
        app.include_router(published_router(open_lake(settings), settings), dependencies=[Depends(api_key)])
    # Every role answers pushes: the schedule gives each its steps (the api role: publish).
    from nbaprops.pipeline.locks import open_lock_store

    verifier = verifier or OidcVerifier.from_settings(settings)
    if handlers is None:
        from nbaprops.services.day_handlers import role_handlers

        handlers, day = role_handlers(settings, role)
        closers.append(day.close)
    app.include_router(
        _push_router(
            handlers,
            replay or ReplayGuard(open_lock_store(settings), settings.push_replay_window_s),
            on_dead_letter or _alert_dead_letter(settings),
            settings,
        ),
        dependencies=[Depends(_push_dependency(verifier))],
    )
    _install_error_handlers(app)
    app.add_middleware(RequestFrame, max_body_bytes=settings.api_max_body_bytes, role=role)
    return app


def _health_detail(settings: Settings) -> HealthDetail:
    from nbaprops.ops.health import health_report
    from nbaprops.warehouse import create_schema, open_warehouse

    warehouse = open_warehouse(settings)
    try:
        create_schema(warehouse)  # a new service's warehouse may not hold the tables yet
        report = health_report(warehouse, settings)
    finally:
        warehouse.close()
    return HealthDetail.model_validate(report.to_dict())


def problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with every error answer as ``application/problem+json``.

    FastAPI documents error models as ``application/json`` and its own 422 shape; the answers
    are problem details, so the document says so (clients and schemathesis check it).
    """
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = app.openapi()
    problem = {"$ref": "#/components/schemas/Problem"}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                if code.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem}}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problem", Problem.model_json_schema())
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = document
    return document


def _install_error_handlers(app: FastAPI) -> None:
    async def auth_failure(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthFailure)  # noqa: S101 - registered for this type only
        log.warning("auth.rejected", reason=exc.reason, path=request.url.path)
        headers = {}
        if exc.status == 401:
            bearer = request.url.path.startswith("/pubsub/")
            headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if bearer else "ApiKey"
        if exc.status == 503:
            headers["Retry-After"] = "10"
        titles = {401: "Unauthorized", 403: "Forbidden", 409: "Replayed message", 503: "Unavailable"}
        return problem_response(
            request, exc.status, titles.get(exc.status, "Refused"), headers=headers, reason=exc.reason
        )

    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)  # noqa: S101 - registered for this type only
        return problem_response(request, exc.status, exc.title, exc.detail, headers=exc.headers)

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type")),
            }
            for e in exc.errors()
        ]
        return problem_response(request, 422, "Invalid request", errors=errors)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
        titles = {404: "Not found", 405: "Method not allowed"}
        return problem_response(
            request,
            exc.status_code,
            titles.get(exc.status_code, "Request refused"),
            headers=exc.headers,
        )

    async def step_failure(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NbaPropsError)  # noqa: S101 - registered for this type only
        kind = type(exc).__name__
        if isinstance(exc, TransientError):
            log.warning("service.transient_failure", error_type=kind, error=str(exc))
            return problem_response(
                request, 503, "Temporarily unavailable", f"{kind}; retry later", headers={"Retry-After": "30"}
            )
        log.error("service.step_failed", error_type=kind, error=str(exc))
        return problem_response(
            request, 422, "Step failed", f"{kind}: the run ledger and the logs have the reason"
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("service.unexpected_error", error_type=type(exc).__name__, exc_info=exc)
        return problem_response(request, 500, "Internal error", "the logs have the request id")

    app.add_exception_handler(AuthFailure, auth_failure)
    app.add_exception_handler(ProblemError, problem)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(NbaPropsError, step_failure)
    app.add_exception_handler(Exception, unexpected)
