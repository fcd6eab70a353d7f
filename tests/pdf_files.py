"""PDFs the tests write themselves (no recorded file is committed): one page per size and
text, Helvetica text that pypdf extracts as given."""

from __future__ import annotations

import base64
import subprocess
import sys
from typing import Any

LETTER = (612, 792)
A4 = (595, 842)


def pdf(*pages: tuple[tuple[int, int], str]) -> str:
    """A valid PDF, base64, of one page per ``((width, height), text)``: Helvetica text in
    a content stream, objects listed in a cross-reference table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for (width, height), text in pages:
        stream = f"BT /F1 12 Tf 72 {height - 72} Td ({text}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources "
                       b"<< /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
                       % (width, height, len(objects)))
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return base64.b64encode(bytes(out)).decode()


def pypdf_loaded_after(*bodies: dict[str, Any]) -> list[bool]:
    """Whether pypdf is imported after normalizing each body in turn, in a fresh interpreter
    (it must be imported only by a request that holds a PDF)."""
    script = (
        "import sys\n"
        "from promptcache.load.records import normalize_record\n"
        "from promptcache.load.sources import RawRecord\n"
        "from promptcache.model import Location\n"
        f"for body in {list(bodies)!r}:\n"
        "    normalize_record(RawRecord(Location('log.jsonl', 1), body))\n"
        "    print('pypdf' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stderr == ""
    return [word == "True" for word in result.stdout.split()]
