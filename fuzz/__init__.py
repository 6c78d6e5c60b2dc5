"""Hostile-input fuzz of the endpoint: signed requests through the local API Gateway, events into the handler.

- :mod:`fuzz.tokens` harvests real ``nextToken`` values by walking the listings, and makes hostile ones
  from them (truncated, edited, forged with a valid checksum, deeply nested, huge);
- :mod:`fuzz.http_cases` and :mod:`fuzz.event_cases` generate hostile HTTP requests and Lambda events from a
  seeded random generator;
- :mod:`fuzz.oracle` judges every answer: no 5xx, a JSON ``{"message": ...}`` or a page, no leak (traceback,
  ARN, account id, file path, class name) that the request did not carry itself, no dropped connection;
- :mod:`fuzz.runner` sends them and counts the figures.

``make fuzz`` (``python -m fuzz``) runs the long fuzz; ``tests/e2e/test_hostile_fuzz.py`` a bounded one in
CI. Nothing here is needed by the deployed function.
"""
