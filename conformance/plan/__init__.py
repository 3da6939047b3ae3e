"""Stage 2, the plan: which requests a run sends, and what the contract says each must get back."""
