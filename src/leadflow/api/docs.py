"""The API's interactive documentation: Swagger UI at `/docs` and ReDoc at `/redoc`.

FastAPI's own pages load their scripts, styles, fonts and favicon from CDNs, so on a machine
without internet they are white. These pages load the same programs from files the package
ships (`console/static/vendor`, fetched from npm by `scripts/vendor.py` and checked against
its MANIFEST.json), served under `/static` by the console's mount.

Their own Content-Security-Policy keeps it so: only this server's files, whatever the programs
inside try (ReDoc draws Redocly's logo from a CDN). It allows inline script and style, which
Swagger UI's start and ReDoc's styling need; the console's stricter one is for its pages.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

VENDOR = "/static/vendor"
FAVICON = f"{VENDOR}/swagger-ui-favicon.png"
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Swagger UI asks validator.swagger.io for a badge of every document it shows: not here.
SWAGGER_PARAMETERS = {"validatorUrl": None}

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on the OpenAPI document: try a route, with a key set by Authorize."""
    page = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API",
        swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui.css",
        swagger_favicon_url=FAVICON,
        oauth2_redirect_url=None,
        swagger_ui_parameters=SWAGGER_PARAMETERS,
    )
    return _confined(page)


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc on the OpenAPI document: the same reference, to read."""
    page = get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API",
        redoc_js_url=f"{VENDOR}/redoc.standalone.js",
        redoc_favicon_url=FAVICON,
        with_google_fonts=False,
    )
    return _confined(page)


def _confined(page: HTMLResponse) -> HTMLResponse:
    """The page, allowed to load nothing but this server's files."""
    page.headers["Content-Security-Policy"] = CSP
    return page
