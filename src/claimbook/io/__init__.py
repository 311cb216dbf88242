"""Workbook I/O: read tables (python-calamine), write result sheets (openpyxl)."""
