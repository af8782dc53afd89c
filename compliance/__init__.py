"""segproof: Kubernetes network segmentation as audit evidence."""

__version__ = "0.1.0"
