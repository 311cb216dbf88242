"""Statements as PDF (fpdf2): one file per patient and one combined print file.

Each statement: practice header, the patient's mailing block, the itemized lines (DOS,
claim, service, charge, insurance paid, adjustments, patient paid, balance due) with totals,
the patient-balance aging, the dunning message for the balance's age and a remit slip with
the remit-to address. Core Helvetica (no embedded font). Text is placed with fpdf2's light
`text()` primitive at computed positions (right-aligned amounts measured with the core font's
width table); cell()/multi_cell() cost ~10x more per string and made 10,000 statements take
minutes. Amount strings are formatted for all lines at once before drawing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from fpdf import FPDF
from fpdf.fonts import CORE_FONTS_CHARWIDTHS

from claimbook.book import PracticeSettings
from claimbook.patient_billing.money import fmt
from claimbook.patient_billing.statements import BUCKETS, StatementRun, statement_numbers

LEFT, RIGHT, TOP, BOTTOM = 13.0, 203.0, 14.0, 262.0  # mm on a Letter page (216 x 279)
# (header, left edge mm, right edge mm, align) of the itemized table.
COLS = [("DOS", 13, 33, "L"), ("Claim", 35, 61, "L"), ("Service", 63, 89, "L"),
        ("Charge", 89, 109, "R"), ("Insurance paid", 109, 135, "R"),
        ("Adjustments", 135, 159, "R"), ("Patient paid", 159, 181, "R"),
        ("Balance due", 181, 203, "R")]
ROW = 4.6  # mm per item line
_CW = {"": CORE_FONTS_CHARWIDTHS["helvetica"], "B": CORE_FONTS_CHARWIDTHS["helveticaB"]}


def _t(value: object) -> str:
    """Text safe for the core fonts (latin-1)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def width(text: str, size: float, style: str = "") -> float:
    """Width in mm of `text` in Helvetica of `size` points."""
    cw = _CW[style]
    return sum(cw.get(c, 556) for c in text) * size * 0.001 / 72 * 25.4


def wrap(text: str, size: float, max_w: float, style: str = "") -> list[str]:
    """Greedy word wrap to `max_w` mm."""
    lines, cur = [], ""
    for word in text.split():
        cand = f"{cur} {word}".strip()
        if cur and width(cand, size, style) > max_w:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    return [*lines, cur] if cur else lines


def money_text(c: np.ndarray) -> np.ndarray:
    """Integer cents as '$1,234.56' strings, for a whole column at once."""
    c = np.asarray(c, dtype="int64")
    whole = pd.Series(np.abs(c) // 100).map("{:,}".format).to_numpy(dtype=object)
    frac = pd.Series(np.abs(c) % 100).map("{:02d}".format).to_numpy(dtype=object)
    sign = np.where(c < 0, "-$", "$").astype(object)
    return sign + whole + "." + frac


def _zip(z: object) -> str:
    z = _t(z)
    return f"{z[:5]}-{z[5:]}" if len(z) == 9 and z.isdigit() else z


def _phone(ph: object) -> str:
    d = "".join(ch for ch in _t(ph) if ch.isdigit())
    return f"({d[:3]}) {d[3:6]}-{d[6:]}" if len(d) == 10 else _t(ph)


def _city_line(city: object, state: object, zip_: object) -> str:
    c = _t(city)
    return " ".join(x for x in [f"{c}," if c else "", _t(state), _zip(zip_)] if x)


class Layout:
    """Text placed per statement; practice lines and messages prepared once per run."""

    def __init__(self, practice: PracticeSettings) -> None:
        p = practice
        self.name = _t(p.billing_name or "Your clinic")
        self.header = [x for x in [_t(p.billing_address),
                                   _city_line(p.billing_city, p.billing_state, p.billing_zip),
                                   f"Phone {_phone(p.billing_phone)}" if p.billing_phone else ""]
                       if x]
        remit_name = _t(p.remit_name or p.billing_name or "")
        if p.remit_address:
            self.remit = [remit_name, *[_t(x.strip()) for x in str(p.remit_address).split(";")]]
        else:
            self.remit = [remit_name, *self.header[:2]]
        self._wrapped: dict[str, list[str]] = {}

    def message(self, text: str, style: str = "") -> list[str]:
        key = style + text
        if key not in self._wrapped:
            self._wrapped[key] = wrap(_t(text), 10, RIGHT - LEFT, style)
        return self._wrapped[key]


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="Letter")
        self.set_auto_page_break(auto=False)
        self.set_compression(True)
        self.set_draw_color(0)
        self.set_line_width(0.2)


def _txt(pdf: FPDF, x: float, y: float, s: str, size: float, style: str = "",
         align: str = "L") -> None:
    if pdf.font_style != style or pdf.font_size_pt != size:
        pdf.set_font("Helvetica", style, size)
    if align == "R":
        x -= width(s, size, style)
    elif align == "C":
        x -= width(s, size, style) / 2
    pdf.text(x, y, s)


def _table_header(pdf: FPDF, y: float) -> float:
    pdf.set_fill_color(220, 230, 241)
    pdf.rect(LEFT, y - 4, RIGHT - LEFT, 5.5, style="F")
    pdf.set_fill_color(0)
    for h, x0, x1, al in COLS:
        _txt(pdf, x1 if al == "R" else x0, y, h, 8.5, "B", al)
    return y + 6


def draw(pdf: FPDF, lay: Layout, st: Mapping, rows: list[list[str]], totals: list[str],
         number: str, as_of: pd.Timestamp) -> None:
    """Add one patient's statement (one or more pages) to `pdf`.

    `rows` are the itemized lines as display strings in COLS order; `totals` the five
    amount totals (charge .. balance due).
    """
    pdf.add_page()
    due = fmt(st["due_c"])
    _txt(pdf, LEFT, TOP + 4, lay.name, 14, "B")
    _txt(pdf, RIGHT, TOP + 4, "STATEMENT", 16, "B", "R")
    right = [f"Statement date: {as_of:%m/%d/%Y}", f"Account #: {_t(st['patient'])}",
             f"Statement #: {number}"]
    y = TOP + 10
    for i in range(max(len(lay.header), len(right) + 1)):
        if i < len(lay.header):
            _txt(pdf, LEFT, y, lay.header[i], 9)
        if i < len(right):
            _txt(pdf, RIGHT, y, right[i], 9, "", "R")
        elif i == len(right):
            _txt(pdf, RIGHT, y, f"Amount due: {due}", 9, "B", "R")
        y += 4.5
    y += 8
    name = f"{_t(st['first_name'])} {_t(st['last_name'])}".strip()
    for line in (name, _t(st["address"]), _city_line(st["city"], st["state"], st["zip"])):
        if line:
            _txt(pdf, LEFT, y, line, 10)
            y += 5
    y = _table_header(pdf, y + 8)
    for r in rows:
        if y > BOTTOM:
            pdf.add_page()
            _txt(pdf, LEFT, TOP + 4, f"Account # {_t(st['patient'])}, statement {number} "
                 "(continued)", 9)
            y = _table_header(pdf, TOP + 12)
        for (_, x0, x1, al), v in zip(COLS, r, strict=True):
            _txt(pdf, x1 if al == "R" else x0, y, v, 8.5, "", al)
        y += ROW
    pdf.line(LEFT, y - 3, RIGHT, y - 3)
    _txt(pdf, LEFT, y + 1, "Totals", 8.5, "B")
    for (_, _, x1, _), v in zip(COLS[3:], totals, strict=True):
        _txt(pdf, x1, y + 1, v, 8.5, "B", "R")
    y += 10
    style = "B" if st["level"] >= 2 else ""
    msg = lay.message(st["dunning"], style)
    if y + 78 + 5 * len(msg) > BOTTOM + 12:
        pdf.add_page()
        y = TOP + 6
    _txt(pdf, LEFT, y, "Your balance by age", 9, "B")
    w = (RIGHT - LEFT) / (len(BUCKETS) + 1)
    pdf.rect(LEFT, y + 1.5, RIGHT - LEFT, 10)
    pdf.line(LEFT, y + 6.5, RIGHT, y + 6.5)
    labels = [*BUCKETS, "Total due"]
    for i, b in enumerate(labels):
        if i:
            pdf.line(LEFT + w * i, y + 1.5, LEFT + w * i, y + 11.5)
        _txt(pdf, LEFT + w * i + w / 2, y + 5.3, "0-30 days" if b == "Current" else b, 8.5,
             "B", "C")
    for i, b in enumerate(labels):
        amount = fmt(st[b]) if b in st else due
        _txt(pdf, LEFT + w * i + w / 2, y + 10.3, amount, 9, "B" if b == "Total due" else "",
             "C")
    y += 20
    for line in msg:
        _txt(pdf, LEFT, y, line, 10, style)
        y += 5
    _remit_slip(pdf, lay, st, number, as_of, due, y + 4)


def _remit_slip(pdf: FPDF, lay: Layout, st: Mapping, number: str, as_of: pd.Timestamp,
                due: str, y: float) -> None:
    pdf.set_dash_pattern(dash=1, gap=1)
    pdf.line(LEFT, y, RIGHT, y)
    pdf.set_dash_pattern()
    _txt(pdf, (LEFT + RIGHT) / 2, y + 4, "Please detach and return this part with your "
         "payment.", 8, "", "C")
    y += 11
    _txt(pdf, LEFT, y, "Make checks payable and mail to:", 9, "B")
    info = [f"Account #: {_t(st['patient'])}", f"Statement #: {number}",
            f"Statement date: {as_of:%m/%d/%Y}", f"Amount due: {due}",
            "Amount enclosed: $__________"]
    for i, line in enumerate(info):
        _txt(pdf, 120, y + 5 * i, line, 9, "B" if i in (0, 3) else "")
    for i, line in enumerate(lay.remit):
        _txt(pdf, LEFT, y + 5 * (i + 1), line, 9)


def _save(pdf: FPDF, path: Path) -> None:
    """Write to a temporary name beside `path`, then move it into place."""
    fd, tmp = tempfile.mkstemp(prefix=".~claimbook-", suffix=".pdf", dir=path.parent)
    os.close(fd)
    try:
        pdf.output(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _item_strings(items: pd.DataFrame) -> tuple[list[list[str]], np.ndarray]:
    """Display strings of every itemized line (COLS order), and the cents to total."""
    amounts = ["charge_c", "ins_paid_c", "adjust_c", "patient_paid_c", "balance_c"]
    cols = [pd.to_datetime(items["dos"]).dt.strftime("%m/%d/%Y").fillna("").to_numpy(object),
            items["claim_id"].map(_t).to_numpy(object),
            items["service"].map(_t).to_numpy(object),
            *[money_text(items[c].to_numpy()) for c in amounts]]
    rows = np.column_stack(cols).tolist() if len(items) else []
    return rows, items[amounts].to_numpy(dtype="int64")


def render(run: StatementRun, practice: PracticeSettings, out_dir: str | os.PathLike, *,
           per_patient: bool = True) -> list[Path]:
    """Write `statement-<account>.pdf` per patient and `statements-<date>.pdf` (all of them).

    Files are named by account number only (no patient names). Returns the paths written,
    the combined file first.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lay = Layout(practice)
    numbers = statement_numbers(run).to_numpy()
    st = run.statements
    items = run.items.sort_values(["patient", "dos", "claim_id", "line_no"], kind="stable")
    items = items[items["patient"].isin(st["patient"])]
    rows, cents = _item_strings(items)
    pat = items["patient"].to_numpy()
    lo = np.searchsorted(pat, st["patient"].to_numpy(), side="left")
    hi = np.searchsorted(pat, st["patient"].to_numpy(), side="right")
    combined = _Doc()
    combined.set_title(f"Patient statements {run.as_of:%Y-%m-%d}")
    files: list[Path] = []
    for i, rec in enumerate(st.to_dict("records")):
        r = rows[lo[i]:hi[i]]
        totals = [fmt(x) for x in cents[lo[i]:hi[i]].sum(axis=0)]
        draw(combined, lay, rec, r, totals, numbers[i], run.as_of)
        if per_patient:
            one = _Doc()
            draw(one, lay, rec, r, totals, numbers[i], run.as_of)
            safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(rec["patient"]))
            p = out / f"statement-{safe}.pdf"
            _save(one, p)
            files.append(p)
    path = out / f"statements-{run.as_of:%Y-%m-%d}.pdf"
    if len(st):
        _save(combined, path)
        files.insert(0, path)
    run.files = files
    return files
