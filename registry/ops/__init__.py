"""What operators watch: ``metrics`` (Prometheus) and ``logs`` (text or JSON lines, the
request id of each line, slow statements)."""
