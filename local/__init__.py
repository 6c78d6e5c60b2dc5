"""Local API Gateway emulation on emulated AWS (moto), for `make local` and end-to-end tests."""
