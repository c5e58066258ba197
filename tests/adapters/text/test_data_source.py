"""Reading text data: formats, column mappings, and bad rows that fail early (or are skipped and counted)."""

import csv
import json

import datasets
import pytest

from mmcl.adapters.text import ColumnMapping, RowError, TextDataError, TextDataSource, read_text_data
from mmcl.recipe import RecipeError, load_recipe


def write_csv(path, rows, delimiter=","):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_csv_with_header_and_quoted_commas(tmp_path):
    path = write_csv(
        tmp_path / "pairs.csv", [["q", "a", "s"], ["Hi, you.", "Hello, you.", "4.5"], ["x", "y", "1"]]
    )
    dataset, report = read_text_data(
        TextDataSource(path=str(path), columns=ColumnMapping(anchor="q", positive="a", score="s"))
    )
    assert dataset.to_dict() == {
        "anchor": ["Hi, you.", "x"],
        "positive": ["Hello, you.", "y"],
        "score": [4.5, 1.0],
    }
    assert (report.rows_read, report.rows_kept) == (2, 2)


def test_headerless_csv_by_index_with_min_score(tmp_path):
    path = write_csv(tmp_path / "sts.csv", [["a", "b", "5.0"], ["c", "d", "2.0"], ["e", "f", "4.0"]])
    source = TextDataSource(
        path=str(path), header=False, columns=ColumnMapping(anchor=0, positive=1, score=2), min_score=4.0
    )
    dataset, report = read_text_data(source)
    assert dataset["anchor"][:] == ["a", "e"]
    assert (report.rows_read, report.rows_kept, report.filtered) == (3, 2, 1)


def test_tsv_keeps_bare_quotes_and_reads_bom_and_crlf(tmp_path):
    path = tmp_path / "para.tsv"
    path.write_bytes('\ufeffQuality\t#1 String\t#2 String\r\n1\tHe said "hi\tShe said "hi"\r\n'.encode())
    columns = ColumnMapping(anchor="#1 String", positive="#2 String", score="Quality")
    dataset, _ = read_text_data(TextDataSource(path=str(path), columns=columns))
    assert dataset[0] == {"anchor": 'He said "hi', "positive": 'She said "hi"', "score": 1.0}


def test_jsonl_with_a_list_of_negatives_and_with_negative_columns(tmp_path):
    listed = write_jsonl(
        tmp_path / "a.jsonl", [{"q": "a", "p": "b", "n": ["c", "d"]}, {"q": "e", "p": "f", "n": ["g", "h"]}]
    )
    dataset, _ = read_text_data(
        TextDataSource(path=str(listed), columns=ColumnMapping(anchor="q", positive="p", negatives=["n"]))
    )
    assert dataset["negatives"][:] == [["c", "d"], ["g", "h"]]
    spread = write_jsonl(tmp_path / "b.jsonl", [{"q": "a", "p": "b", "n1": "c", "n2": "d"}])
    columns = ColumnMapping(anchor="q", positive="p", negatives=["n1", "n2"])
    assert read_text_data(TextDataSource(path=str(spread), columns=columns))[0]["negatives"][:] == [
        ["c", "d"]
    ]


def test_saved_dataset_and_a_folder_of_data_files(tmp_path):
    dataset = datasets.Dataset.from_dict({"sentence": ["one text", "another text"]})
    datasets.DatasetDict({"train": dataset, "test": dataset.select([0])}).save_to_disk(tmp_path / "saved")
    source = TextDataSource(
        path=str(tmp_path / "saved"), split="test", columns=ColumnMapping(text="sentence")
    )
    assert source.resolved_format() == "disk"
    assert read_text_data(source)[0]["text"][:] == ["one text"]
    (tmp_path / "files").mkdir()
    dataset.to_parquet(tmp_path / "files" / "train.parquet")
    source = TextDataSource(path=str(tmp_path / "files"), columns=ColumnMapping(text="sentence"))
    assert source.resolved_format() == "hub"  # a folder of data files goes through datasets.load_dataset
    assert read_text_data(source)[0]["text"][:] == ["one text", "another text"]


SKIP_FIX = "fix the (row|line), or set on_error: skip"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["q", "a"], ["fine", "also fine"], ["", "x"]], r"pairs.csv, line 3: column 'q' is empty"),
        ([["q", "a"], ["fine", "  "]], r"pairs.csv, line 2: column 'a' is empty"),
        (
            [["q", "a", "s"], ["one field only"]],
            r"pairs.csv, line 2: 1 field\(s\), expected 3 like the header: no value for column 'a', 's'",
        ),
        (
            [["q", "a"], ["a, b", "c"]],
            r"pairs.csv, line 2: 3 field\(s\), expected 2 like the header: a text holds an unquoted comma",
        ),
    ],
)
def test_bad_csv_rows_name_line_column_and_fix(tmp_path, rows, message):
    path = tmp_path / "pairs.csv"
    path.write_text("\n".join(",".join(row) for row in rows) + "\n")  # unquoted, as by hand
    columns = ColumnMapping(anchor="q", positive="a", score="s" if "s" in rows[0] else None)
    with pytest.raises(RowError, match=f"{message}.*{SKIP_FIX}"):
        read_text_data(TextDataSource(path=str(path), columns=columns))


def test_bad_tsv_line_names_the_columns_without_a_value(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("#1\t#2\tQuality\nfirst\tsecond\t1\nonly one side\n")
    columns = ColumnMapping(anchor="#1", positive="#2", score="Quality")
    with pytest.raises(
        RowError, match=rf"pairs.tsv, line 3: 1 field\(s\), expected 3 .* column '#2', 'Quality'.*{SKIP_FIX}"
    ):
        read_text_data(TextDataSource(path=str(path), columns=columns))


def test_non_text_values_and_scores_are_named(tmp_path):
    path = write_jsonl(tmp_path / "pairs.jsonl", [{"q": "ok", "a": "ok"}, {"q": 3.5, "a": "x"}])
    with pytest.raises(
        RowError,
        match=r"pairs.jsonl, line 2: column 'q': expected text, got 3.5 \(float\); fix the row, map another "
        "column, or set on_error: skip",
    ):
        read_text_data(TextDataSource(path=str(path), columns=ColumnMapping(anchor="q", positive="a")))
    path = write_csv(tmp_path / "s.csv", [["q", "a", "s"], ["x", "y", "high"]])
    with pytest.raises(
        RowError, match=r"s.csv, line 2: column 's': expected a finite number .* got 'high'.*on_error: skip"
    ):
        read_text_data(
            TextDataSource(path=str(path), columns=ColumnMapping(anchor="q", positive="a", score="s"))
        )
    path = write_jsonl(tmp_path / "n.jsonl", [{"q": "x", "a": None}])
    with pytest.raises(RowError, match=r"n.jsonl, line 1: column 'a': expected text, got a missing value"):
        read_text_data(TextDataSource(path=str(path), columns=ColumnMapping(anchor="q", positive="a")))


def test_non_text_values_of_a_saved_dataset_name_the_row(tmp_path):
    dataset = datasets.Dataset.from_dict({"q": ["fine", "also fine"], "a": [["a", "list"], ["another"]]})
    dataset.save_to_disk(tmp_path / "saved")
    source = TextDataSource(path=str(tmp_path / "saved"), columns=ColumnMapping(anchor="q", positive="a"))
    with pytest.raises(
        RowError, match=r"saved \(train\), row 0: column 'a': expected text, got \['a', 'list'\] \(list\)"
    ):
        read_text_data(source)
    source.on_error = "skip"
    with pytest.raises(TextDataError, match=r"2 rows read, 0 kept, 2 skipped \(not_text: 2\).*no row left"):
        read_text_data(source)


def test_a_jsonl_row_without_one_side_of_its_pair(tmp_path):
    path = write_jsonl(
        tmp_path / "pairs.jsonl", [{"q": "x", "a": "y"}, {"q": "only the anchor"}, {"q": "z", "a": "w"}]
    )
    columns = ColumnMapping(anchor="q", positive="a")
    with pytest.raises(
        RowError,
        match=r"pairs.jsonl, line 2: column 'a' is missing \(the row's keys: 'q'\); add it.*on_error: skip",
    ):
        read_text_data(TextDataSource(path=str(path), columns=columns))
    dataset, report = read_text_data(TextDataSource(path=str(path), columns=columns, on_error="skip"))
    assert dataset["anchor"][:] == ["x", "z"]
    assert dict(report.skipped) == {"missing_column": 1}


def test_missing_column_lists_the_columns(tmp_path):
    path = write_csv(tmp_path / "pairs.csv", [["query", "answer"], ["x", "y"]])
    with pytest.raises(TextDataError, match=r"column 'anchor' not found; the columns are 'query', 'answer'"):
        read_text_data(
            TextDataSource(path=str(path), columns=ColumnMapping(anchor="anchor", positive="answer"))
        )
    dataset = datasets.Dataset.from_dict({"a": ["x"], "b": ["y"]})
    dataset.save_to_disk(tmp_path / "saved")
    with pytest.raises(TextDataError, match="column 'c' not found"):
        read_text_data(
            TextDataSource(path=str(tmp_path / "saved"), columns=ColumnMapping(anchor="a", positive="c"))
        )


def test_unequal_numbers_of_negatives_fail_or_are_skipped(tmp_path):
    rows = [
        {"q": "a", "p": "b", "n": ["c", "d"]},
        {"q": "e", "p": "f", "n": ["g"]},
        {"q": "h", "p": "i", "n": ["j", "k"]},
    ]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    columns = ColumnMapping(anchor="q", positive="p", negatives=["n"])
    with pytest.raises(RowError, match=r"t.jsonl, line 2: 1 hard negatives, expected 2"):
        read_text_data(TextDataSource(path=str(path), columns=columns))
    dataset, report = read_text_data(TextDataSource(path=str(path), columns=columns, on_error="skip"))
    assert dataset["anchor"][:] == ["a", "h"]
    assert dict(report.skipped) == {"negatives_count": 1}


def test_skip_counts_every_bad_row_by_reason(tmp_path):
    rows = [["q", "a", "s"], ["ok", "ok", "1"], ["", "x", "2"], ["x", "y", "nan"], ["only"], ["x", "z", "3"]]
    path = write_csv(tmp_path / "pairs.csv", rows)
    columns = ColumnMapping(anchor="q", positive="a", score="s")
    dataset, report = read_text_data(TextDataSource(path=str(path), columns=columns, on_error="skip"))
    assert len(dataset) == 2
    assert dict(report.skipped) == {"empty_text": 1, "not_a_number": 1, "field_count": 1}
    assert (
        report.summary()
        == "pairs.csv: 5 rows read, 2 kept, 3 skipped (empty_text: 1, field_count: 1, not_a_number: 1)"
    )


def test_no_row_left_and_max_rows(tmp_path):
    path = write_csv(tmp_path / "pairs.csv", [["q", "a"], ["", "x"], ["a", "b"], ["c", "d"]])
    columns = ColumnMapping(anchor="q", positive="a")
    assert (
        len(read_text_data(TextDataSource(path=str(path), columns=columns, on_error="skip", max_rows=1))[0])
        == 1
    )
    empty = write_csv(tmp_path / "empty.csv", [["q", "a"], ["", "x"]])
    with pytest.raises(TextDataError, match="no row left"):
        read_text_data(TextDataSource(path=str(empty), columns=columns, on_error="skip"))


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"text": "t", "anchor": "a", "positive": "p"}, "not both"),
        ({"anchor": "a"}, "both `anchor` and `positive`"),
        ({"anchor": "a", "positive": "a"}, "more than one role"),
    ],
)
def test_inconsistent_mappings_fail(mapping, message):
    with pytest.raises(ValueError, match=message):
        ColumnMapping(**mapping)


def test_recipe_reports_source_problems_with_their_keys(tmp_path, tiny_model_dir):
    path = write_csv(tmp_path / "pairs.csv", [["q", "a"], ["x", "y"]])
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"adapter: {{name: text, model: {tiny_model_dir}, train: [{{path: {tmp_path / 'missing.csv'}, columns: {{anchor: 0, positive: 1}}}}]}}\n"
        "method: {name: text-infonce}\ntrain: {batch_size: 2, max_steps: 1}\noptimizer: {name: adamw, lr: 1.0e-4}\n"
    )
    with pytest.raises(
        RecipeError, match=r"adapter.train\[0\]: path: '.*missing.csv' does not exist .* not a Hub dataset id"
    ):
        load_recipe(recipe)
    with pytest.raises(
        RecipeError,
        match=r"adapter.train\[0\]: columns: 0-based indices are for CSV / TSV files without a header",
    ):
        load_recipe(recipe, [f"adapter.train=[{{path: {path}, columns: {{anchor: 0, positive: 1}}}}]"])
    with pytest.raises(
        RecipeError, match=r"adapter.train\[0\].columns.anchr: unknown key; did you mean 'anchor'"
    ):
        load_recipe(recipe, [f"adapter.train=[{{path: {path}, columns: {{anchr: q, positive: a}}}}]"])


def test_real_stsb_and_mrpc_files(data_dir):
    stsb = TextDataSource(
        path=str(data_dir / "stsb" / "stsb-en-train.csv"),
        header=False,
        columns=ColumnMapping(anchor=0, positive=1, score=2),
    )
    dataset, report = read_text_data(stsb)
    assert report.rows_read == report.rows_kept == len(dataset) == 5749
    assert min(dataset["score"]) == 0.0 and max(dataset["score"]) == 5.0
    mrpc = TextDataSource(
        path=str(data_dir / "mrpc" / "msr-para-train.tsv"),
        columns=ColumnMapping(anchor="#1 String", positive="#2 String", score="Quality"),
        min_score=1.0,
    )
    dataset, report = read_text_data(mrpc)
    assert (report.rows_read, report.rows_kept, report.filtered) == (
        3576,
        2407,
        1169,
    )  # as the data's README says
