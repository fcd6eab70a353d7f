"""Reading logs: files and streams into records, records into normalized requests."""
