"""torchdoctor: a command-line doctor for PyTorch installs.

The package never imports torch in its own process: torch is what it examines.
"""

__version__ = "0.1.0"
