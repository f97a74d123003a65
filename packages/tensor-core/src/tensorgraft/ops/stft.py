"""Short-time Fourier transform: ``stft``/``istft`` (filled in below)."""
