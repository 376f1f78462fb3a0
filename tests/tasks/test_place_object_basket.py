"""place_object_basket: one arm puts the object into the basket and the other lifts the basket (easy, hard),
with pick and place value maps; the object beside the basket, or in a basket left on the table, is no
success."""
import pytest

from tests.tasks.basket_checks import assert_expert_fills_and_lifts, assert_success_needs_the_object_in_a_lifted_basket

TASK = "place_object_basket"


@pytest.mark.parametrize("setting,seed", [("easy", 0), ("hard", 1)])
def test_expert_puts_the_object_in_and_lifts_the_basket(setting, seed):
    assert_expert_fills_and_lifts(TASK, setting, seed)


def test_success_needs_the_object_in_a_lifted_basket():
    assert_success_needs_the_object_in_a_lifted_basket(TASK, seed=2)
