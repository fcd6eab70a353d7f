"""Running the pipeline: the audit itself, and the processes that share its work."""
