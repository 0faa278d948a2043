"""The shared result base: rounded ordered repr, to_dict, to_frame (issue 11)."""

import numpy as np
import pytest

from compensation import Parameters, optimal_subsidy, payoffs


def test_repr_rounds_and_keeps_field_order():
    text = repr(payoffs(Parameters(price=1 / 3), 300, 1))
    assert text.startswith("Payoffs(leader=")
    assert text.index("leader=") < text.index("primary=") < text.index("welfare=")
    assert "0.33333333" not in text and "3333333" not in text


def test_long_arrays_print_a_summary():
    text = repr(payoffs(Parameters(price=np.linspace(0, 1, 50)), 300, 1))
    assert "<array shape=(50,)" in text


def test_to_dict_and_to_frame():
    d = optimal_subsidy(Parameters(price=[0.05, 0.1]))
    as_dict = d.to_dict()
    assert list(as_dict)[:3] == ["subsidy", "price", "sinking"]
    pd = pytest.importorskip("pandas")
    frame = d.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 2
    assert frame["price"].tolist() == [0.05, 0.1]
