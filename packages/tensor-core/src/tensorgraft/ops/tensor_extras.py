"""PyTorch's smaller tensor functions that no other family covers (filled in below)."""
