"""Generic solvers: bimatrix equilibria, replicator dynamics, TU-game solutions, LP helpers.

They know nothing of :class:`~compensation.Parameters` and are tested on textbook games.
"""
