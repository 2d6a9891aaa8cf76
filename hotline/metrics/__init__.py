"""Prometheus metrics at ``GET /metrics`` (docs/deploy.md, "Metrics").

``series`` holds the counters and histograms the code moves as things happen (in multiprocess
mode, ``PROMETHEUS_MULTIPROC_DIR``, each worker writes them to that directory and a scrape sums
them); ``collector`` computes at scrape time what the database and the running bridges know
(overdue tickets, today's calls, the outbox backlog, AMI and speech state); ``views`` serves
both behind a bearer token. No label ever carries personal data: routes are templates, never
paths, and the other labels are fixed vocabularies (action, channel, job, outcome)."""
