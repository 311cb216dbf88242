"""Validate an X12 file with pyx12 (an independent implementation-guide validator).

`x12_errors(path_or_text)` runs `pyx12.x12n_document.x12n_document` through its Python API and
returns every error it reports as readable strings (empty list: the file is valid). Works for
837P, 835, 270/271 and any other map pyx12 ships. Reuse it in any test:

    from tests.x12_validate import x12_errors
    assert x12_errors(path) == []
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from pathlib import Path


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"pyx12 log: {record.getMessage()}")


def _walk(doc: dict) -> list[str]:
    out: list[str] = []
    for isa in doc.get("interchanges", []):
        out += [f"ISA line {isa.get('cur_line')}: {e['err_cde']} {e['err_str']}"
                for e in isa.get("errors", [])]
        for gs in isa.get("groups", []):
            out += [f"GS {gs.get('gs_control_num')}: {e['err_cde']} {e['err_str']}"
                    for e in gs.get("errors", [])]
            for st in gs.get("transactions", []):
                out += [f"ST {st.get('trn_set_control_num')}: {e['err_cde']} {e['err_str']}"
                        for e in st.get("errors", [])]
                for seg in st.get("segments", []):
                    where = f"segment {seg.get('seg_count')} {seg.get('seg_id')}"
                    out += [f"{where}: {e['err_cde']} {e['err_str']} ({e.get('err_val')})"
                            for e in seg.get("errors", [])]
                    for ele in seg.get("elements", []):
                        out += [f"{where} element {ele.get('ele_pos')}"
                                f"/{ele.get('subele_pos')}: {e['err_cde']} {e['err_str']} "
                                f"({e.get('err_val')})" for e in ele.get("errors", [])]
    return out


def x12_errors(source: str | os.PathLike) -> list[str]:
    """pyx12's errors for an X12 file (a path, or the X12 text itself)."""
    import pyx12.params
    import pyx12.x12n_document

    tmp = None
    if isinstance(source, str) and source.lstrip().startswith("ISA"):
        fd, tmp = tempfile.mkstemp(suffix=".x12")
        with os.fdopen(fd, "w", encoding="ascii", newline="") as fh:
            fh.write(source)
        path = tmp
    else:
        path = str(Path(source))
    handler = _Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(handler)
    try:
        param = pyx12.params.params()
        fd_json = io.StringIO()
        fd_999 = io.StringIO()
        ok = pyx12.x12n_document.x12n_document(param, path, fd_999, None, None, fd_json)
        text = fd_json.getvalue()
        errors = _walk(json.loads(text)) if text.strip() else []
        if not errors:
            errors = handler.messages
        if not ok and not errors:
            errors.append("pyx12 reported the file invalid without details")
        return errors
    finally:
        logger.removeHandler(handler)
        if tmp:
            os.unlink(tmp)
