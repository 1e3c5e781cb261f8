"""Auth server routes for sessions: confirmation codes, status, sign-out."""

from __future__ import annotations

import re

from aiohttp import web

from fxstack.fxa import errors, totp
from fxstack.fxa.server import FxaServer, fxa_route, ok, require_str

CODE = re.compile(r"^\d{6}$")


def add_routes(router: web.UrlDispatcher, server: FxaServer) -> None:
    state = server.state

    @fxa_route
    async def status(request: web.Request) -> web.Response:
        session, _ = await server.session_from(request)
        return ok(
            {
                "state": "verified" if session.verified else "unverified",
                "uid": session.uid,
                "details": {"sessionVerified": session.verified, "accountEmailVerified": True},
            }
        )

    @fxa_route
    async def destroy(request: web.Request) -> web.Response:
        session, _ = await server.session_from(request)
        state.destroy_session(session.token_id)
        return ok()

    @fxa_route
    async def verify_code(request: web.Request) -> web.Response:
        session, body = await server.session_from(request)
        code = require_str(body, "code")
        if session.verified:
            return ok()
        if session.verification_method == "totp-2fa" or not server.email_code_matches(
            session, code
        ):
            raise errors.invalid_code()
        session.verified, session.verification_method = True, None
        return ok()

    @fxa_route
    async def resend_code(request: web.Request) -> web.Response:
        session, _ = await server.session_from(request)
        account = server.account_of(session.uid)
        # As on the real server: nothing is sent for accounts with two-step authentication.
        if not session.verified and account.verification != "totp":
            server.send_sign_in_code(account, session)
        return ok()

    @fxa_route
    async def verify_totp(request: web.Request) -> web.Response:
        session, body = await server.session_from(request)
        code = require_str(body, "code")
        account = server.account_of(session.uid)
        if account.totp_secret is None:
            raise errors.FxaHttpError(400, 155, "TOTP token not found for user")
        if not CODE.match(code) or not totp.accepts(account.totp_secret, code, state.now()):
            return ok({"success": False})
        session.verified, session.verification_method = True, None
        return ok({"success": True})

    router.add_get("/v1/session/status", status)
    router.add_post("/v1/session/destroy", destroy)
    router.add_post("/v1/session/verify_code", verify_code)
    router.add_post("/v1/session/resend_code", resend_code)
    router.add_post("/v1/session/verify/totp", verify_totp)
