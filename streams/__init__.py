"""How one value is transformed: sentiment, extraction, enrichment (and later window folds,
influence scoring and the crisis detector). Pure and synchronous: no Faust app, no Kafka, no clock,
no environment. Imports only ``schemas``.
"""
