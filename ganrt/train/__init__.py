"""GAN training of the reference generators on synthetic video (runs on a CPU)."""
