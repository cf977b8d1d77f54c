"""The Kafka edge: the only modules that talk to a broker."""
