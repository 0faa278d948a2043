"""compensation: game theory and optimisation for compensation inside medical consortia.

Layers, imports pointing one way: domain model (:mod:`~compensation.parameters`,
:mod:`~compensation.flow`, :mod:`~compensation.payoffs`) → game builders
(:mod:`~compensation.games`) → generic solvers (:mod:`~compensation.equilibria`) → policy design
(:mod:`~compensation.thresholds`, :mod:`~compensation.response`,
:mod:`~compensation.stackelberg`).
"""

from .equilibria import Equilibria, TwoByTwoSolution, nash_equilibria, regret, solve_2x2
from .exceptions import InfeasibleError, NotIdentifiedWarning
from .flow import logit_intercept_for, price_gap, shift_share, shifted_visits
from .games import Advantages, advantages, grid_game, sinking_game, sinking_matrices
from .parameters import Parameters
from .payoffs import Payoffs, objectives, payoffs, sinking_cost
from .response import best_sinking
from .stackelberg import SubsidyDesign, optimal_subsidy
from .thresholds import PriceInterval, acceptable_prices, threshold_price, threshold_subsidy

__version__ = "0.1.0"

__all__ = [
    # model
    "Parameters",
    "Payoffs",
    "logit_intercept_for",
    "objectives",
    "payoffs",
    "price_gap",
    "shift_share",
    "shifted_visits",
    "sinking_cost",
    # games
    "Advantages",
    "advantages",
    "grid_game",
    "sinking_game",
    "sinking_matrices",
    # generic solvers
    "Equilibria",
    "TwoByTwoSolution",
    "nash_equilibria",
    "regret",
    "solve_2x2",
    # policy design
    "PriceInterval",
    "SubsidyDesign",
    "acceptable_prices",
    "best_sinking",
    "optimal_subsidy",
    "threshold_price",
    "threshold_subsidy",
    # errors
    "InfeasibleError",
    "NotIdentifiedWarning",
]
