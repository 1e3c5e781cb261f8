"""fxstack.faults: a fault fires on matching requests only, a bounded number of times."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from fxstack.faults import Fault, Faults


@pytest.fixture
async def app_url(aiohttp_server):
    faults = Faults()
    app = web.Application(middlewares=[faults.middleware])
    hits: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        hits.append(request.method)
        return web.json_response({"real": True})

    app.router.add_route("*", "/{tail:.*}", handler)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as http:
        yield str(server.make_url("")).rstrip("/"), faults, hits, http


async def test_canned_response_fires_the_given_number_of_times(app_url):
    url, faults, hits, http = app_url
    faults.add(
        Fault("/storage/", status=503, body={"busy": 1}, headers={"Retry-After": "3"}, times=2)
    )
    for _ in range(2):
        async with http.get(f"{url}/storage/x") as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "3"
            assert await response.json() == {"busy": 1}
    async with http.get(f"{url}/storage/x") as response:
        assert response.status == 200
    assert hits == ["GET"] and len(faults.fired) == 2


async def test_method_and_prefix_must_match(app_url):
    url, faults, _hits, http = app_url
    faults.add(Fault("/storage/", method="POST", status=500))
    async with http.get(f"{url}/storage/x") as response:
        assert response.status == 200
    async with http.post(f"{url}/other") as response:
        assert response.status == 200
    async with http.post(f"{url}/storage/x") as response:
        assert response.status == 500


async def test_headers_join_the_real_response(app_url):
    url, faults, _hits, http = app_url
    faults.add(Fault("/", headers={"X-Weave-Backoff": "30"}))
    async with http.get(f"{url}/a") as response:
        assert (await response.json(), response.headers["X-Weave-Backoff"]) == (
            {"real": True},
            "30",
        )


async def test_hook_runs_before_the_handler(app_url):
    url, faults, hits, http = app_url

    async def before(request: web.Request) -> None:
        hits.append("hook")

    faults.add(Fault("/", before=before))
    async with http.put(f"{url}/a"):
        pass
    assert hits == ["hook", "PUT"]


async def test_dropped_connection(app_url):
    url, faults, hits, http = app_url
    faults.add(Fault("/", method="POST", drop=True))
    with pytest.raises(aiohttp.ClientError):
        async with http.post(f"{url}/a", data=b"x"):
            pass
    assert hits == []
