"""compensation: game theory and optimisation for compensation inside medical consortia.

Layers, imports pointing down this list and never in a circle (docs/architecture.rst):

* :mod:`compensation.model` and :mod:`compensation.solvers` (siblings): parameters, patient
  flows, payoffs and the leader's problem; generic bimatrix, replicator and TU-game solvers
  that never see :class:`~compensation.Parameters`;
* :mod:`compensation.games`: builders from the model to solver inputs;
* :mod:`compensation.bundled` and :mod:`compensation.analysis` (siblings): settlement,
  contracts, scores and surplus split; calibration, sweeps and sensitivity;
* :mod:`compensation.policy`: thresholds, best responses, subsidy design, co-opetition and
  the consortium's coalition values;
* presentation: :mod:`compensation.cli` and :mod:`compensation.plotting` (the latter not
  imported here, so that ``import compensation`` never imports matplotlib).
"""

from .analysis.assumed_path import PathSensitivity, path_sensitivity
from .analysis.calibration import (
    CalibrationResult,
    calibrate,
    down_referrals,
    leader_volume_growth,
    primary_share,
    referral_growth,
)
from .analysis.draws import draw_parameters
from .analysis.global_sensitivity import MorrisResult, SobolIndices, morris_screening, sobol_indices
from .analysis.moments import implied_trend
from .analysis.sensitivity import TornadoBar, elasticities, tornado
from .analysis.stream import StreamResult, stream_sweep
from .analysis.sweep import SweepResult, sweep
from .analysis.uncertainty import PolicyUncertainty, propagate
from .bundled.allocation import Allocation, split_surplus
from .bundled.contracts import ContractCashFlows, ContractSchedule
from .bundled.scores import PerformanceScores, performance_scores
from .bundled.settlement import (
    Settlement,
    SettlementRule,
    capitation_budget,
    retained_share,
    settle,
)
from .bundled.sharing import Sharing, share_settlement
from .exceptions import (
    ConvergenceError,
    InfeasibleError,
    NotIdentifiedWarning,
    PoorFitWarning,
    SweepError,
)
from .games import (
    Advantages,
    advantages,
    evolutionary_game,
    grid_game,
    sinking_game,
    sinking_matrices,
    tripartite_game,
)
from .model.flow import logit_intercept_for, price_gap, shift_share, shifted_visits
from .model.leader_file import read_leader
from .model.members import ConsortiumPayoffs, Members, consortium_payoffs
from .model.parameters import Parameters
from .model.payoffs import Payoffs, objectives, payoffs, savings_per_visit, sinking_cost
from .policy.acceptability import AcceptabilityCurve, acceptability_curve
from .policy.allocation import SinkingAllocation, allocate_sinking
from .policy.consortium import coalition_values
from .policy.consortium_game import CoalitionValues, ConsortiumValue, consortium_game
from .policy.consortium_subsidy import ConsortiumSubsidy, consortium_subsidy
from .policy.cooperation import CooperationValue, cooperation_value
from .policy.coopetition import CoopetitionResult, coopetition_equilibrium
from .policy.member_prices import PriceEquilibrium, price_equilibrium
from .policy.participation import (
    ParticipationEquilibrium,
    deviation_gains,
    participation_equilibrium,
)
from .policy.platforms import SharedPlatforms
from .policy.response import best_sinking
from .policy.robust import RobustSubsidy, realised_welfare, robust_subsidy
from .policy.sinking_sweep import SinkingSweep, sinking_sweep
from .policy.stackelberg import SubsidyDesign, optimal_subsidy
from .policy.thresholds import (
    PriceInterval,
    SplitWindow,
    acceptable_prices,
    subsidy_split_window,
    threshold_price,
    threshold_subsidy,
)
from .solvers.bankruptcy import Bankruptcy, bankruptcy, bankruptcy_game
from .solvers.basins import BasinShares, basin_shares
from .solvers.bigboss import BigBoss, big_boss
from .solvers.cooperative import (
    LeastCore,
    Nucleolus,
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
from .solvers.equilibria import Equilibria, TwoByTwoSolution, nash_equilibria, regret, solve_2x2
from .solvers.function_game import FunctionGame
from .solvers.lemke_howson import LemkeHowson, lemke_howson
from .solvers.owen import BanzhafValue, OwenValue, banzhaf_value, owen_value
from .solvers.replicator import (
    RestPoint,
    RestPoints,
    Stability,
    replicator_rest_points,
    simulate_replicator,
)
from .solvers.trajectory import Trajectory
from .solvers.tripartite import ThreePopulationGame

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
    "savings_per_visit",
    "sinking_cost",
    # bundled payment
    "ContractCashFlows",
    "ContractSchedule",
    "PerformanceScores",
    "Settlement",
    "SettlementRule",
    "capitation_budget",
    "performance_scores",
    "retained_share",
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
    "Nucleolus",
    "RestPoint",
    "RestPoints",
    "ShapleyValue",
    "Stability",
    "TUGame",
    "ThreePopulationGame",
    "Trajectory",
    "TwoByTwoSolution",
    "basin_shares",
    "core_is_empty",
    "egalitarian",
    "in_core",
    "least_core",
    "nash_bargaining",
    "nash_equilibria",
    "LemkeHowson",
    "lemke_howson",
    "nucleolus",
    "proportional",
    "regret",
    "replicator_rest_points",
    "shapley_value",
    "simulate_replicator",
    "solve_2x2",
    # policy design
    "Allocation",
    "CooperationValue",
    "CoopetitionResult",
    "SharedPlatforms",
    "cooperation_value",
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
    "PathSensitivity",
    "implied_trend",
    "path_sensitivity",
    "primary_share",
    "referral_growth",
    "sweep",
    "tornado",
    # uncertainty, global sensitivity and streaming sweeps
    "AcceptabilityCurve",
    "MorrisResult",
    "PolicyUncertainty",
    "RobustSubsidy",
    "SobolIndices",
    "StreamResult",
    "acceptability_curve",
    "draw_parameters",
    "morris_screening",
    "propagate",
    "realised_welfare",
    "robust_subsidy",
    "sobol_indices",
    "stream_sweep",
    # errors
    "ConvergenceError",
    "InfeasibleError",
    "NotIdentifiedWarning",
    "PoorFitWarning",
    "SweepError",
    # sharing at scale and sharing a loss (MODEL.md §11)
    "BanzhafValue",
    "Bankruptcy",
    "BigBoss",
    "CoalitionValues",
    "ConsortiumValue",
    "FunctionGame",
    "OwenValue",
    "Sharing",
    "banzhaf_value",
    "bankruptcy",
    "bankruptcy_game",
    "big_boss",
    "consortium_game",
    "owen_value",
    "share_settlement",
    # a consortium of many members (MODEL.md §10)
    "ConsortiumPayoffs",
    "Members",
    "ParticipationEquilibrium",
    "SinkingAllocation",
    "allocate_sinking",
    "consortium_payoffs",
    "participation_equilibrium",
    "ConsortiumSubsidy",
    "SinkingSweep",
    "consortium_subsidy",
    "deviation_gains",
    "read_leader",
    "sinking_sweep",
    "PriceEquilibrium",
    "price_equilibrium",
]
