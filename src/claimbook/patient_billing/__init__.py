"""Patient billing: balances after insurance, patient payments, statements, plans, disputes.

All amounts inside are integer cents (columns ending in `_c`); dollars only at the edges
(sheets, PDFs).
"""
