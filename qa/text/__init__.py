"""Pure text rules shared by ingest and search: sentences, dates, terms. No I/O, no model."""
