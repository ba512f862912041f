"""GET /docs: Swagger UI from assets shipped inside the package (``api/swagger``, see VENDORED.md), so
the page works offline and loads nothing from a CDN. /redoc (CDN-only) is not served."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import Response

from crossroads.api.deps import RawRoute
from crossroads.errors import NotFound

router = APIRouter(route_class=RawRoute)
ASSETS = "/docs/assets/"
TYPES = {  # the only files served: nothing else from the folder, no paths
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> Response:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} — API",
        swagger_js_url=ASSETS + "swagger-ui-bundle.js",
        swagger_css_url=ASSETS + "swagger-ui.css",
        swagger_favicon_url=ASSETS + "favicon-32x32.png",
    )


@router.get(ASSETS + "{name}", include_in_schema=False)
async def asset(request: Request, name: str) -> Response:
    media = TYPES.get(name)
    if media is None:
        raise NotFound(f"No such documentation asset: '{name}'.")
    content = (files("crossroads.api") / "swagger" / name).read_bytes()
    return Response(content, media_type=media, headers={"cache-control": "public, max-age=86400"})
