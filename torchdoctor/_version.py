"""The doctor's own version, in a module of its own so that every layer can read it without
importing the package's lazy front door."""

__version__ = "0.1.0"
