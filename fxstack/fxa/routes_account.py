"""Auth server routes for signing in: login, unblock codes, keys, account status."""

from __future__ import annotations

import re
import secrets

from aiohttp import web

from fxstack.fxa import crypto, errors
from fxstack.fxa.server import HEX64, FxaServer, fxa_route, ok, require_str
from fxstack.fxa.state import CLIENT_IDS, OLDSYNC, StackAccount

UNBLOCK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
UID = re.compile(r"^[0-9a-f]{32}$")


def add_routes(router: web.UrlDispatcher, server: FxaServer) -> None:
    state = server.state

    def check_throttle(account: StackAccount) -> None:
        remaining = int(account.throttled_until - state.now())
        if remaining > 0:
            raise errors.throttled(remaining)

    def check_password(account: StackAccount, email: str, auth_pw: str) -> int:
        """The stretch version whose verifier ``auth_pw`` matches; raise when none does."""
        given = bytes.fromhex(auth_pw)
        if crypto.password_matches(given, account.auth_salt, account.verify_hash):
            account.failed_logins = 0
            return 1
        if account.verify_hash_v2 is not None and crypto.password_matches(
            given, account.auth_salt, account.verify_hash_v2
        ):
            account.failed_logins = 0
            return 2
        if email != account.email:
            # authPW was stretched with another spelling: tell the client which one.
            raise errors.incorrect_email_case(account.email)
        account.failed_logins += 1
        if account.failed_logins >= state.max_bad_passwords:
            account.failed_logins = 0
            account.throttled_until = state.now() + state.throttle_seconds
        raise errors.incorrect_password(account.email)

    def check_unblock(account: StackAccount, body: dict[str, object]) -> bool:
        """True when this login used a valid unblock code; raise 125/127 while blocked."""
        if not account.blocked:
            return False
        code = body.get("unblockCode")
        if code is None:
            raise errors.request_blocked()
        if (
            not isinstance(code, str)
            or account.unblock_code is None
            or not secrets.compare_digest(code.upper(), account.unblock_code)
        ):
            raise errors.invalid_unblock_code()
        return True

    @fxa_route
    async def login(request: web.Request) -> web.Response:
        body = await server.json_body(request)
        email = require_str(body, "email")
        auth_pw = require_str(body, "authPW", pattern=HEX64)
        for optional in ("reason", "service", "verificationMethod", "originalLoginEmail"):
            if optional in body and not isinstance(body[optional], str):
                raise errors.invalid_parameter(optional)
        account = state.account_by_email(email)
        if account is None:
            raise errors.unknown_account()
        check_throttle(account)
        unblocked = check_unblock(account, body)
        version = check_password(account, email, auth_pw)
        if unblocked:
            account.blocked, account.unblock_code = False, None
        if account.verification == "totp":
            method = "totp-2fa"
        elif body.get("verificationMethod") == "email-otp":
            method = "email-otp"
        else:
            method = "email"
        verified = account.verification == "none" or unblocked
        session_token, session = state.new_session(
            account,
            user_agent=request.headers.get("User-Agent", ""),
            verified=verified,
            verification_method=method,
        )
        answer: dict[str, object] = {
            "uid": account.uid,
            "sessionToken": session_token,
            "authAt": int(state.now()),
            "metricsEnabled": False,
            "verified": verified,
        }
        if request.query.get("keys") == "true":
            name = "keyFetchToken" if version == 1 else "keyFetchTokenVersion2"
            answer[name] = state.new_key_fetch_token(session, version)
        if not verified:
            answer["verificationMethod"] = method
            answer["verificationReason"] = "login"
            if method != "totp-2fa":
                server.send_sign_in_code(account, session)
        return ok(answer)

    @fxa_route
    async def credentials_status(request: web.Request) -> web.Response:
        body = await server.json_body(request)
        account = state.account_by_email(require_str(body, "email"))
        if account is None:
            raise errors.unknown_account()
        if account.client_salt is None:
            return ok({"upgradeNeeded": True, "currentVersion": "v1"})
        return ok(
            {"upgradeNeeded": False, "currentVersion": "v2", "clientSalt": account.client_salt}
        )

    @fxa_route
    async def send_unblock_code(request: web.Request) -> web.Response:
        body = await server.json_body(request)
        account = state.account_by_email(require_str(body, "email"))
        if account is None:
            raise errors.unknown_account()
        check_throttle(account)
        code = "".join(secrets.choice(UNBLOCK_ALPHABET) for _ in range(8))
        account.unblock_code = code
        state.send_email(account.email, "Your unblock code", code)
        return ok()

    @fxa_route
    async def keys(request: web.Request) -> web.Response:
        token = await server.key_fetch_token_from(request)
        session = state.sessions.get(token.session_id)
        if session is None:
            raise errors.invalid_token()
        if not session.verified:
            raise errors.unverified_session()  # the token stays usable
        del state.key_fetch_tokens[token.token_id]
        account = server.account_of(token.uid)
        wrap_kb = account.wrap_kb if token.stretch_version == 1 else account.wrap_kb_v2
        assert wrap_kb is not None
        bundle = bytearray(crypto.key_bundle(token.key_request_key, account.ka, wrap_kb))
        if state.corrupt_key_bundles > 0:
            state.corrupt_key_bundles -= 1
            bundle[0] ^= 0x01
        return ok({"bundle": bundle.hex()})

    @fxa_route
    async def account_status_get(request: web.Request) -> web.Response:
        uid = request.query.get("uid")
        if uid is not None:
            if not UID.match(uid):
                raise errors.FxaHttpError(400, 107, "Invalid parameter in request query")
            return ok({"exists": uid in state.accounts})
        session, _ = await server.session_from(request)
        return ok({"exists": session.uid in state.accounts, "locale": "en-US"})

    @fxa_route
    async def account_status_post(request: web.Request) -> web.Response:
        body = await server.json_body(request)
        email = require_str(body, "email")
        return ok({"exists": state.account_by_email(email) is not None})

    @fxa_route
    async def recovery_email_status(request: web.Request) -> web.Response:
        session, _ = await server.session_from(request)
        account = server.account_of(session.uid)
        return ok(
            {
                "email": account.email,
                "verified": session.verified,
                "sessionVerified": session.verified,
                "emailVerified": True,
            }
        )

    @fxa_route
    async def scoped_key_data(request: web.Request) -> web.Response:
        session, body = await server.session_from(request, verified=True)
        client_id = require_str(body, "client_id")
        scope = require_str(body, "scope")
        if client_id not in CLIENT_IDS:
            raise errors.unknown_client(client_id)
        account = server.account_of(session.uid)
        answer = {}
        for requested in scope.split():
            if requested == OLDSYNC:
                answer[OLDSYNC] = {
                    "identifier": OLDSYNC,
                    "keyRotationSecret": account.key_rotation_secret.hex(),
                    "keyRotationTimestamp": account.key_rotation_timestamp,
                }
            elif requested != "profile" and not requested.startswith("profile:"):
                raise errors.scope_not_allowed(requested)
        return ok(answer)

    router.add_post("/v1/account/login", login)
    router.add_post("/v1/account/login/send_unblock_code", send_unblock_code)
    router.add_post("/v1/account/credentials/status", credentials_status)
    router.add_get("/v1/account/keys", keys)
    router.add_get("/v1/account/status", account_status_get)
    router.add_post("/v1/account/status", account_status_post)
    router.add_get("/v1/recovery_email/status", recovery_email_status)
    router.add_post("/v1/account/scoped-key-data", scoped_key_data)
