"""The notify service's domain: which events reach citizens, with what text, when and how.

Pure: no Kafka, no database, no network, no clock. Callers pass the time and the random
source in, so every decision here is reproducible in a test.
"""
