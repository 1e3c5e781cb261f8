"""A double of the account server's sign-in page and its OAuth authorization step.

Firefox signs in by opening the account server's page with
``context=oauth_webchannel_v1``; the page talks to the browser over a WebChannel and ends
with an OAuth code whose token response carries the sync key encrypted to the browser's
one-time key (``keys_jwe``). This double serves such a page at ``/`` and
``/authorization`` on the stack's origin, with the same messages in the same order as the
real page, and implements the ``authorization_code`` grant (PKCE S256, single-use codes,
expiry) that ``/v1/oauth/token`` redeems.

The real page derives kB in the browser and builds ``keys_jwe`` itself; here the page's
small API (``/signin/api/…``) does that server-side. What a client sees — WebChannel
messages, the code, the token response — is the same.

``knobs`` make the page misbehave the ways a client must survive (a wrong state, a second
``oauth_login``, a foreign channel id, an unknown command, a page that never finishes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aiohttp import web

from fxstack.fxa import crypto, errors, totp
from fxstack.fxa.server import HEX64, FxaServer, fxa_route, ok, require_str
from fxstack.fxa.state import CLIENT_IDS, OLDSYNC, SessionToken
from fxstack.signin_page.keys_jwe import encrypt_scoped_keys, parse_keys_jwk

CODE_LIFETIME = 300  # seconds
REDIRECT = "urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel"
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")

DEFAULT_KNOBS: dict[str, Any] = {
    "ua_gate": True,  # send fxa_status only to a browser that looks like Firefox
    "force_status": False,
    "detail_object": False,  # send details as objects instead of JSON strings
    "wrong_state": False,
    "second_oauth_login": False,
    "foreign_channel_id": False,
    "unknown_command": False,
    "delay_oauth_login_ms": 0,
    "never_finish": False,
    # The token endpoint's refusals a client must explain: the CDN's bot challenge (406,
    # empty body) and a client id the server no longer accepts (503, errno 204).
    "token_406": False,
    "disabled_client": False,
}


@dataclass(repr=False)
class AuthorizationCode:
    uid: str
    client_id: str
    scope: tuple[str, ...]
    code_challenge: str
    keys_jwe: str
    offline: bool
    session_id: str
    expires_at: float


@dataclass
class SigninPage:
    fxa: FxaServer
    knobs: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_KNOBS))
    codes: dict[str, AuthorizationCode] = field(default_factory=dict, repr=False)

    def set_knobs(self, **changes: Any) -> None:
        unknown = set(changes) - set(DEFAULT_KNOBS)
        if unknown:
            raise ValueError(f"unknown knobs: {sorted(unknown)}")
        self.knobs.update(changes)

    def reset_knobs(self) -> None:
        self.knobs = dict(DEFAULT_KNOBS)

    def redeem(self, body: dict[str, Any]) -> dict[str, Any]:
        """The ``authorization_code`` grant of ``/v1/oauth/token``."""
        if self.knobs["token_406"]:
            raise web.HTTPNotAcceptable(text="")
        if self.knobs["disabled_client"]:
            raise errors.FxaHttpError(503, 204, "This client has been temporarily disabled")
        state = self.fxa.state
        code = require_str(body, "code", pattern=HEX64)
        client_id = require_str(body, "client_id")
        if "client_secret" in body:
            raise errors.FxaHttpError(400, 107, "Invalid parameter in request body")
        verifier = require_str(body, "code_verifier", pattern=VERIFIER)
        grant = self.codes.pop(code, None)
        if grant is None:
            raise errors.FxaHttpError(400, 172, "Unknown authorization code")
        if grant.client_id != client_id:
            raise errors.FxaHttpError(400, 173, "Mismatched authorization code")
        if grant.expires_at <= state.now():
            raise errors.FxaHttpError(400, 174, "Expired authorization code")
        if not secrets.compare_digest(_s256(verifier), grant.code_challenge):
            raise errors.FxaHttpError(400, 175, "Mismatched code_challenge")
        answer: dict[str, Any] = {
            "token_type": "bearer",
            "scope": " ".join(grant.scope),
            "expires_in": 3600,
            "auth_at": int(state.now()),
            "keys_jwe": grant.keys_jwe,
        }
        refresh_hash = None
        if grant.offline:
            # Bound to the page's session, so disconnecting the device ends the grant too.
            refresh = state.issue_refresh_token(grant.uid, client_id, grant.scope, grant.session_id)
            refresh_hash = state.find_refresh_token(refresh).token_hash  # type: ignore[union-attr]
            answer["refresh_token"] = refresh
        answer["access_token"] = state.issue_access_token(
            grant.uid, client_id, grant.scope, 3600, refresh_hash
        )
        return answer


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _s256(verifier: str) -> str:
    """PKCE S256 (RFC 7636): base64url(SHA-256(verifier))."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _page_html(knobs: dict[str, Any]) -> str:
    template = resources.files(__package__).joinpath("page.html").read_text("utf-8")
    return template.replace("__KNOBS__", json.dumps(knobs).replace("</", "<\\/"))


def setup_signin_page(app: web.Application, fxa: FxaServer) -> SigninPage:
    page = SigninPage(fxa)
    state = fxa.state
    script = resources.files(__package__).joinpath("page.js").read_text("utf-8")

    async def serve_page(request: web.Request) -> web.Response:
        if request.query.get("context") != "oauth_webchannel_v1":
            return web.Response(text="Local account server. Sign in from foxbridge.\n")
        return web.Response(text=_page_html(page.knobs), content_type="text/html")

    async def serve_script(request: web.Request) -> web.Response:
        return web.Response(text=script, content_type="application/javascript")

    def session_of(body: dict[str, Any]) -> SessionToken:
        token = require_str(body, "session_token", pattern=HEX64)
        token_id, _, _ = crypto.token_parts(bytes.fromhex(token), "sessionToken")
        session = state.sessions.get(token_id)
        if session is None:
            raise errors.invalid_token()
        return session

    @fxa_route
    async def api_login(request: web.Request) -> web.Response:
        body = await fxa.json_body(request)
        account = state.account_by_email(require_str(body, "email"))
        if account is None:
            raise errors.unknown_account()
        auth_pw, _ = crypto.client_stretch(account.email, require_str(body, "password"))
        if not crypto.password_matches(auth_pw, account.auth_salt, account.verify_hash):
            raise errors.incorrect_password(account.email)
        method = "totp-2fa" if account.verification == "totp" else "email-otp"
        token, session = state.new_session(
            account,
            user_agent=request.headers.get("User-Agent", ""),
            verified=account.verification == "none",
            verification_method=method,
        )
        if not session.verified and method == "email-otp":
            fxa.send_sign_in_code(account, session)
        return ok(
            {
                "uid": account.uid,
                "email": account.email,
                "sessionToken": token,
                "verified": session.verified,
                "verificationMethod": method,
            }
        )

    @fxa_route
    async def api_verify(request: web.Request) -> web.Response:
        body = await fxa.json_body(request)
        session = session_of(body)
        account = fxa.account_of(session.uid)
        code = require_str(body, "code")
        if account.verification == "totp" and account.totp_secret:
            good = totp.accepts(account.totp_secret, code, state.now())
        else:
            good = fxa.email_code_matches(session, code)
        if not good:
            raise errors.invalid_code()
        session.verified, session.verification_method = True, None
        return ok({})

    @fxa_route
    async def api_authorize(request: web.Request) -> web.Response:
        """What ``POST /v1/oauth/authorization`` does for the real page."""
        body = await fxa.json_body(request)
        session = session_of(body)
        if not session.verified:
            raise errors.unverified_session_for_oauth()
        client_id = require_str(body, "client_id")
        if client_id not in CLIENT_IDS:
            raise errors.unknown_client(client_id)
        scope = tuple(require_str(body, "scope").split())
        if OLDSYNC not in scope:
            raise errors.scope_not_allowed(" ".join(scope))
        if require_str(body, "code_challenge_method") != "S256":
            raise errors.invalid_parameter("code_challenge_method")
        challenge = require_str(body, "code_challenge", pattern=CHALLENGE)
        state_param = require_str(body, "state")
        if len(state_param) > 512:
            raise errors.invalid_parameter("state")
        try:
            recipient = parse_keys_jwk(require_str(body, "keys_jwk"))
        except ValueError as error:
            raise errors.invalid_parameter("keys_jwk") from error
        account = fxa.account_of(session.uid)
        keys = {
            OLDSYNC: {
                "kty": "oct",
                "scope": OLDSYNC,
                "k": _b64url(account.ksync),
                "kid": account.kid,
            }
        }
        code = secrets.token_hex(32)
        page.codes[code] = AuthorizationCode(
            uid=account.uid,
            client_id=client_id,
            scope=scope,
            code_challenge=challenge,
            keys_jwe=encrypt_scoped_keys(keys, recipient),
            offline=body.get("access_type") == "offline",
            session_id=session.token_id,
            expires_at=state.now() + CODE_LIFETIME,
        )
        return ok(
            {
                "code": code,
                "state": state_param,
                "scope": " ".join(scope),
                "redirect": f"{REDIRECT}?code={code}&state={state_param}",
            }
        )

    async def set_knobs(request: web.Request) -> web.Response:
        try:
            page.set_knobs(**(await request.json()))
        except (ValueError, TypeError) as error:
            return web.json_response({"message": str(error)}, status=400)
        return web.json_response(page.knobs)

    app.router.add_get("/", serve_page)
    app.router.add_get("/authorization", serve_page)
    app.router.add_get("/signin/page.js", serve_script)
    app.router.add_post("/signin/api/login", api_login)
    app.router.add_post("/signin/api/verify", api_verify)
    app.router.add_post("/signin/api/authorize", api_authorize)
    app.router.add_post("/__stack__/signin/knobs", set_knobs)
    return page
