"""The domain model (MODEL.md §2–4): parameters, patient flows, payoffs and the leader's problem.

The lowest layer: it imports nothing else from the package but the infrastructure modules.
"""
