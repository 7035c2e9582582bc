"""gzip for the app's own HTML, JSON and CSV above about 1 KB, when the browser accepts it.

A caseload page shrinks about tenfold, which a tablet on a weak signal feels. Pages carry a CSRF
token, so the token is masked afresh on every render (security.csrf_token): a compressed page's
size then says nothing about the token (BREACH).
"""

import gzip

from flask import request

MINIMUM_BYTES = 1024
COMPRESSED_TYPES = {"text/html", "application/json", "text/csv", "text/javascript"}


def compress(response):
    if (
        response.direct_passthrough
        or response.is_streamed
        or response.status_code != 200
        or response.mimetype not in COMPRESSED_TYPES
        or "Content-Encoding" in response.headers
    ):
        return response
    response.vary.add("Accept-Encoding")
    if "gzip" not in request.accept_encodings:
        return response
    body = response.get_data()
    if len(body) < MINIMUM_BYTES:
        return response
    response.set_data(gzipped(body))
    response.headers["Content-Encoding"] = "gzip"
    return response


def gzipped(body):
    # A page (tens of KB) at level 1: a tenth larger than at level 5 (a few hundred bytes) for about
    # half the CPU, which every page view pays. Large bodies (the offline bundle, a year's feed) at
    # level 5: most of level 9's saving at a third of its CPU, where the bytes matter on a weak signal.
    level = 1 if len(body) < 65536 else 5
    return gzip.compress(body, compresslevel=level, mtime=0)


def init_app(app):
    app.after_request(compress)
