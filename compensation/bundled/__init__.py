"""Bundled payment (MODEL.md §6–7): settlement, contracts, performance scores, surplus split."""
