r"""Payoffs of a consortium of many members (MODEL.md §10), vectorised over members and grids.

Member j's terms broadcast along a trailing member axis; parameter-grid axes of
:class:`~compensation.Parameters` lead. :mod:`compensation.model.members` re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_domain
from .leader import net_loss
from .parameters import Parameters
from .payoffs import payoff_terms

if TYPE_CHECKING:
    from .members import Members

__all__ = ["ConsortiumPayoffs", "consortium_payoffs", "leader_coefficients"]


@dataclass(frozen=True)
class ConsortiumPayoffs(Result):
    r"""Yearly payoffs in a consortium of N members (MODEL.md §10), in 万元.

    Attributes
    ----------
    leader : ndarray
        :math:`\Pi_L`, shape ``grid``.
    primary : ndarray
        :math:`\Pi_{Pj}`, shape ``grid + (N,)``.
    welfare : ndarray
        :math:`W`, shape ``grid``.
    leader_objective : ndarray
        :math:`O_L = \Pi_L + \eta \sum_j \Pi_{Pj}`, shape ``grid``.
    primary_objective : ndarray
        :math:`O_{Pj} = (1-\eta)\Pi_{Pj} + \eta(\Pi_L + \sum_k \Pi_{Pk})`, shape ``grid + (N,)``.
    """

    leader: NDArray[np.float64]
    primary: NDArray[np.float64]
    welfare: NDArray[np.float64]
    leader_objective: NDArray[np.float64]
    primary_objective: NDArray[np.float64]


def leader_coefficients(q: Parameters, t: Any, e: Any) -> tuple[Any, Any, Any]:
    r"""(β, κ, c): member j adds :math:`\beta_j s - \kappa_j \Delta q_j(s) + c_j` to :math:`O_L`.

    ``q`` is a member view (:meth:`Members.parameters`), ``t`` the travel costs, ``e`` the
    participation; :math:`\kappa_j` is the objective's loss per unit of moved share.
    """
    f = q.passive_fraction + (1 - q.passive_fraction) * e
    kappa = net_loss(q) * f * q.common_share * q.visits  # the leader's kernel (model/leader.py)
    beta = (
        q.price * e
        + q.subsidy * (1 - q.conditional_subsidy + q.conditional_subsidy * e)
        + q.brand_benefit
        - t
        - q.integration * (q.price + q.hosting_cost) * e
    )
    return beta, kappa, q.integration * (q.primary_subsidy - q.readiness_cost) * e


def consortium_payoffs(
    p: Parameters, members: Members, s: ArrayLike, e: ArrayLike = 1.0
) -> ConsortiumPayoffs:
    r"""Payoffs of the leader, each member and society when the leader sinks ``s_j`` at member j.

    Parameters
    ----------
    p : Parameters
        The leader's fields and every column ``members`` leaves out; array fields are
        parameter-grid axes and lead.
    members : Members
        The N members.
    s : array_like
        Doctor-days per year sunk at each member, ≥ 0; the last axis is the member axis
        (length N, or 1 to broadcast), leading axes broadcast with ``p.shape``.
    e : array_like, default 1
        Participation per member: 1 (or True) active, 0 (False) passive; in between, a
        probability.

    Returns
    -------
    ConsortiumPayoffs
        :math:`\Pi_L`, :math:`\Pi_{Pj}`, :math:`W` and the objectives, 万元 per year.

    Raises
    ------
    ValueError
        If ``s`` is negative or not finite, ``e`` is outside [0, 1], or their last axis is
        neither N nor 1.

    Notes
    -----
    MODEL.md §10, with :math:`S = \sum_j s_j`, :math:`f(e) = \varepsilon + (1-\varepsilon)e`
    and :math:`V_j(s) = \theta_j N_j \Delta q_j(s)`:

    .. math::

        \Pi_L &= \sum_j \left[-(m_L - \rho_L - \varphi m_{Pj}) V_j(s_j) f(e_j) + \omega R_j
                 + (w_j e_j + \beta_B - t_j) s_j + \tilde g_j s_j\right] - C(S) \\
        \Pi_{Pj} &= (1-\varphi) m_{Pj} V_j(s_j) f(e_j) + (1-\omega) R_j - (w_j + c_{Pj}) s_j e_j
                 - K_{Pj} e_j + g_{Pj} e_j \\
        W &= \Pi_L + \sum_j \Pi_{Pj} + \sum_j h_j s_j e_j
             + (1+\lambda) \sum_j (\sigma_{Mj} V_j f(e_j) - R_j - \tilde g_j s_j - g_{Pj} e_j)

    where :math:`R_j = \psi \sigma_{Mj} V_j f(e_j)` is the retained saving (MODEL.md §6) and
    :math:`\tilde g_j = g_j(1 - \chi + \chi e_j)` the subsidy with its conditional share.

    With N = 1, :math:`t = 0` and no capacity this is MODEL.md §4 (:func:`compensation.payoffs`).

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members, consortium_payoffs
    >>> m = Members(name=["A", "B"], visits=[150_000, 50_000], travel_cost=[0.0, 0.02])
    >>> r = consortium_payoffs(Parameters(), m, [200, 100])
    >>> round(float(r.leader), 2), r.primary.round(2).tolist()
    (-40.7, [0.8, -6.2])
    >>> grid = Parameters(subsidy=np.linspace(0, 0.3, 4))
    >>> consortium_payoffs(grid, m, [200, 100]).leader.round(1).tolist()
    [-40.7, -10.7, 19.3, 49.3]
    """
    n = len(members)
    s = check_domain("s", s, "nonneg", "dd/yr")
    if np.asarray(e).dtype == np.bool_:  # True/False read as active/passive
        e = np.asarray(e, dtype=float)
    e = check_domain("e", e, "share")
    for label, arr in (("s", s), ("e", e)):
        if arr.ndim and arr.shape[-1] not in (1, n):
            raise ValueError(
                f"{label} must have a last (member) axis of length {n} or 1; got {arr.shape}"
            )
    q = members.parameters(p)
    t = members.column("travel_cost", p)
    parts = payoff_terms(q, s, e)
    terms, primary, extra = parts.leader - t * s, parts.primary, parts.public
    shape = np.broadcast_shapes(np.shape(terms), np.shape(primary), (n,))
    total = np.broadcast_to(s, shape).sum(axis=-1)
    leader = terms.sum(axis=-1) - (p.cost_linear * total + 0.5 * p.cost_quadratic * total * total)
    primary = np.broadcast_to(primary, shape)
    joint = leader + primary.sum(axis=-1)
    welfare = joint + np.broadcast_to(extra, shape).sum(axis=-1)
    eta = np.asarray(p.integration)
    return ConsortiumPayoffs(
        leader=np.asarray(leader),
        primary=np.asarray(primary),
        welfare=np.asarray(welfare),
        leader_objective=np.asarray(leader + eta * primary.sum(axis=-1)),
        primary_objective=np.asarray(
            (1 - eta[..., None]) * primary + eta[..., None] * joint[..., None]
        ),
    )
