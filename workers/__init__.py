"""copyflow: streaming, event-driven content workers for e-commerce."""

__version__ = "0.1.0"
