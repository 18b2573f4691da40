"""The browser files we ship and inject are exactly the npm packages' files the manifests name."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = [
    ROOT / "src/leadflow/console/static/vendor/MANIFEST.json",
    ROOT / "tests/e2e/vendor/MANIFEST.json",
]
FIELDS = {"name", "package", "version", "file", "license", "integrity", "sha256"}


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.parent.name)
def test_every_vendored_file_matches_its_manifest_entry(manifest: Path) -> None:
    entries = json.loads(manifest.read_text())
    assert entries, f"{manifest} lists nothing"
    for entry in entries:
        assert set(entry) == FIELDS, f"{entry.get('name')}: fields {sorted(entry)}"
        assert entry["version"].count(".") == 2, f"{entry['name']}: pin an exact version"
        assert entry["integrity"].startswith("sha512-"), entry["name"]
        body = (manifest.parent / entry["name"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], (
            f"{entry['name']} is not the file of {entry['package']}@{entry['version']}: "
            "run `python scripts/vendor.py`"
        )


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.parent.name)
def test_no_vendored_file_is_missing_from_its_manifest(manifest: Path) -> None:
    listed = {entry["name"] for entry in json.loads(manifest.read_text())}
    present = {p.name for p in manifest.parent.iterdir() if p.name != "MANIFEST.json"}
    assert present == listed
