"""Fetch the browser files the console and the API docs serve (and the tests inject) from npm.

Each entry of a manifest names an npm package, its pinned version, the file inside the package
and where it goes; this script runs `npm pack NAME@VERSION`, takes that file out of the tarball,
and writes the file and the manifest (with the package's licence, npm's integrity of the
tarball, and the file's sha256). `tests/unit/test_vendored_files.py` checks the files against
the manifests, so a file changed by hand, or a version bumped without its file, fails the build.

    python scripts/vendor.py            # fetch every file again and rewrite the manifests
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = [
    ROOT / "src/leadflow/console/static/vendor/MANIFEST.json",
    ROOT / "tests/e2e/vendor/MANIFEST.json",
]


def fetch(manifest: Path) -> None:
    entries = json.loads(manifest.read_text())
    for entry in entries:
        with tempfile.TemporaryDirectory() as tmp:
            spec = f"{entry['package']}@{entry['version']}"
            packed = subprocess.run(
                ["npm", "pack", spec, "--json", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
            )
            info = json.loads(packed.stdout)[0]
            with tarfile.open(Path(tmp) / info["filename"]) as tar:
                member = tar.extractfile(f"package/{entry['file']}")
                assert member is not None, f"{spec} has no {entry['file']}"
                body = member.read()
                meta = tar.extractfile("package/package.json")
                assert meta is not None
                licence = json.loads(meta.read())["license"]
        target = manifest.parent / entry["name"]
        target.write_bytes(body)
        entry.update(
            license=licence,
            integrity=info["integrity"],
            sha256=hashlib.sha256(body).hexdigest(),
        )
        print(f"{spec} {entry['file']} -> {target.relative_to(ROOT)} ({len(body)} bytes)")
    manifest.write_text(json.dumps(entries, indent=2) + "\n")


if __name__ == "__main__":
    for path in MANIFESTS if len(sys.argv) < 2 else [Path(p).resolve() for p in sys.argv[1:]]:
        fetch(path)
