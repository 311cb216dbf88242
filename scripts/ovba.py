"""Write an Office VBA project (vbaProject.bin) from VBA source text, per [MS-OVBA] and [MS-CFB].

The project is source-only: `_VBA_PROJECT` is the 7-byte form the specification prescribes for
writers (version 0xFFFF, no performance cache) and every module stream holds only its
compressed source at offset 0, so Excel compiles the code when it opens the file. xlwings' own
template workbooks are built the same way (their `_VBA_PROJECT` is the same 7 bytes).

Pieces: `compress` (2.4.1 RLE/LZ compression), `encrypt` (2.4.3 data encryption for the
CMG/DPB/GC lines of the PROJECT stream), `dir_stream`, `project_stream`, and `cfb` (a minimal
compound file writer: version 3, 512-byte sectors, mini stream for small streams, balanced
red-black directory trees). Output is byte-for-byte reproducible.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
CODEPAGE = 1252
EXCEL_WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
EXCEL_SHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
REFERENCES = (
    ("stdole", ("*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
                "C:\\Windows\\System32\\stdole2.tlb#OLE Automation")),
    ("Office", ("*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
                "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL#"
                "Microsoft Office 16.0 Object Library")),
)


@dataclass(frozen=True)
class Module:
    name: str
    kind: str  # "module" (standard), "class", "document"
    code: str  # source without Attribute lines (they are generated)
    attributes: tuple[str, ...] = ()  # extra Attribute lines (e.g. VB_Description)


# --- 2.4.1 compression -------------------------------------------------------------------------

def _copy_token_help(pos: int) -> tuple[int, int, int]:
    bit_count = max((pos - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    return length_mask, 16 - bit_count, length_mask + 3


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    i, n = 0, len(chunk)
    while i < n:
        flag_pos = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if i >= n:
                break
            best_len, best_off = 0, 0
            if i > 0 and i + 3 <= n:
                _, _, max_len = _copy_token_help(i)
                limit = min(max_len, n - i)
                for cand in reversed(heads.get(chunk[i:i + 3], [])[-48:]):
                    length = 3
                    while length < limit and chunk[cand + length] == chunk[i + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, i - cand
                        if length == limit:
                            break
            if best_len >= 3:
                _, shift, _ = _copy_token_help(i)
                token = ((best_off - 1) << shift) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                for k in range(i, i + best_len):
                    heads.setdefault(chunk[k:k + 3], []).append(k)
                i += best_len
            else:
                out.append(chunk[i])
                heads.setdefault(chunk[i:i + 3], []).append(i)
                i += 1
        out[flag_pos] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1.3.6 compression of a whole stream."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) > 4096 and len(chunk) == 4096:
            out += struct.pack("<H", 0x3FFF) + chunk  # raw chunk
        else:
            assert len(body) <= 4096, "incompressible partial chunk"
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


# --- 2.4.3 data encryption (CMG, DPB, GC) --------------------------------------------------------

def encrypt(data: bytes, project_id: str, seed: int) -> str:
    """Encrypt per [MS-OVBA] 2.4.3.2; returns the hex text written in the PROJECT stream."""
    version = 2
    proj_key = sum(project_id.encode("latin-1")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ proj_key])
    unenc1, enc1, enc2 = proj_key, seed ^ proj_key, seed ^ version
    ignored = (seed & 6) // 2
    for value in [0] * ignored + list(struct.pack("<I", len(data))) + list(data):
        b = ((enc2 + unenc1) & 0xFF) ^ value
        out.append(b)
        enc2, enc1, unenc1 = enc1, b, value
    return out.hex().upper()


def decrypt(text: str) -> tuple[bytes, int]:
    """Inverse of `encrypt` (for tests): (data, project key)."""
    raw = bytes.fromhex(text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    proj_key = seed ^ proj_key_enc
    assert seed ^ version_enc == 2
    unenc1, enc1, enc2 = proj_key, proj_key_enc, version_enc
    vals = []
    for b in raw[3:]:
        v = b ^ ((enc2 + unenc1) & 0xFF)
        vals.append(v)
        enc2, enc1, unenc1 = enc1, b, v
    ignored = (seed & 6) // 2
    length = struct.unpack("<I", bytes(vals[ignored:ignored + 4]))[0]
    return bytes(vals[ignored + 4:ignored + 4 + length]), proj_key


# --- streams ----------------------------------------------------------------------------------------

def _rec(rid: int, body: bytes) -> bytes:
    return struct.pack("<HI", rid, len(body)) + body


def _mbcs(s: str) -> bytes:
    return s.encode("cp1252")


def _u16(s: str) -> bytes:
    return s.encode("utf-16-le")


def dir_stream(modules: list[Module], name: str = "VBAProject") -> bytes:
    """The uncompressed `dir` stream ([MS-OVBA] 2.3.4.2)."""
    d = bytearray()
    d += _rec(0x0001, struct.pack("<I", 3))  # SysKind: 64-bit Windows (recompiled anywhere)
    d += _rec(0x0002, struct.pack("<I", 0x0409))
    d += _rec(0x0014, struct.pack("<I", 0x0409))
    d += _rec(0x0003, struct.pack("<H", CODEPAGE))
    d += _rec(0x0004, _mbcs(name))
    d += _rec(0x0005, b"") + _rec(0x0040, b"")
    d += _rec(0x0006, b"") + _rec(0x003D, b"")
    d += _rec(0x0007, struct.pack("<I", 0))
    d += _rec(0x0008, struct.pack("<I", 0))
    d += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # version 1.0 (Reserved field is always 4)
    d += _rec(0x000C, b"") + _rec(0x003C, b"")
    for ref_name, libid in REFERENCES:
        d += _rec(0x0016, _mbcs(ref_name)) + _rec(0x003E, _u16(ref_name))
        lib = _mbcs(libid)
        d += _rec(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    d += _rec(0x000F, struct.pack("<H", len(modules)))
    d += _rec(0x0013, struct.pack("<H", 0xFFFF))
    for m in modules:
        d += _rec(0x0019, _mbcs(m.name)) + _rec(0x0047, _u16(m.name))
        d += _rec(0x001A, _mbcs(m.name)) + _rec(0x0032, _u16(m.name))
        d += _rec(0x001C, b"") + _rec(0x0048, b"")
        d += _rec(0x0031, struct.pack("<I", 0))  # source at offset 0: no p-code cache
        d += _rec(0x001E, struct.pack("<I", 0))
        d += _rec(0x002C, struct.pack("<H", 0xFFFF))
        d += _rec(0x0021 if m.kind == "module" else 0x0022, b"")
        d += _rec(0x002B, b"")
    d += _rec(0x0010, b"")
    return bytes(d)


def module_source(m: Module) -> str:
    """The stored source: Attribute lines first, then the code, CRLF line ends."""
    attrs = [f'Attribute VB_Name = "{m.name}"']
    if m.kind == "document":
        base = EXCEL_WORKBOOK_BASE if m.name == "ThisWorkbook" else EXCEL_SHEET_BASE
        attrs += [f'Attribute VB_Base = "{base}"', "Attribute VB_GlobalNameSpace = False",
                  "Attribute VB_Creatable = False", "Attribute VB_PredeclaredId = True",
                  "Attribute VB_Exposed = True", "Attribute VB_TemplateDerived = False",
                  "Attribute VB_Customizable = True"]
    elif m.kind == "class":
        attrs += [f'Attribute VB_Base = "{CLASS_BASE}"', "Attribute VB_GlobalNameSpace = False",
                  "Attribute VB_Creatable = False", "Attribute VB_PredeclaredId = False",
                  "Attribute VB_Exposed = True", "Attribute VB_TemplateDerived = False",
                  "Attribute VB_Customizable = False"]
    attrs += list(m.attributes)
    code = m.code.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    text = "\r\n".join(attrs) + "\r\n" + (code.replace("\n", "\r\n") + "\r\n" if code else "")
    return text


def parse_bas(text: str, kind: str | None = None) -> Module:
    """A module from an exported .bas/.cls file (Attribute VB_Name gives its name)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("VERSION 1.0 CLASS"):
        end = lines.index("END")
        lines = lines[end + 1:]
        kind = kind or "class"
    name, attrs, body = None, [], []
    head = True
    for line in lines:
        if head and line.startswith("Attribute "):
            if line.startswith("Attribute VB_Name"):
                name = line.split("=", 1)[1].strip().strip('"')
            elif not any(line.startswith(f"Attribute VB_{a}") for a in (
                    "GlobalNameSpace", "Creatable", "PredeclaredId", "Exposed", "Base",
                    "TemplateDerived", "Customizable")):
                attrs.append(line)
            continue
        head = False
        body.append(line)
    if name is None:
        raise ValueError("the module has no 'Attribute VB_Name' line")
    return Module(name, kind or "module", "\n".join(body), tuple(attrs))


def project_id(seed_text: str) -> str:
    """A stable project GUID derived from a text (reproducible builds)."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, seed_text)).upper() + "}"


def project_stream(modules: list[Module], pid: str, name: str = "VBAProject") -> bytes:
    lines = [f'ID="{pid}"']
    for m in modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    lines += [f'Name="{name}"', 'HelpContextID="0"', 'VersionCompatible32="393222000"',
              f'CMG="{encrypt(bytes(4), pid, 0x11)}"',
              f'DPB="{encrypt(bytes(1), pid, 0x23)}"',
              f'GC="{encrypt(bytes([0xFF]), pid, 0x35)}"', "",
              "[Host Extender Info]",
              "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000", "",
              "[Workspace]"]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def projectwm_stream(modules: list[Module]) -> bytes:
    out = bytearray()
    for m in modules:
        out += _mbcs(m.name) + b"\x00" + _u16(m.name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def vba_project(modules: list[Module], seed_text: str) -> bytes:
    """The whole vbaProject.bin for these modules."""
    pid = project_id(seed_text)
    vba = {"_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x01\x00",
           "dir": compress(dir_stream(modules))}
    for m in modules:
        vba[m.name] = compress(module_source(m).encode("cp1252", errors="replace"))
    return cfb({"PROJECT": project_stream(modules, pid), "PROJECTwm": projectwm_stream(modules),
                "VBA": vba})


# --- [MS-CFB] compound file writer ----------------------------------------------------------------

@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[int] | None = None
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = 1  # 0 red, 1 black
    start: int = ENDOFCHAIN


def _cfb_key(name: str) -> tuple[int, str]:
    return (len(name), name.upper())


def _tree(entries: list[_Entry], ids: list[int]) -> int:
    """Balanced binary search tree of sibling ids; deepest level red, the rest black."""
    ids = sorted(ids, key=lambda i: _cfb_key(entries[i].name))
    depth: dict[int, int] = {}

    def build(lo: int, hi: int, d: int) -> int:
        if lo > hi:
            return NOSTREAM
        mid = (lo + hi + 1) // 2
        node = ids[mid]
        depth[node] = d
        entries[node].left = build(lo, mid - 1, d + 1)
        entries[node].right = build(mid + 1, hi, d + 1)
        return node

    root = build(0, len(ids) - 1, 0)
    if depth:
        deepest = max(depth.values())
        full = all(len([n for n in depth.values() if n == k]) == 2 ** k
                   for k in range(deepest + 1))
        for node, d in depth.items():
            entries[node].color = 0 if (d == deepest and deepest > 0 and not full) else 1
    return root


def cfb(tree: dict[str, bytes | dict]) -> bytes:
    """A compound file holding `tree` (name -> bytes for a stream, dict for a storage)."""
    entries = [_Entry("Root Entry", 5)]

    def add(storage: int, items: dict) -> None:
        kids = []
        for name, value in items.items():
            idx = len(entries)
            if isinstance(value, dict):
                entries.append(_Entry(name, 1))
                kids.append(idx)
                add(idx, value)
            else:
                entries.append(_Entry(name, 2, bytes(value)))
                kids.append(idx)
        entries[storage].child = _tree(entries, kids) if kids else NOSTREAM

    add(0, tree)
    sector = 512
    mini_stream = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for e in entries:
        if e.kind != 2 or not e.data:
            continue
        if len(e.data) < 4096:
            first = len(mini_stream) // 64
            count = -(-len(e.data) // 64)
            e.start = first
            minifat += [first + k + 1 for k in range(count - 1)] + [ENDOFCHAIN]
            mini_stream += e.data + b"\x00" * (count * 64 - len(e.data))
        else:
            big.append(e)
    # sector layout: big streams, mini stream, minifat, directory, FAT
    chains: list[tuple[int, int]] = []  # (first sector, count) in order
    cursor = 0
    for e in big:
        n = -(-len(e.data) // sector)
        e.start = cursor
        chains.append((cursor, n))
        cursor += n
    mini_sectors = -(-len(mini_stream) // sector)
    mini_start = cursor if mini_sectors else ENDOFCHAIN
    if mini_sectors:
        chains.append((cursor, mini_sectors))
        cursor += mini_sectors
    minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
    minifat_sectors = -(-len(minifat_bytes) // sector)
    minifat_start = cursor if minifat_sectors else ENDOFCHAIN
    if minifat_sectors:
        chains.append((cursor, minifat_sectors))
        cursor += minifat_sectors
    dir_sectors = -(-len(entries) * 128 // sector)
    dir_start = cursor
    chains.append((cursor, dir_sectors))
    cursor += dir_sectors
    fat_sectors = 1
    while (cursor + fat_sectors) > fat_sectors * (sector // 4):
        fat_sectors += 1
    assert fat_sectors <= 109, "compound file too large for a header-only DIFAT"
    total = cursor + fat_sectors
    fat = [FREESECT] * (fat_sectors * (sector // 4))
    for first, n in chains:
        for k in range(n):
            fat[first + k] = first + k + 1 if k < n - 1 else ENDOFCHAIN
    for k in range(fat_sectors):
        fat[cursor + k] = FATSECT
    entries[0].start = mini_start
    entries[0].data = bytes(len(mini_stream))  # size only
    header = bytearray(512)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, fat_sectors, dir_start, 0, 4096,
                     minifat_start, minifat_sectors, ENDOFCHAIN, 0)
    difat = [cursor + k for k in range(fat_sectors)] + [FREESECT] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)
    body = bytearray()
    for e in big:
        body += e.data + b"\x00" * (-len(e.data) % sector)
    body += bytes(mini_stream) + b"\x00" * (-len(mini_stream) % sector)
    body += minifat_bytes + b"\xff" * (-len(minifat_bytes) % sector)
    dirs = bytearray()
    for e in entries:
        dirs += _dir_entry(e)
    while len(dirs) % sector:
        dirs += _dir_entry(None)
    body += dirs
    body += b"".join(struct.pack("<I", v) for v in fat)
    assert len(body) == total * sector
    return bytes(header) + bytes(body)


def _dir_entry(e: _Entry | None) -> bytes:
    out = bytearray(128)
    if e is None:
        struct.pack_into("<III", out, 68, NOSTREAM, NOSTREAM, NOSTREAM)
        return bytes(out)
    name = e.name.encode("utf-16-le")
    assert len(name) <= 62, e.name
    out[0:len(name)] = name
    struct.pack_into("<HBB", out, 64, len(name) + 2, e.kind, e.color)
    struct.pack_into("<III", out, 68, e.left, e.right, e.child)
    size = len(e.data) if e.kind != 1 else 0
    start = e.start if (e.kind == 5 or (e.kind == 2 and e.data)) else (
        ENDOFCHAIN if e.kind == 2 else 0)
    if e.kind == 5 and not size:
        start = ENDOFCHAIN
    struct.pack_into("<IIi", out, 116, start, size, 0)
    return bytes(out)
