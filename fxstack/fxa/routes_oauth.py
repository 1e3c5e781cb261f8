"""OAuth routes, served both by the auth server (``/v1/oauth/…``) and the legacy OAuth
host (``/oauth/v1/…``): token grants, revocation and verification."""

from __future__ import annotations

from aiohttp import web

from fxstack.fxa import errors
from fxstack.fxa.server import HEX64, FxaServer, fxa_route, ok, require_str
from fxstack.fxa.state import CLIENT_IDS, OLDSYNC

MAX_TTL = 24 * 3600
DEFAULT_TTL = 3600


def _allowed(scope: str) -> bool:
    return scope in (OLDSYNC, "profile") or scope.startswith("profile:")


def add_routes(router: web.UrlDispatcher, server: FxaServer) -> None:
    state = server.state

    def client_and_scope(body: dict[str, object]) -> tuple[str, tuple[str, ...], int]:
        client_id = require_str(body, "client_id")
        if client_id not in CLIENT_IDS:
            raise errors.unknown_client(client_id)
        scope = tuple(require_str(body, "scope").split())
        for requested in scope:
            if not _allowed(requested):
                raise errors.scope_not_allowed(requested)
        ttl = body.get("ttl", DEFAULT_TTL)
        if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0:
            raise errors.invalid_parameter("ttl")
        return client_id, scope, min(ttl, MAX_TTL)

    async def fxa_credentials(request: web.Request) -> web.Response:
        session, body = await server.session_from(request)
        if not session.verified:
            raise errors.unverified_session_for_oauth()
        client_id, scope, ttl = client_and_scope(body)
        answer: dict[str, object] = {
            "token_type": "bearer",
            "scope": " ".join(scope),
            "expires_in": ttl,
            "auth_at": int(session.created_at),
        }
        refresh_hash = None
        if body.get("access_type") == "offline":
            refresh = state.issue_refresh_token(session.uid, client_id, scope, session.token_id)
            refresh_hash = state.find_refresh_token(refresh).token_hash  # type: ignore[union-attr]
            answer["refresh_token"] = refresh
        answer["access_token"] = state.issue_access_token(
            session.uid, client_id, scope, ttl, refresh_hash
        )
        return ok(answer)

    async def refresh_grant(request: web.Request) -> web.Response:
        body = await server.json_body(request)
        client_id, scope, ttl = client_and_scope(body)
        token = require_str(body, "refresh_token", pattern=HEX64)
        refresh = state.find_refresh_token(token)
        if refresh is None or refresh.uid not in state.accounts:
            raise errors.invalid_token()
        if refresh.client_id != client_id:
            raise errors.unknown_client(client_id)
        if not set(scope) <= set(refresh.scope):
            raise errors.scope_not_allowed(" ".join(sorted(set(scope) - set(refresh.scope))))
        refresh.last_used = state.now()
        access = state.issue_access_token(refresh.uid, client_id, scope, ttl, refresh.token_hash)
        return ok(
            {
                "access_token": access,
                "token_type": "bearer",
                "scope": " ".join(scope),
                "expires_in": ttl,
            }
        )

    @fxa_route
    async def token(request: web.Request) -> web.Response:
        body = await server.json_body(request)
        grant = body.get("grant_type")
        if grant == "fxa-credentials":
            return await fxa_credentials(request)
        if grant == "refresh_token":
            return await refresh_grant(request)
        if grant == "authorization_code" and server.code_grant is not None:
            return ok(server.code_grant(body))
        raise errors.invalid_parameter("grant_type")

    @fxa_route
    async def destroy(request: web.Request) -> web.Response:
        body = await server.json_body(request)
        for name in ("token", "refresh_token", "access_token"):
            value = body.get(name)
            if value is not None:
                if not isinstance(value, str):
                    raise errors.invalid_parameter(name)
                state.destroy_token(value)
                return ok()
        raise errors.missing_parameter("token")

    @fxa_route
    async def verify(request: web.Request) -> web.Response:
        body = await server.json_body(request)
        access = state.find_access_token(require_str(body, "token"))
        if access is None:
            raise errors.FxaHttpError(400, 108, "Invalid token")
        account = state.accounts[access.uid]
        return ok(
            {
                "user": access.uid,
                "client_id": access.client_id,
                "scope": list(access.scope),
                "generation": account.generation,
                "profile_changed_at": account.generation,
            }
        )

    for prefix in ("/v1/oauth", "/oauth/v1"):
        router.add_post(f"{prefix}/token", token)
        router.add_post(f"{prefix}/destroy", destroy)
        router.add_post(f"{prefix}/verify", verify)
