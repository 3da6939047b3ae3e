"""Stage 1, the contract: the schemas in ``schemas/`` loaded once, and what is read off them."""
