"""Code sets: ICD-10-CM by fiscal year, procedure-code formats, modifiers, POS, NPI, NDC.

Loaded lazily from the compact files in claimbook/data/codesets (built by
scripts/build_codesets.py), never from the big tabular XML. `lookup()` is the coordinator's
quick check (and the Excel functions'); claimbook.validate uses the vectorized helpers.
"""

from __future__ import annotations

from claimbook.codesets.icd import fiscal_year, icd_table
from claimbook.codesets.lookup import lookup, npi_valid
from claimbook.codesets.reference import POS_CODES, luhn_npi_ok

__all__ = ["POS_CODES", "fiscal_year", "icd_table", "lookup", "luhn_npi_ok", "npi_valid"]
