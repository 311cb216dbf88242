"""Reading X12 text into segments: delimiters from the ISA header, then split.

Shared by every X12 reader (835, 837 import, 271). Errors name the segment number (1-based,
counted from the file's first ISA) and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass

from claimbook.errors import X12Error


@dataclass(frozen=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"


@dataclass(frozen=True)
class Segment:
    index: int  # 1-based position in the file
    id: str
    elements: tuple[str, ...]  # elements[0] is the first data element (e.g. CLP01)

    def get(self, n: int, default: str = "") -> str:
        """Element n, 1-based like the X12 reference (CLP01 is get(1))."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else default

    def components(self, n: int, delims: Delimiters) -> list[str]:
        return self.get(n).split(delims.component)


def detect_delimiters(text: str) -> Delimiters:
    """ISA is fixed width: element separator at 3, repetition at 82, component at 104."""
    start = text.find("ISA")
    if start < 0:
        raise X12Error("This is not an X12 file: no ISA segment at the start.",
                       "Open the file in a text editor; an X12 file begins with 'ISA'.")
    isa = text[start:start + 106]
    if len(isa) < 106:
        raise X12Error("The ISA segment is cut short (it must be 106 characters).",
                       "Ask the sender for the complete file.")
    element = isa[3]
    parts = isa.split(element)
    if len(parts) < 17:
        raise X12Error("Segment 1 (ISA) does not have 16 elements.",
                       "Ask the sender for a valid file.")
    return Delimiters(element=element, component=isa[104], repetition=isa[82],
                      segment=isa[105])


def segments(text: str) -> tuple[list[Segment], Delimiters]:
    """All segments of an X12 interchange text, with their delimiters."""
    start = text.find("ISA")
    d = detect_delimiters(text)
    body = text[start:]
    out: list[Segment] = []
    for raw in body.split(d.segment):
        raw = raw.strip("\r\n\t ")
        if not raw:
            continue
        parts = raw.split(d.element)
        out.append(Segment(len(out) + 1, parts[0].upper(), tuple(parts[1:])))
    return out, d


def expect(seg: Segment, *ids: str, context: str = "") -> None:
    """Raise a clear error when `seg` is not one of `ids`."""
    if seg.id not in ids:
        where = f" in {context}" if context else ""
        raise X12Error(
            f"Segment {seg.index} is {seg.id}, expected {' or '.join(ids)}{where}.",
            "The file does not follow the implementation guide; ask the sender to resend it.")
