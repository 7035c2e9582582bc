"""Static files under fingerprinted names, pre-compressed, served by WhiteNoise with a year's caching.

At start-up each file in static/ is copied once to instance/static-build/ as NAME.<hash>.EXT with
.gz beside it (and .br when the brotli package is installed); url_for('static', ...) then gives the
fingerprinted name. A changed file gets a new name, so browsers may keep every name for a year
(Cache-Control: immutable) and never revalidate. The plain names still work through Flask's own
static route, for the few places that must keep a fixed URL (the web manifest's icons).
"""

import hashlib
import os
import tempfile
from pathlib import Path

from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

YEAR = 365 * 24 * 3600
# The service worker is served by views/offline.py with its settings filled in, never from here.
NOT_FINGERPRINTED = ("sw.js",)


def init_app(app):
    source = Path(app.static_folder)
    build = Path(app.instance_path) / "static-build"
    manifest = fingerprint(source, build)
    app.extensions["static_manifest"] = manifest

    @app.url_defaults
    def fingerprinted(endpoint, values):
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(build),
        prefix=app.static_url_path.strip("/") + "/",
        max_age=YEAR,
        immutable_file_test=lambda path, url: True,  # every name here carries its content's hash
    )


def fingerprint(source, build):
    """{name relative to static/: fingerprinted name}, copying and compressing what is new."""
    manifest = {}
    compressor = Compressor(quiet=True, log=lambda *args: None)
    for path in sorted(source.rglob("*")):
        name = path.relative_to(source).as_posix()
        if not path.is_file() or name in NOT_FINGERPRINTED:
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:12]
        stem, dot, ext = name.rpartition(".")
        hashed = f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"
        manifest[name] = hashed
        target = build / hashed
        if not target.exists():
            _write(target, data, compressor if compressor.should_compress(name) else None)
    return manifest


def _write(target, data, compressor):
    """Write the file and its compressed copies under temporary names, then rename them into place
    (the file itself last), so that two workers starting at once never see half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    for compressed in compressor.compress(temporary) if compressor else []:
        os.chmod(compressed, 0o644)
        os.replace(compressed, str(target) + compressed[len(temporary) :])
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)
