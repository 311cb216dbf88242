"""ClaimBook: a billing engine for small clinics that work in Excel.

The engine works on pandas tables; see claimbook.io for workbooks, claimbook.pipeline for
`claimbook run`, and the capability modules (validate, scrub, x12, reconcile...) for the rest.
"""

__version__ = "0.1.0"
