"""An HTTP client for the Firefox Accounts auth server, its OAuth routes and the profile.

One method per endpoint; each validates the answer (``daemon.fxa.wire``) and turns error
answers into ``FoxbridgeError``s (``daemon.fxa.errors``). Three retries happen here because
they are part of the protocol, not policy: a request refused for clock skew (errno 111)
is re-signed once with the server's time, and a login refused for the spelling of the
email (errno 120) is re-stretched once with the account's spelling. A device registration
that finds the session's record already there (errno 124) updates that record.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from daemon import __version__
from daemon.errors import AuthError
from daemon.fxa import crypto, hawk, wire
from daemon.fxa.errors import (
    AccountOfflineError,
    AccountServerError,
    ClockSkewError,
    DeviceSessionConflictError,
    IncorrectEmailCaseError,
    MalformedResponseError,
    error_for,
)
from daemon.fxa.servers import FIREFOX_DESKTOP_CLIENT_ID, ServerConfig  # noqa: F401 - re-exported

log = logging.getLogger(__name__)

OLDSYNC_SCOPE = "https://identity.mozilla.com/apps/oldsync"
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)
MAX_ANSWER_BYTES = 1024 * 1024  # every answer of these servers is small


def user_agent() -> str:
    system = f"{platform.system() or 'Unknown'}; {platform.machine()}"
    return f"foxbridge/{__version__} ({system}) Python/{platform.python_version()}"


@dataclass(frozen=True, repr=False)
class SignIn:
    """A login answer and what is needed to finish it (the unwrapBKey stays client-side)."""

    result: wire.LoginResult
    email: str  # the spelling the account uses
    unwrap_b_key: bytes

    def __repr__(self) -> str:
        return f"SignIn(email={self.email!r}, result={self.result!r})"


class FxaClient:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        servers: ServerConfig,
        *,
        client_id: str | None = None,
    ) -> None:
        self.http = http
        self.servers = servers
        self.client_id = client_id or servers.client_id
        self.clock_offset = 0.0  # server time minus ours, learnt from errno 111

    # Transport

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        token: crypto.TokenKeys | None = None,
        bearer: str | None = None,
        query: str = "",
        base: str | None = None,
    ) -> Any:
        """One JSON request to ``base`` (the auth server by default), Hawk-signed with
        ``token`` or carrying an OAuth ``bearer`` token, or neither."""
        url = (base or self.servers.auth_url) + path + (f"?{query}" if query else "")
        for attempt in range(2):
            try:
                return await self._send(method, url, body, token, bearer)
            except ClockSkewError as error:
                if token is None or attempt == 1:
                    raise
                self.clock_offset = error.server_time - time.time()
                log.info("clock differs from the account server's by %.0f s", self.clock_offset)
        raise AssertionError("unreachable")

    async def _send(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None,
        token: crypto.TokenKeys | None,
        bearer: str | None,
    ) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"User-Agent": user_agent(), "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = hawk.CONTENT_TYPE
        if token is not None:
            headers["Authorization"] = hawk.authorization(
                token, method, url, data, clock_offset=self.clock_offset
            )
        elif bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        host = urlsplit(url).hostname
        try:
            async with self.http.request(
                method, url, data=data, headers=headers, timeout=REQUEST_TIMEOUT
            ) as response:
                raw = await _read_limited(response)
                status, response_headers = response.status, dict(response.headers)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise AccountOfflineError(
                f"Cannot reach the account server at {host} ({type(error).__name__})."
            ) from error
        try:
            answer = json.loads(raw) if raw else None
        except (ValueError, RecursionError):  # RecursionError: nested too deeply
            answer = None
            if status == 200:
                raise MalformedResponseError("not JSON") from None
        if status != 200:
            raise error_for(status, answer, response_headers)
        return answer

    # Signing in

    async def login(
        self,
        email: str,
        stretched: crypto.StretchedPassword,
        *,
        unblock_code: str | None = None,
        original_email: str | None = None,
        stretch_version: int = 1,
    ) -> wire.LoginResult:
        body: dict[str, Any] = {
            "email": email,
            "authPW": stretched.auth_pw.hex(),
            "reason": "signin",
            "service": "sync",
            "verificationMethod": "email-otp",
        }
        if unblock_code is not None:
            body["unblockCode"] = unblock_code
        if original_email is not None:
            body["originalLoginEmail"] = original_email
        answer = await self._request("POST", "/account/login", body=body, query="keys=true")
        return wire.LoginResult.parse(answer, keys=True, stretch_version=stretch_version)

    async def credentials_status(self, email: str) -> wire.CredentialsStatus:
        """Which password stretching the account uses (V2 accounts carry a salt)."""
        answer = await self._request("POST", "/account/credentials/status", body={"email": email})
        return wire.CredentialsStatus.parse(answer)

    async def stretch(self, email: str, password: str) -> tuple[crypto.StretchedPassword, int]:
        """Stretch as the account expects: V2 when the server says so, V1 otherwise (also
        when the server predates V2 or does not know the address — login then says why)."""
        try:
            status = await self.credentials_status(email)
        except (AuthError, AccountServerError):
            status = wire.CredentialsStatus(version=1, client_salt=None)
        if status.version == 2 and status.client_salt is not None:
            return crypto.stretch_v2(password, status.client_salt), 2
        return crypto.stretch_v1(email, password), 1

    async def sign_in(
        self, email: str, password: str, *, unblock_code: str | None = None
    ) -> SignIn:
        """Log in with a password, retrying once with the account's own email spelling."""
        stretched, version = await self.stretch(email, password)
        try:
            result = await self.login(
                email, stretched, unblock_code=unblock_code, stretch_version=version
            )
        except IncorrectEmailCaseError as error:
            canonical = error.email
            if canonical == email or version != 1:
                raise
            stretched = crypto.stretch_v1(canonical, password)
            result = await self.login(
                canonical, stretched, unblock_code=unblock_code, original_email=email
            )
            email = canonical
        return SignIn(result=result, email=email, unwrap_b_key=stretched.unwrap_b_key)

    async def send_unblock_code(self, email: str) -> None:
        await self._request("POST", "/account/login/send_unblock_code", body={"email": email})

    async def verify_code(self, session_token: bytes, code: str) -> None:
        await self._request(
            "POST",
            "/session/verify_code",
            body={"code": code, "service": "sync"},
            token=_session(session_token),
        )

    async def resend_code(self, session_token: bytes) -> None:
        await self._request("POST", "/session/resend_code", body={}, token=_session(session_token))

    async def verify_totp(self, session_token: bytes, code: str) -> bool:
        answer = await self._request(
            "POST",
            "/session/verify/totp",
            body={"code": code, "service": "sync"},
            token=_session(session_token),
        )
        return wire.boolean(wire.obj(answer, "TOTP answer"), "success")

    async def account_keys(self, key_fetch_token: bytes, unwrap_b_key: bytes) -> bytes:
        """kB. Until the session is confirmed this fails with errno 104 and the token lives on."""
        keys = crypto.token_keys(key_fetch_token, "keyFetchToken")
        answer = await self._request("GET", "/account/keys", token=keys)
        _ka, wrap_kb = crypto.unwrap_key_bundle(keys.extra, wire.key_bundle(answer))
        return crypto.unwrap_kb(wrap_kb, unwrap_b_key)

    # Sessions

    async def session_status(self, session_token: bytes) -> wire.SessionStatus:
        answer = await self._request("GET", "/session/status", token=_session(session_token))
        return wire.SessionStatus.parse(answer)

    async def destroy_session(self, session_token: bytes) -> None:
        await self._request("POST", "/session/destroy", body={}, token=_session(session_token))

    async def scoped_key_data(self, session_token: bytes, scope: str) -> wire.ScopedKeyData:
        answer = await self._request(
            "POST",
            "/account/scoped-key-data",
            body={"client_id": self.client_id, "scope": scope},
            token=_session(session_token),
        )
        return wire.ScopedKeyData.parse(answer, scope)

    # OAuth

    async def oauth_token_with_session(
        self, session_token: bytes, scope: str = OLDSYNC_SCOPE, *, ttl: int = 3600
    ) -> wire.OAuthTokens:
        """Access + refresh token (``access_type=offline``) for a confirmed session."""
        answer = await self._request(
            "POST",
            "/oauth/token",
            body={
                "grant_type": "fxa-credentials",
                "client_id": self.client_id,
                "scope": scope,
                "access_type": "offline",
                "ttl": ttl,
            },
            token=_session(session_token),
        )
        return wire.OAuthTokens.parse(answer, want_refresh=True)

    async def oauth_token_with_refresh(
        self, refresh_token: str, scope: str = OLDSYNC_SCOPE, *, ttl: int = 3600
    ) -> wire.OAuthTokens:
        answer = await self._request(
            "POST",
            "/oauth/token",
            body={
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "refresh_token": refresh_token,
                "scope": scope,
                "ttl": ttl,
            },
        )
        return wire.OAuthTokens.parse(answer, want_refresh=False)

    async def oauth_token_with_code(self, code: str, code_verifier: str) -> Any:
        """The unchecked answer to redeeming an authorization code (PKCE): its fields
        depend on the flow, so ``daemon.fxa.web_login`` validates it."""
        body = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": code,
            "code_verifier": code_verifier,
        }
        return await self._request("POST", "/oauth/token", body=body)

    async def profile(self, access_token: str) -> wire.Profile:
        answer = await self._request(
            "GET", "/profile", bearer=access_token, base=self.servers.profile_url
        )
        return wire.Profile.parse(answer)

    async def destroy_oauth_token(self, token: str) -> None:
        await self._request(
            "POST", "/oauth/destroy", body={"client_id": self.client_id, "token": token}
        )

    # Devices

    async def register_device(
        self, session_token: bytes | None, name: str, *, refresh_token: str | None = None
    ) -> wire.DeviceRecord:
        """Create this session's device record, or this refresh token's when there is no
        session (after a web sign-in). When one exists already (errno 124), update it."""
        body: dict[str, Any] = {"name": name, "type": "desktop", "availableCommands": {}}
        token = None if session_token is None else _session(session_token)
        try:
            answer = await self._request(
                "POST", "/account/device", body=body, token=token, bearer=refresh_token
            )
        except DeviceSessionConflictError as conflict:
            answer = await self._request(
                "POST",
                "/account/device",
                body={**body, "id": conflict.device_id},
                token=token,
                bearer=refresh_token,
            )
        return wire.DeviceRecord.parse(answer)

    async def devices(self, session_token: bytes) -> list[wire.DeviceRecord]:
        answer = await self._request("GET", "/account/devices", token=_session(session_token))
        if not isinstance(answer, list):
            raise MalformedResponseError("the device list is not a list")
        return [wire.DeviceRecord.parse(item) for item in answer]


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise MalformedResponseError("the answer is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _session(session_token: bytes) -> crypto.TokenKeys:
    return crypto.token_keys(session_token, "sessionToken")
