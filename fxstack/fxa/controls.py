"""Test controls over HTTP, under ``/__stack__/``: for subprocess tests and for people
trying the stack by hand. Each maps to a method of ``FxaServer``."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from fxstack.fxa.server import FxaServer


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def add_routes(router: web.UrlDispatcher, server: FxaServer) -> None:
    async def body_of(request: web.Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    async def create_account(request: web.Request) -> web.Response:
        body = await body_of(request)
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            return _bad("email and password are required")
        try:
            account = server.create_account(
                email,
                password,
                verification=body.get("verification", "email-otp"),
                totp_secret=body.get("totp_secret"),
                key_rotation_timestamp=body.get("key_rotation_timestamp"),
            )
        except (ValueError, TypeError) as error:
            return _bad(str(error))
        return web.json_response(
            {
                "uid": account.uid,
                "email": account.email,
                "kid": account.kid,
                "key_rotation_timestamp": account.key_rotation_timestamp,
            }
        )

    async def new_session(request: web.Request) -> web.Response:
        try:
            token = server.new_verified_session(str((await body_of(request)).get("email", "")))
        except KeyError:
            return _bad("unknown account")
        return web.json_response({"sessionToken": token})

    async def mailbox(request: web.Request) -> web.Response:
        email = request.query.get("email", "").lower()
        messages = [
            {"to": m.to, "subject": m.subject, "code": m.code}
            for m in server.state.mailbox
            if not email or m.to.lower() == email
        ]
        return web.json_response({"messages": messages})

    async def block_logins(request: web.Request) -> web.Response:
        try:
            server.block_logins(str((await body_of(request)).get("email", "")))
        except KeyError:
            return _bad("unknown account")
        return web.json_response({})

    async def reset_password(request: web.Request) -> web.Response:
        body = await body_of(request)
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            return _bad("email and password are required")
        try:
            account = server.reset_password(email, password)
        except KeyError:
            return _bad("unknown account")
        return web.json_response({"uid": account.uid, "kid": account.kid})

    async def expire_access_tokens(request: web.Request) -> web.Response:
        uid = (await body_of(request)).get("uid")
        return web.json_response({"expired": server.expire_access_tokens(uid)})

    async def disconnect_device(request: web.Request) -> web.Response:
        device_id = str((await body_of(request)).get("device_id", ""))
        return web.json_response({"disconnected": server.disconnect_device(device_id)})

    async def devices(request: web.Request) -> web.Response:
        return web.json_response(
            [
                {"id": d.id, "uid": d.uid, "name": d.name, "type": d.type}
                for d in server.state.devices.values()
            ]
        )

    router.add_post("/__stack__/accounts", create_account)
    router.add_post("/__stack__/sessions", new_session)
    router.add_get("/__stack__/mailbox", mailbox)
    router.add_post("/__stack__/block-logins", block_logins)
    router.add_post("/__stack__/reset-password", reset_password)
    router.add_post("/__stack__/expire-access-tokens", expire_access_tokens)
    router.add_post("/__stack__/disconnect-device", disconnect_device)
    router.add_get("/__stack__/devices", devices)
