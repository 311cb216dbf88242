"""Shared fixtures: a small demo clinic written once per session, LibreOffice helpers."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

AS_OF = dt.date(2026, 11, 29)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def soffice_convert(src: Path, fmt: str, outdir: Path) -> Path:
    """Convert with headless LibreOffice; returns the converted file."""
    if not SOFFICE:
        pytest.skip("headless LibreOffice is not installed (apt-get install -y "
                    "libreoffice-calc-nogui); .ci/run installs it")
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / "lo-profile"
    proc = subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), str(src)],
        capture_output=True, text=True, timeout=240)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    assert proc.returncode == 0 and out.exists(), (proc.stdout, proc.stderr)
    return out


@pytest.fixture(scope="session")
def demo_small(tmp_path_factory) -> "object":
    """A 300-claim demo clinic with seeded defects (generated once)."""
    from claimbook.demo import generate

    out = tmp_path_factory.mktemp("demo_small")
    return generate(out, claims=300, seed=7, defects=True, as_of=AS_OF)


@pytest.fixture(scope="session")
def demo_default(tmp_path_factory) -> "object":
    """The default-size demo clinic (2,000 claims) with seeded defects."""
    from claimbook.demo import generate

    out = tmp_path_factory.mktemp("demo_default")
    return generate(out, claims=2000, seed=42, defects=True, as_of=AS_OF)


@pytest.fixture(scope="session")
def demo_clean(tmp_path_factory) -> "object":
    """A demo clinic with no seeded defects."""
    from claimbook.demo import generate

    out = tmp_path_factory.mktemp("demo_clean")
    return generate(out, claims=600, seed=11, defects=False, as_of=AS_OF)
