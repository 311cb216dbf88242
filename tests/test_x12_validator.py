"""The pyx12 wrapper every X12 test relies on must fail on broken files, or its green means
nothing: each case breaks one rule of a valid 837P and expects pyx12 to name it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_x837 import _build
from tests.x12_validate import x12_errors
from tests.x837_factory import line, make_book


@pytest.fixture(scope="module")
def valid_837(tmp_path_factory) -> str:
    res, _ = _build(make_book([line("ONLY1")]), tmp_path_factory.mktemp("x12"))
    (f,) = res.files
    text = Path(f.file).read_text()
    assert x12_errors(text) == []
    return text


def _segments(text: str) -> tuple[list[str], str]:
    term = text[105]  # ISA is fixed width: the segment terminator follows ISA16
    return [s for s in text.split(term) if s.strip()], term


def _drop(text: str, seg_id: str) -> str:
    segs, term = _segments(text)
    i = next(i for i, s in enumerate(segs) if s.strip().startswith(seg_id + "*"))
    del segs[i]
    return term.join(segs) + term


def _edit(text: str, pattern: str, repl: str) -> str:
    out, n = re.subn(pattern, repl, text, count=1)
    assert n == 1, pattern
    return out


@pytest.mark.parametrize("break_it, expect", [
    (lambda t: _edit(t, r"~SE\*(\d+)\*", lambda m: f"~SE*{int(m.group(1)) + 1}*"), "SE"),
    (lambda t: _drop(t, "HI"), "HI"),
    (lambda t: _drop(t, "NM1*85"), "NM1"),
    (lambda t: _edit(t, r"(CLM\*[^*]*\*[^*]*\*\*\*\d\d):B:", r"\1:Q:"), "CLM"),
    (lambda t: _edit(t, r"DTP\*472\*D8\*\d{8}", "DTP*472*D8*2026130"), "DTP"),
    (lambda t: _edit(t, r"GE\*1\*", "GE*2*"), "GE"),
], ids=["se-count", "no-HI", "no-billing-provider", "bad-CLM05-2", "bad-date", "ge-count"])
def test_pyx12_reports_each_broken_837(valid_837, break_it, expect):
    errors = x12_errors(break_it(valid_837))
    assert errors, f"pyx12 accepted a file with a broken {expect}"


def test_a_truncated_file_is_reported(valid_837):
    assert x12_errors(valid_837[: len(valid_837) // 2])
