"""Device routes: the record each signed-in client keeps in the account's device list."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from fxstack.fxa import errors
from fxstack.fxa.server import FxaServer, fxa_route, ok
from fxstack.fxa.state import Device, SessionToken

DEVICE_TYPES = frozenset({"desktop", "mobile", "tablet", "vr", "tv"})
PUSH_FIELDS = {
    "pushCallback": "push_callback",
    "pushPublicKey": "push_public_key",
    "pushAuthKey": "push_auth_key",
}


def device_json(device: Device, current: SessionToken | None) -> dict[str, Any]:
    return {
        "id": device.id,
        "isCurrentDevice": current is not None and device.session_id == current.token_id,
        "name": device.name,
        "type": device.type,
        "lastAccessTime": int(device.last_access * 1000),
        "availableCommands": device.available_commands,
        "pushCallback": device.push_callback,
        "pushPublicKey": device.push_public_key,
        "pushAuthKey": device.push_auth_key,
        "pushEndpointExpired": False,
        "location": {},
    }


def _apply_fields(device: Device, body: dict[str, Any]) -> None:
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise errors.invalid_parameter("name")
        device.name = name
    if "type" in body:
        if body["type"] not in DEVICE_TYPES:
            raise errors.invalid_parameter("type")
        device.type = body["type"]
    if "availableCommands" in body:
        commands = body["availableCommands"]
        if not isinstance(commands, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in commands.items()
        ):
            raise errors.invalid_parameter("availableCommands")
        device.available_commands = dict(commands)
    for wire, attribute in PUSH_FIELDS.items():
        if wire in body:
            if body[wire] is not None and not isinstance(body[wire], str):
                raise errors.invalid_parameter(wire)
            setattr(device, attribute, body[wire])


def add_routes(router: web.UrlDispatcher, server: FxaServer) -> None:
    state = server.state

    async def session_or_bearer(request: web.Request) -> tuple[SessionToken, dict[str, Any]]:
        """A Hawk session, or an OAuth refresh token as bearer (OAuth-only clients register
        their device that way); the device then belongs to the session that granted it."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return await server.session_from(request)
        refresh = state.find_refresh_token(header[len("Bearer ") :].strip())
        session = state.sessions.get(refresh.session_id or "") if refresh else None
        if session is None:
            raise errors.invalid_token()
        return session, await server.json_body(request)

    @fxa_route
    async def register_or_update(request: web.Request) -> web.Response:
        session, body = await session_or_bearer(request)
        device_id = body.get("id")
        if device_id is None:
            if session.device_id is not None:
                raise errors.device_session_conflict(session.device_id)
            if not isinstance(body.get("name"), str):
                raise errors.missing_parameter("name")
            device = Device(
                id=secrets.token_hex(16),
                uid=session.uid,
                session_id=session.token_id,
                name="",
                type="desktop",
                created_at=state.now(),
            )
            _apply_fields(device, body)
            state.devices[device.id] = device
            session.device_id = device.id
        else:
            device = state.devices.get(device_id) if isinstance(device_id, str) else None
            if device is None or device.uid != session.uid:
                raise errors.unknown_device()
            if session.device_id not in (None, device.id):
                raise errors.device_session_conflict(session.device_id)
            _apply_fields(device, body)
        device.last_access = state.now()
        return ok(device_json(device, session))

    @fxa_route
    async def list_devices(request: web.Request) -> web.Response:
        session, _ = await session_or_bearer(request)
        return ok([device_json(d, session) for d in state.devices.values() if d.uid == session.uid])

    @fxa_route
    async def destroy(request: web.Request) -> web.Response:
        session, body = await server.session_from(request)
        device = state.devices.get(body.get("id", ""))  # type: ignore[arg-type]
        if device is None or device.uid != session.uid:
            raise errors.unknown_device()
        state.disconnect_device(device.id)
        return ok()

    @fxa_route
    async def attached_clients(request: web.Request) -> web.Response:
        session, _ = await server.session_from(request)
        clients: list[dict[str, Any]] = []
        for other in state.sessions.values():
            if other.uid != session.uid:
                continue
            device = state.devices.get(other.device_id or "")
            clients.append(
                {
                    "clientId": None,
                    "deviceId": device.id if device else None,
                    "sessionTokenId": other.token_id,
                    "refreshTokenId": None,
                    "isCurrentSession": other is session,
                    "deviceType": device.type if device else None,
                    "name": device.name if device else other.user_agent,
                    "scope": None,
                    "location": {},
                    "userAgent": other.user_agent,
                    "os": None,
                    "createdTime": int(other.created_at * 1000),
                    "lastAccessTime": int(other.last_access * 1000),
                }
            )
        for refresh in state.refresh_tokens.values():
            if refresh.uid == session.uid:
                clients.append(
                    {
                        "clientId": refresh.client_id,
                        "deviceId": None,
                        "sessionTokenId": None,
                        "refreshTokenId": refresh.token_hash,
                        "isCurrentSession": False,
                        "deviceType": None,
                        "name": "Firefox",
                        "scope": list(refresh.scope),
                        "location": {},
                        "userAgent": "",
                        "os": None,
                        "createdTime": int(refresh.created_at * 1000),
                        "lastAccessTime": int(refresh.last_used * 1000),
                    }
                )
        return ok(clients)

    @fxa_route
    async def notify(request: web.Request) -> web.Response:
        _, body = await server.session_from(request)
        if "to" not in body or "payload" not in body:
            raise errors.missing_parameter("to" if "to" not in body else "payload")
        return ok()  # no push service in the stack: there is nobody to deliver to

    @fxa_route
    async def commands(request: web.Request) -> web.Response:
        await server.session_from(request)
        return ok({"index": 0, "last": True, "messages": []})

    router.add_post("/v1/account/device", register_or_update)
    router.add_get("/v1/account/devices", list_devices)
    router.add_post("/v1/account/device/destroy", destroy)
    router.add_get("/v1/account/attached_clients", attached_clients)
    router.add_post("/v1/account/devices/notify", notify)
    router.add_get("/v1/account/device/commands", commands)
