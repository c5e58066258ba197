import json

import pytest

from mmcl.evaluation import METRICS_JSON, EvaluationReport


def _report():
    report = EvaluationReport(model_name="SimCLR", baselines=("random init",))
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
        "baselines": ["random init"],
        "metrics": {
            "knn_top1": {"model": 0.912, "baselines": {"random init": 0.374}},
            "linear_top1": {"model": 0.5, "baselines": {"random init": 0.625}},
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
        ("mrr", 0.9, None, "baseline 'random init' value of 'mrr' must be a finite number"),
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
        EvaluationReport(model_name="x", baselines=("x",))
    with pytest.raises(ValueError, match="must differ"):
        EvaluationReport(baselines=("a", "a"))
    with pytest.raises(ValueError, match="non-empty strings"):
        EvaluationReport(baselines=(" ",))
    with pytest.raises(ValueError, match="at least one column"):
        EvaluationReport(baselines=())
    with pytest.raises(ValueError, match="sequence of column names"):
        EvaluationReport(baselines="random init")


def _two_baselines():
    report = EvaluationReport(model_name="TS2Vec", baselines=("random init", "raw series"))
    report.add("svm", model=0.91, baseline={"random init": 0.85, "raw series": 0.92})
    report.add("svm@10%", model=0.73, baseline={"raw series": 0.68})
    return report


def test_several_baselines_get_a_column_and_a_difference_each():
    assert _two_baselines().format_table(precision=2).splitlines() == [
        "metric   TS2Vec  random init  raw series  vs random init  vs raw series",
        "svm        0.91         0.85        0.92           +0.06          -0.01",
        "svm@10%    0.73            —        0.68               —          +0.05",
    ]
    report = _two_baselines()
    assert report.baseline_values("random init") == {"svm": 0.85}
    assert report.metrics["svm@10%"].difference("raw series") == pytest.approx(0.05)


def test_several_baselines_round_trip(tmp_path):
    path = _two_baselines().write_json(tmp_path / METRICS_JSON)
    assert EvaluationReport.read_json(path) == _two_baselines()


@pytest.mark.parametrize(
    ("baseline", "message"),
    [
        (0.5, r"pass baseline=\{column: value\}"),
        ({}, "at least one baseline"),
        ({"random": 0.5}, r"unknown baseline columns \['random'\]"),
        ({"raw series": float("inf")}, "baseline 'raw series' value of 'mrr' must be a finite number"),
    ],
)
def test_bad_baselines_are_refused(baseline, message):
    with pytest.raises(ValueError, match=message):
        _two_baselines().add("mrr", model=0.3, baseline=baseline)


def test_malformed_json_names_the_file(tmp_path):
    path = tmp_path / METRICS_JSON
    path.write_text('{"model": "a", "baselines": ["b"], "metrics": {"mrr": {"model": 0.3}}}')
    with pytest.raises(ValueError, match=r"metrics\.json: .*missing or malformed"):
        EvaluationReport.read_json(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"metrics\.json"):
        EvaluationReport.read_json(path)
