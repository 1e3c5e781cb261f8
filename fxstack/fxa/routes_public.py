"""The discovery document and the minimal profile server."""

from __future__ import annotations

from aiohttp import web

from fxstack.fxa import errors
from fxstack.fxa.server import FxaServer, fxa_route, ok


def origin_of(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def add_routes(router: web.UrlDispatcher, server: FxaServer) -> None:
    state = server.state

    async def client_configuration(request: web.Request) -> web.Response:
        origin = origin_of(request)
        response = ok(
            {
                "auth_server_base_url": origin,
                "oauth_server_base_url": f"{origin}/oauth",
                "pairing_server_base_uri": "ws://127.0.0.1:9",
                "profile_server_base_url": f"{origin}/profile",
                "sync_tokenserver_base_url": f"{origin}/token",
            }
        )
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @fxa_route
    async def profile(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        access = state.find_access_token(token)
        if access is None:
            raise errors.FxaHttpError(401, 110, "Unauthorized")
        if not any(s == "profile" or s.startswith("profile:") for s in access.scope):
            raise errors.FxaHttpError(403, 125, "Requested scopes are not allowed")
        account = state.accounts[access.uid]
        return ok(
            {
                "uid": account.uid,
                "email": account.email,
                "locale": "en-US",
                "amrValues": ["pwd", "otp"] if account.verification == "totp" else ["pwd"],
                "twoFactorAuthentication": account.verification == "totp",
                "displayName": None,
                "avatar": f"{origin_of(request)}/profile/v1/avatar/default.png",
                "avatarDefault": True,
                "subscriptions": [],
            }
        )

    router.add_get("/.well-known/fxa-client-configuration", client_configuration)
    router.add_get("/profile/v1/profile", profile)
