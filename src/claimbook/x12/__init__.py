"""X12 EDI: shared tokenizer (tokens.py), 837P writer/importer, 835 reader, 270/271."""
