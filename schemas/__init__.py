"""What crosses Kafka: records, the one decoder of raw input, and the published JSON Schemas.

No I/O, no app, no environment. Imports nothing from ``streams`` or ``agents``.
"""
