"""Communications-plan tracker for the Ministry of Home Affairs (Bộ Nội vụ)."""

__version__ = "0.1.0"
