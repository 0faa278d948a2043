"""compensation: game theory and optimisation for compensation inside medical consortia.

Layers, imports pointing one way: domain model (:mod:`~compensation.parameters`,
:mod:`~compensation.flow`, :mod:`~compensation.payoffs`) → game builders
(:mod:`~compensation.games`) → generic solvers (:mod:`~compensation.equilibria`,
:mod:`~compensation.evolution`) → policy design (:mod:`~compensation.thresholds`,
:mod:`~compensation.response`, :mod:`~compensation.stackelberg`,
:mod:`~compensation.coopetition`) → presentation (:mod:`compensation.plotting`, not imported
here so that ``import compensation`` never imports matplotlib).
"""

from .coopetition import CoopetitionResult, coopetition_equilibrium
from .equilibria import Equilibria, TwoByTwoSolution, nash_equilibria, regret, solve_2x2
from .evolution import (
    BasinShares,
    RestPoint,
    RestPoints,
    Stability,
    ThreePopulationGame,
    basin_shares,
    replicator_rest_points,
    simulate_replicator,
)
from .exceptions import InfeasibleError, NotIdentifiedWarning
from .flow import logit_intercept_for, price_gap, shift_share, shifted_visits
from .games import (
    Advantages,
    advantages,
    evolutionary_game,
    grid_game,
    sinking_game,
    sinking_matrices,
    tripartite_game,
)
from .parameters import Parameters
from .payoffs import Payoffs, objectives, payoffs, sinking_cost
from .response import best_sinking
from .stackelberg import SubsidyDesign, optimal_subsidy
from .thresholds import (
    PriceInterval,
    SplitWindow,
    acceptable_prices,
    subsidy_split_window,
    threshold_price,
    threshold_subsidy,
)

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
    "evolutionary_game",
    "grid_game",
    "sinking_game",
    "sinking_matrices",
    "tripartite_game",
    # generic solvers
    "BasinShares",
    "Equilibria",
    "RestPoint",
    "RestPoints",
    "Stability",
    "ThreePopulationGame",
    "TwoByTwoSolution",
    "basin_shares",
    "nash_equilibria",
    "regret",
    "replicator_rest_points",
    "simulate_replicator",
    "solve_2x2",
    # policy design
    "CoopetitionResult",
    "PriceInterval",
    "SplitWindow",
    "SubsidyDesign",
    "acceptable_prices",
    "best_sinking",
    "coopetition_equilibrium",
    "optimal_subsidy",
    "subsidy_split_window",
    "threshold_price",
    "threshold_subsidy",
    # errors
    "InfeasibleError",
    "NotIdentifiedWarning",
]
