"""ecomctl: generate, run, test and operate an e-commerce microservices platform."""

__version__ = "0.1.0"
