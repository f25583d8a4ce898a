"""HTTP routes of the fake identity server (see ``emulation.fakes.identity`` for the contract)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from emulation.fakes.identity import IdentityServer

M = TypeVar("M", bound=BaseModel)
BASE = "/identityapi"
CONTROL = "/_fake/identity"


def parse_form(body: bytes) -> dict[str, str]:
    """``application/x-www-form-urlencoded`` body → dict (last value wins)."""
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def _unavailable() -> Response:
    return JSONResponse({"status": 503, "title": "Service Unavailable"}, status_code=503)


def discovery_document(server: IdentityServer) -> dict[str, Any]:
    base = server.issuer
    return {
        "issuer": base,
        "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
        "authorization_endpoint": f"{base}/connect/authorize",
        "token_endpoint": f"{base}/connect/token",
        "userinfo_endpoint": f"{base}/connect/userinfo",
        "end_session_endpoint": f"{base}/connect/endsession",
        "check_session_iframe": f"{base}/connect/checksession",
        "revocation_endpoint": f"{base}/connect/revocation",
        "introspection_endpoint": f"{base}/connect/introspect",
        "device_authorization_endpoint": f"{base}/connect/deviceauthorization",
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "scopes_supported": [*server.scopes, "offline_access"],
        "claims_supported": ["sub", "name", "email", "email_verified", "golferId", "acct"],
        "grant_types_supported": [
            "authorization_code", "client_credentials", "refresh_token", "implicit", "password",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "response_types_supported": [
            "code", "token", "id_token", "id_token token", "code id_token", "code token", "code id_token token",
        ],
        "response_modes_supported": ["form_post", "query", "fragment"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "request_parameter_supported": True,
    }


def public_routes(server: IdentityServer) -> list[Route]:
    async def token(request: Request) -> Response:
        if server.down:
            return _unavailable()
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return oauth_error("invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        form = parse_form(await request.body())
        grant_type = form.get("grant_type", "")
        if not grant_type:
            return oauth_error("invalid_request", "grant_type is missing")
        for client_id in (form.get("client_id"), request.headers.get("client-id")):
            if client_id and client_id != server.client_id:
                return oauth_error("invalid_client", f"unknown client {client_id!r}")
        if grant_type != "password":
            return oauth_error("unsupported_grant_type", f"grant type {grant_type!r} is not supported")
        user = server.users.get(form.get("username", "").lower())
        if user is None or not form.get("password") or user.password != form["password"]:
            return oauth_error("invalid_grant", "invalid_username_or_password")
        requested = form.get("scope", "").split()
        unknown = [s for s in requested if s not in server.scopes]
        if unknown:
            return oauth_error("invalid_scope", f"invalid scope: {' '.join(unknown)}")
        scope = requested or list(server.scopes)
        access_token = server.issue_token(user.username, scope)
        return JSONResponse(
            {
                "access_token": access_token,
                "expires_in": int(server.token_lifetime.total_seconds()),
                "token_type": "Bearer",
                "scope": " ".join(scope),
            },
            headers={"Cache-Control": "no-store, no-cache, max-age=0", "Pragma": "no-cache"},
        )

    async def openid_configuration(_: Request) -> Response:
        return _unavailable() if server.down else JSONResponse(discovery_document(server))

    async def jwks(_: Request) -> Response:
        return _unavailable() if server.down else JSONResponse(server.jwks())

    return [
        Route(f"{BASE}/connect/token", token, methods=["POST"]),
        Route(f"{BASE}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
        Route(f"{BASE}/.well-known/openid-configuration/jwks", jwks, methods=["GET"]),
    ]


class _RotateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keep_previous: bool = False


class _DefectsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    defects: list[str]
    count: int | None = Field(default=None, ge=1)


class _MintBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    scope: str | None = None


async def _body(request: Request, model: type[M]) -> M | Response:
    """Validate a JSON control body; a ``Response`` (400) is returned on bad input."""
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        return JSONResponse({"error": "invalid body", "details": exc.errors(include_url=False)}, status_code=400)


def control_routes(server: IdentityServer) -> list[Route]:
    async def state(_: Request) -> Response:
        return JSONResponse(server.state())

    async def rotate(request: Request) -> Response:
        body = await _body(request, _RotateBody)
        if isinstance(body, Response):
            return body
        server.rotate_keys(keep_previous=body.keep_previous)
        return JSONResponse(server.state())

    async def defects(request: Request) -> Response:
        if request.method == "DELETE":
            server.set_defects([])
            return JSONResponse(server.state())
        body = await _body(request, _DefectsBody)
        if isinstance(body, Response):
            return body
        try:
            server.set_defects(body.defects, body.count)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(server.state())

    async def down(request: Request) -> Response:
        server.down = request.method == "POST"
        return JSONResponse(server.state())

    async def mint(request: Request) -> Response:
        body = await _body(request, _MintBody)
        if isinstance(body, Response):
            return body
        if body.username.lower() not in server.users:
            return JSONResponse({"error": f"unknown user {body.username!r}"}, status_code=404)
        scope = body.scope.split() if body.scope else None
        token = server.issue_token(body.username, scope)
        return JSONResponse({"access_token": token, "token_type": "Bearer",
                             "expires_in": int(server.token_lifetime.total_seconds())})

    return [
        Route(f"{CONTROL}/state", state, methods=["GET"]),
        Route(f"{CONTROL}/rotate-keys", rotate, methods=["POST"]),
        Route(f"{CONTROL}/token-defects", defects, methods=["POST", "DELETE"]),
        Route(f"{CONTROL}/down", down, methods=["POST", "DELETE"]),
        Route(f"{CONTROL}/tokens", mint, methods=["POST"]),
    ]
