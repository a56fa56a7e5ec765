"""ganrt's own StyleGAN2 and StyleGAN3 generators (written from the papers and the network-pickle
format, not from NVlabs' code), built from a pickle's records with its weights by name."""
