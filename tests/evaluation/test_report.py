import json

import pytest

from mmcl.evaluation import METRICS_JSON, EvaluationReport


def _report():
    report = EvaluationReport(model_name="SimCLR", baseline_name="random init")
    report.add("knn_top1", model=0.912, baseline=0.374)
    report.add("linear_top1", model=0.5, baseline=0.625)
    return report


def test_table_is_aligned_with_baseline_and_difference():
    assert _report().format_table().splitlines() == [
        "metric       SimCLR  random init  difference",
        "knn_top1     0.9120       0.3740     +0.5380",
        "linear_top1  0.5000       0.6250     -0.1250",
    ]
    assert (
        _report().format_table(precision=1).splitlines()[1] == "knn_top1        0.9          0.4        +0.5"
    )


def test_json_round_trip_and_layout(tmp_path):
    path = _report().write_json(tmp_path / "run" / METRICS_JSON)
    assert path == tmp_path / "run" / "metrics.json"
    assert json.loads(path.read_text()) == {
        "model": "SimCLR",
        "baseline": "random init",
        "metrics": {
            "knn_top1": {"model": 0.912, "baseline": 0.374},
            "linear_top1": {"model": 0.5, "baseline": 0.625},
        },
    }
    assert EvaluationReport.read_json(path) == _report()
    assert sorted(p.name for p in path.parent.iterdir()) == ["metrics.json"]  # no temporary file left


def test_rewriting_replaces_the_file(tmp_path):
    path = tmp_path / METRICS_JSON
    _report().write_json(path)
    smaller = EvaluationReport()
    smaller.add("mrr", model=0.3, baseline=0.1)
    smaller.write_json(path)
    assert EvaluationReport.read_json(path) == smaller


@pytest.mark.parametrize(
    ("metric", "model", "baseline", "message"),
    [
        ("knn_top1", 0.9, 0.1, "already in the report"),
        ("", 0.9, 0.1, "metric must be a non-empty string"),
        ("mrr", float("nan"), 0.1, "model value of 'mrr' must be a finite number"),
        ("mrr", 0.9, None, "baseline value of 'mrr' must be a finite number"),
        ("mrr", True, 0.1, "model value of 'mrr' must be a finite number"),
    ],
)
def test_bad_metric_raises(metric, model, baseline, message):
    with pytest.raises(ValueError, match=message):
        _report().add(metric, model=model, baseline=baseline)


def test_a_number_cannot_be_added_without_its_baseline():
    with pytest.raises(TypeError, match="baseline"):
        _report().add("mrr", model=0.3)


def test_column_names_must_be_given_and_differ():
    with pytest.raises(ValueError, match="must differ"):
        EvaluationReport(model_name="x", baseline_name="x")
    with pytest.raises(ValueError, match="baseline_name must be a non-empty string"):
        EvaluationReport(baseline_name=" ")


def test_malformed_json_names_the_file(tmp_path):
    path = tmp_path / METRICS_JSON
    path.write_text('{"model": "a", "baseline": "b", "metrics": {"mrr": {"model": 0.3}}}')
    with pytest.raises(ValueError, match=r"metrics\.json: .*missing or malformed"):
        EvaluationReport.read_json(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"metrics\.json"):
        EvaluationReport.read_json(path)
