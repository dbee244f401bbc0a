"""The local stack without Docker: real Kafka and FerretDB fetched into `.local/`, plus
SMTP and SMS-gateway sinks (see `deploy.local.stack`)."""
