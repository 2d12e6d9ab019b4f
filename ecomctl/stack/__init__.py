"""The stack definition: which infrastructure and services make up a platform."""
