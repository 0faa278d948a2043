"""Policy design (MODEL.md §5, §9–10).

Thresholds, best responses, Stackelberg subsidy design, co-opetition and the consortium's
coalition values.
"""
