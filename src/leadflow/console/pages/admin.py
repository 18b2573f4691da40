"""The console's /admin page(s): being built."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
