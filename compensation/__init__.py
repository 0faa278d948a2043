"""compensation: game theory and optimisation for compensation inside medical consortia.

Layers, imports pointing one way: domain model (:mod:`~compensation.parameters`,
:mod:`~compensation.flow`, :mod:`~compensation.payoffs`) → game builders
(:mod:`~compensation.games`) → generic solvers (:mod:`~compensation.equilibria`,
:mod:`~compensation.evolution`) → policy design (:mod:`~compensation.thresholds`,
:mod:`~compensation.response`, :mod:`~compensation.stackelberg`,
:mod:`~compensation.coopetition`) → presentation (:mod:`compensation.plotting`, not imported
here so that ``import compensation`` never imports matplotlib).
"""

from .allocation import Allocation, split_surplus
from .calibration import (
    CalibrationResult,
    calibrate,
    down_referrals,
    leader_volume_growth,
    primary_share,
    referral_growth,
)
from .contracts import ContractCashFlows, ContractSchedule
from .cooperative import (
    LeastCore,
    ShapleyValue,
    TUGame,
    core_is_empty,
    egalitarian,
    in_core,
    least_core,
    nash_bargaining,
    nucleolus,
    proportional,
    shapley_value,
)
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
from .exceptions import (
    ConvergenceError,
    InfeasibleError,
    NotIdentifiedWarning,
    PoorFitWarning,
    SweepError,
)
from .flow import logit_intercept_for, price_gap, shift_share, shifted_visits
from .games import (
    Advantages,
    advantages,
    coalition_values,
    evolutionary_game,
    grid_game,
    sinking_game,
    sinking_matrices,
    tripartite_game,
)
from .parameters import Parameters
from .payoffs import Payoffs, objectives, payoffs, sinking_cost
from .response import best_sinking
from .scores import PerformanceScores, performance_scores
from .sensitivity import TornadoBar, elasticities, tornado
from .settlement import Settlement, SettlementRule, capitation_budget, settle
from .stackelberg import SubsidyDesign, optimal_subsidy
from .sweep import SweepResult, sweep
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
    # bundled payment
    "ContractCashFlows",
    "ContractSchedule",
    "PerformanceScores",
    "Settlement",
    "SettlementRule",
    "capitation_budget",
    "performance_scores",
    "settle",
    # games
    "Advantages",
    "advantages",
    "coalition_values",
    "evolutionary_game",
    "grid_game",
    "sinking_game",
    "sinking_matrices",
    "tripartite_game",
    # generic solvers
    "BasinShares",
    "Equilibria",
    "LeastCore",
    "RestPoint",
    "RestPoints",
    "ShapleyValue",
    "Stability",
    "TUGame",
    "ThreePopulationGame",
    "TwoByTwoSolution",
    "basin_shares",
    "core_is_empty",
    "egalitarian",
    "in_core",
    "least_core",
    "nash_bargaining",
    "nash_equilibria",
    "nucleolus",
    "proportional",
    "regret",
    "replicator_rest_points",
    "shapley_value",
    "simulate_replicator",
    "solve_2x2",
    # policy design
    "Allocation",
    "CoopetitionResult",
    "PriceInterval",
    "SplitWindow",
    "SubsidyDesign",
    "acceptable_prices",
    "best_sinking",
    "coopetition_equilibrium",
    "optimal_subsidy",
    "split_surplus",
    "subsidy_split_window",
    "threshold_price",
    "threshold_subsidy",
    # analysis
    "CalibrationResult",
    "SweepResult",
    "TornadoBar",
    "calibrate",
    "down_referrals",
    "elasticities",
    "leader_volume_growth",
    "primary_share",
    "referral_growth",
    "sweep",
    "tornado",
    # errors
    "ConvergenceError",
    "InfeasibleError",
    "NotIdentifiedWarning",
    "PoorFitWarning",
    "SweepError",
]
