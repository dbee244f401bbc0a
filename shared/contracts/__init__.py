"""Payload models of the published contract: what goes in an envelope's `data` per topic.

Inbound payloads follow ../shared/contracts.md to the letter. Outbound payloads are the
project's design and are documented in each service's AsyncAPI document.
"""
