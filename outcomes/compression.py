"""gzip for the app's own HTML, JSON and CSV above about 1 KB, when the browser accepts it.

A caseload page shrinks about tenfold, which a tablet on a weak signal feels. Pages carry a CSRF
token, so the token is masked afresh on every render (security.csrf_token): a compressed page's
size then says nothing about the token (BREACH).
"""

import gzip

from flask import request
from isal import isal_zlib

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
    # A page (tens of KB), which every page view pays for: ISA-L's level 1 (isal), a little smaller
    # than zlib's level 1 at a third of its CPU (a star page: 24 against 72 us). Large bodies (the
    # offline bundle, a year's feed) at zlib's level 5: ISA-L's levels leave them a third larger,
    # and there the bytes matter on a weak signal. wbits 31: a gzip header and trailer.
    if len(body) < 65536:
        return isal_zlib.compress(body, 1, 31)
    return gzip.compress(body, compresslevel=5, mtime=0)


def init_app(app):
    app.after_request(compress)
