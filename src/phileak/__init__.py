"""phileak: find patient data leaking from a health organisation's own estate."""

__version__ = "0.1.0"
