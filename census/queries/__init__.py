"""Read models: one way to read the records, kept up to date by the writes."""
