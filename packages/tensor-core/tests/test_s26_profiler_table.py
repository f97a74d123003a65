"""The profiler's printed table follows PyTorch 2.13's layout rule for rule
(``torch/autograd/profiler_util.py``, ``_build_table``): Name column width (longest name + 4, at
most ``max_name_column_width``; None: no limit), names truncated to ``max_name_column_width - 3``
characters plus "..." once they reach that length, the Input Shapes column (shown when any event has
shapes, cut without "..."), the "=" lines of ``header``/``top_level_events_only`` (two characters
shorter than the dashed lines), "NaN" shares when nothing was timed, ``time_unit``, and "" for no events.

The expected strings were produced by running PyTorch 2.13's ``_build_table`` on events with the same
numbers and are hard-coded here (no torch at test time)."""
from tensorgraft.profiler import EventList, FunctionEventAvg

EXPECTED_0 = (
    '-------------------------------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------------------------------------------------------------------  \n                                                   Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls                                                                      Input Shapes  \n-------------------------------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------------------------------------------------------------------  \n                                        model_inference        67.47%       1.350ms        99.95%       2.000ms       2.000ms             1                                                                                    \n                                            aten::addmm        29.99%     600.000us        29.99%     600.000us     600.000us             1                                                                  [[8, 4], [4, 2]]  \nautograd::engine::evaluate_function: torch::autograd...         2.50%      50.000us         2.50%      50.000us      25.000us             2                                                                          [[8, 2]]  \naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...         0.05%       1.000us         0.05%       1.000us       1.000us             1  [[1000, 1000, 1000], [1000, 1000, 1000], [1000, 1000, 1000], [1000, 1000, 1000]]  \n-------------------------------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------------------------------------------------------------------  \nSelf CPU time total: 2.001ms\n'
)
EXPECTED_1 = (
    '=============================================================================================================================\nHDR\n=============================================================================================================================\nThis report only display top-level ops statistics\n-------------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------  \n               Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls          Input Shapes  \n-------------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------  \n    model_inference        69.23%       1.350ms       102.56%       2.000ms       2.000ms             1                        \n-------------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------  \nSelf CPU time total: 1.950ms\n'
)
EXPECTED_2 = (
    '------------------------------------------------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------------------------------------------------------------------------------  \n                                                                    Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls                                                                          Input Shapes  \n------------------------------------------------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------------------------------------------------------------------------------  \n                                                         model_inference        67.47%       1.350ms        99.95%       2.000ms       2.000ms             1                                                                                        \n                                                             aten::addmm        29.99%       0.600ms        29.99%       0.600ms       0.600ms             1                                                                      [[8, 4], [4, 2]]  \n------------------------------------------------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------------------------------------------------------------------------------  \nSelf CPU time total: 2.001ms\n'
)
EXPECTED_3 = (
    '-------------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------  \n               Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg       CPU Mem  Self CPU Mem    # of Calls          Input Shapes  \n-------------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------  \n    model_inference        69.23%       1.350ms       102.56%       2.000ms       2.000ms       2.00 KB           0 B             1                        \n        aten::addmm        30.77%     600.000us        30.77%     600.000us     600.000us       1.00 KB       1.00 KB             1      [[8, 4], [4, 2]]  \n-------------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------  ------------  --------------------  \nSelf CPU time total: 1.950ms\n'
)
EXPECTED_4 = (
    ''
)
EXPECTED_5 = (
    '--------  ------------  ------------  ------------  ------------  ------------  ------------  \n    Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls  \n--------  ------------  ------------  ------------  ------------  ------------  ------------  \n    zero           NaN       0.000us           NaN       0.000us       0.000us             1  \n--------  ------------  ------------  ------------  ------------  ------------  ------------  \nSelf CPU time total: 0.000us\n'
)

LONG = "autograd::engine::evaluate_function: torch::autograd::AccumulateGrad"


def _avg(key, self_t, total, count=1, shapes=None, mem=0, self_mem=0, parent=None):
    a = FunctionEventAvg()
    a.key, a.self_cpu_time_total, a.cpu_time_total, a.count = key, self_t, total, count
    a.input_shapes, a.cpu_memory_usage, a.self_cpu_memory_usage, a.cpu_parent = shapes, mem, self_mem, parent
    return a


def _events():
    top = _avg("model_inference", 1350.0, 2000.0, mem=2048)
    big = [[1000, 1000, 1000]] * 4
    return [top, _avg("aten::addmm", 600.0, 600.0, shapes=[[8, 4], [4, 2]], mem=1024, self_mem=1024, parent=top),
            _avg(LONG, 50.0, 50.0, count=2, shapes=[[8, 2]], mem=1024, self_mem=1024, parent=top),
            _avg("a" * 52, 1.0, 1.0, shapes=big)]


def test_long_names_widen_the_name_column_up_to_55_and_are_cut():
    assert EventList(_events()).table(sort_by="self_cpu_time_total") == EXPECTED_0


def test_header_and_top_level_only():
    assert EventList(_events()[:2]).table(header="HDR", top_level_events_only=True) == EXPECTED_1


def test_no_width_limits_row_limit_and_time_unit():
    table = EventList(_events()).table(max_name_column_width=None, max_shapes_column_width=None, row_limit=2,
                                       time_unit="ms")
    assert table == EXPECTED_2


def test_memory_columns_and_an_unknown_time_unit():
    assert EventList(_events()[:2], profile_memory=True).table(time_unit="ns") == EXPECTED_3


def test_no_events_and_nothing_timed():
    assert EventList([]).table() == EXPECTED_4
    assert EventList([_avg("zero", 0.0, 0.0)]).table() == EXPECTED_5
