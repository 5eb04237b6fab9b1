"""Plain text, CSV and JSON renderings."""

from __future__ import annotations

import csv
import io
import json

from phileak.lab.corpus.model import LabelledDoc
from phileak.lab.corpus.render.layout import blocks, json_value, table


def render_txt(doc: LabelledDoc) -> bytes:
    return ("\n\n".join(blocks(doc)) + "\n").encode()


def render_csv(doc: LabelledDoc) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(table(doc))
    return out.getvalue().encode()


def render_json(doc: LabelledDoc) -> bytes:
    return json.dumps(json_value(doc), ensure_ascii=False, indent=1).encode()
