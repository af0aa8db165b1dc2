"""``datasets.load_csv``: what it reads, and a corpus of bad files, each refused with the file,
line and column named and nothing returned half-loaded."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
import test_files

from autograd_mini.datasets import CSVError, CSVTable, load_csv
from autograd_mini.files import NotARegularFileError


def write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


# ------------------------------------------------------------------ what it reads


def test_a_header_named_target_and_text_classes_in_sorted_order(tmp_path: Path) -> None:
    path = write(tmp_path, "petal_length,petal_width,kind\n"
                           "1.4,0.2,setosa\n6.0,2.5,virginica\n4.7,1.4,versicolor\n1.3,0.2,setosa\n")
    table = load_csv(path, target="kind")
    assert isinstance(table, CSVTable)
    assert table.X == [[1.4, 0.2], [6.0, 2.5], [4.7, 1.4], [1.3, 0.2]]
    assert table.y == [0, 2, 1, 0]
    assert table.classes == {"setosa": 0, "versicolor": 1, "virginica": 2}
    assert table.class_names == ["setosa", "versicolor", "virginica"]
    assert table.feature_names == ["petal_length", "petal_width"]
    assert table.target_name == "kind" and table.path == str(path)
    assert all(type(v) is float for x in table.X for v in x)


def test_no_header_a_numbered_target_and_int_labels(tmp_path: Path) -> None:
    path = write(tmp_path, "0.5,1,3.25\n-2,0,1e-3\n")
    table = load_csv(path, target=1)
    assert table.X == [[0.5, 3.25], [-2.0, 0.001]] and table.y == [1, 0]
    assert table.feature_names == ["column 0", "column 2"] and table.target_name == "column 1"
    assert table.classes == {}
    assert load_csv(path, target=-1).y == [3.25, 0.001]  # from the end, as in Python; floats
    assert all(type(t) is int for t in table.y)


def test_float_targets_are_regression_and_classes_decides_when_asked(tmp_path: Path) -> None:
    path = write(tmp_path, "x,price\n1,2.5\n2,10\n3,2.5\n")
    assert load_csv(path, target="price").y == [2.5, 10.0, 2.5]
    as_classes = load_csv(path, target="price", classes=True)
    assert as_classes.y == [0, 1, 0] and as_classes.classes == {"2.5": 0, "10": 1}
    labels = write(tmp_path, "x,grade\n1,3\n2,1\n3,2\n", "labels.csv")
    assert load_csv(labels, target="grade").y == [3, 1, 2]  # whole numbers: int labels as written
    assert load_csv(labels, target="grade", classes=True).y == [2, 0, 1]  # numbered from 0
    assert load_csv(labels, target="grade", classes=False).y == [3.0, 1.0, 2.0]


def test_a_target_with_an_underscore_is_a_label_as_written_not_a_number(tmp_path: Path) -> None:
    # float("1_0") is 10.0 and int("1_0") is 10; pandas reads the column as text.
    table = load_csv(write(tmp_path, "x,y\n1,1_0\n2,1\n3,1_0\n"), target="y")
    assert table.classes == {"1": 0, "1_0": 1} and table.y == [1, 0, 1]
    # And a header is still told from data: 1_000 above a number is a name.
    assert load_csv(write(tmp_path, "1_000,y\n5,0\n6,1\n", "h.csv"), target=1).feature_names == ["1_000"]


def test_features_pick_and_order_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c,y\n1,2,3,0\n4,5,6,1\n")
    table = load_csv(path, target="y", features=["c", 0])
    assert table.X == [[3.0, 1.0], [6.0, 4.0]] and table.feature_names == ["c", "a"]


def test_quotes_spaces_blank_lines_a_bom_crlf_and_other_delimiters(tmp_path: Path) -> None:
    path = write(tmp_path, '\ufeff"x", y ,label\r\n\r\n" 1.5", 2, "cat, tabby"\r\n\r\n3,4,dog\r\n')
    table = load_csv(path, target="label")
    assert table.feature_names == ["x", "y"]  # the BOM a spreadsheet writes is not in the name
    assert table.X == [[1.5, 2.0], [3.0, 4.0]] and table.classes == {"cat, tabby": 0, "dog": 1}
    semicolons = write(tmp_path, "x;y\n1,5;0\n", "european.csv")
    with pytest.raises(CSVError, match=r"'1,5' is not a number"):
        load_csv(semicolons, target="y", delimiter=";")


def test_header_can_be_forced_either_way(tmp_path: Path) -> None:
    years = write(tmp_path, "2019,2020,label\n1,2,0\n3,4,1\n")
    assert load_csv(years, target="label").target_name == "label"  # 'label' above 0: a header
    texts = write(tmp_path, "1.4,0.2,setosa\n4.7,1.4,versicolor\n", "no_header.csv")
    assert load_csv(texts, target=2).y == [0, 1]  # text above text: data
    gap = write(tmp_path, "1,,0\n1,2,0\n", "gap.csv")
    with pytest.raises(CSVError, match="line 1, column 1"):  # an empty cell is not a name
        load_csv(gap, target=2)
    numeric_header = write(tmp_path, "1,2,3\n1,2,0\n3,4,1\n", "numbers.csv")
    assert len(load_csv(numeric_header, target=2).X) == 3  # all numbers: data
    forced = load_csv(numeric_header, target="3", header=True)
    assert forced.feature_names == ["1", "2"] and forced.y == [0, 1]
    with pytest.raises(CSVError, match=r"line 1, column 0 \('column 0'\): 'a' is not a number"):
        load_csv(write(tmp_path, "a,b\n1,0\n", "text.csv"), target=1, header=False)


# ----------------------------------------------------------------- the bad files


# (content, load_csv keywords, the error's line, its column, fragments of the message)
BAD_FILES: list[tuple[str | bytes, dict[str, Any], int | None, int | None, list[str]]] = [
    ("a,b,y\n1,,0\n", {}, 2, 1, ["line 2, column 1 ('b'): the cell is empty"]),
    ("a,b,y\n1,2,0\n1,x,0\n", {}, 3, 1, ["line 3, column 1 ('b'): 'x' is not a number"]),
    ("a,b,y\n1,2\n", {}, 2, 2, ["line 2: 2 cells where line 1 has 3", "column 2 ('y') and after are missing"]),
    ("a,b,y\n1,2,0,9\n", {}, 2, 3, ["line 2: 4 cells where line 1 has 3", "column 3 and after are extra"]),
    ("", {}, None, None, ["the file is empty"]),
    ("\n \n\t\n", {}, None, None, ["the file is empty"]),
    ("a,b,y\n", {}, 1, None, ["a header (line 1) but no data under it"]),
    ("a,b,y\n\n", {}, 1, None, ["no data under it"]),
    ("a,b,y\n1,2,0\n", {"target": "label"}, 1, None,
     ["line 1: no column named 'label' for the target", "'a', 'b', 'y'"]),
    ("a,b,y\n1,2,0\n", {"target": 3}, 1, None, ["no column 3 for the target", "0 to 2"]),
    ("a,b,y\n1,2,0\n", {"target": -4}, 1, None, ["no column -4"]),
    ("1,2,0\n", {"target": "y"}, 1, None, ["the target 'y' is a name, but line 1 is data"]),
    ("a,b,y\n1,2,\n", {}, 2, 2, ["line 2, column 2 ('y'): the target is empty"]),
    ("a,b,y\n1,inf,0\n", {}, 2, 1, ["'inf' is not a finite number"]),
    ("a,b,y\n1,nan,0\n", {}, 2, 1, ["'nan' is not a finite number"]),
    ("a,b,y\n1,2,nan\n", {}, 2, 2, ["the target 'nan' is not a finite number"]),
    ('a,b,y\n1,"2,0\n', {}, 2, None, ["line 2: not valid CSV", "unexpected end of data"]),
    ('a,b,y\n1,"2"3,0\n', {}, 2, None, ["not valid CSV"]),
    ("a,b,y\n1,\x002,0\n", {}, 2, 1, ["'\\x002' is not a number"]),
    # Python's float() reads these; CSV files, pandas and numpy do not: text, not 1000 or 12.
    ("a,b,y\n1,1_000,0\n", {}, 2, 1, ["line 2, column 1 ('b'): '1_000' is not a number"]),
    ("a,b,y\n1,2,0\n1_0,2,1\n", {}, 3, 0, ["line 3, column 0 ('a'): '1_0' is not a number"]),
    ("a,b,y\n1,\u0661\u0662,0\n", {}, 2, 1, ["'\u0661\u0662' is not a number"]),
    ("a,b,y\n1,2,1_0\n", {"classes": False}, 2, 2, ["the target '1_0' is not a number"]),
    (b"a,b,y\n1,2,0\n1,\xff,0\n", {}, 3, None,
     ["line 3: the bytes are not utf-8-sig text (invalid start byte at byte 14"]),
    ("y\n1\n2\n", {"target": "y"}, 1, None, ["one column only"]),
    ("a,a,y\n1,2,0\n", {"target": "a"}, 1, 0, ["columns 0 and 1 are both named 'a'"]),
    ("a,b,y\n1,2,0\n", {"features": ["a", "c"]}, 1, None, ["no column named 'c' for the feature"]),
    ("a,b,y\n1,2,cat\n", {"classes": False}, 2, 2, ["the target 'cat' is not a number, and the target is to be a number"]),
    # A quoted cell may span lines: errors name the line where the example starts.
    ('a,b,y\n1,2,0\n1,2,"two\nlines"\n4,5,1\n6,x,1\n', {}, 6, 1, ["line 6, column 1 ('b'): 'x'"]),
    ('a,b,y\n1,"2\n3",0\n', {}, 2, 1, ["line 2, column 1 ('b'): '2\\n3' is not a number"]),
    ("a,b,y\n" + "1,2,0\n" * 500 + "1,2,0,\n", {}, 502, 3, ["line 502: 4 cells"]),
]


@pytest.mark.parametrize(("content", "keywords", "line", "column", "fragments"), BAD_FILES,
                         ids=[repr(c)[:40] + repr(k) for c, k, *_ in BAD_FILES])
def test_a_bad_file_names_file_line_and_column(
    tmp_path: Path, content: str | bytes, keywords: dict[str, Any], line: int | None,
    column: int | None, fragments: list[str],
) -> None:
    path = write(tmp_path, content)
    keywords = {"target": "y", **keywords}
    if isinstance(content, str) and not content.strip() and "target" in keywords:
        keywords["target"] = 0
    with pytest.raises(CSVError) as caught:
        load_csv(path, **keywords)
    error = caught.value
    assert isinstance(error, ValueError)
    assert str(error).startswith(str(path)), str(error)
    for fragment in fragments:
        assert fragment in str(error), (fragment, str(error))
    assert (error.path, error.line, error.column) == (str(path), line, column)
    assert "\n" not in str(error)


@pytest.mark.parametrize(("keywords", "error", "fragment"), [
    ({"features": ["a", "y"]}, ValueError, "'y' is the target column"),
    ({"features": ["a", 0]}, ValueError, "the feature column 0 is given twice"),
    ({"features": []}, ValueError, "features is empty"),
    ({"features": "a"}, TypeError, "features must be a list"),
    ({"target": 1.5}, TypeError, "a target column is a header name or a number"),
    ({"target": True}, TypeError, "a target column is a header name or a number"),
    ({"header": "yes"}, TypeError, "header must be True, False or None"),
    ({"classes": 1}, TypeError, "classes must be True, False or None"),
    ({"delimiter": ";;"}, ValueError, "delimiter must be one character"),
    ({"delimiter": '"'}, ValueError, "delimiter must be one character"),
])
def test_bad_arguments_raise_before_anything_is_returned(
    tmp_path: Path, keywords: dict[str, Any], error: type[Exception], fragment: str
) -> None:
    path = write(tmp_path, "a,b,y\n1,2,0\n")
    with pytest.raises(error, match=fragment):
        load_csv(path, **{"target": "y", **keywords})


# -------------------------------------------------------------- paths refused


def test_a_missing_file_a_folder_and_an_empty_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file; check the path") as caught:
        load_csv(tmp_path / "missing.csv", target=0)
    assert caught.value.filename == str(tmp_path / "missing.csv")
    with pytest.raises(IsADirectoryError, match="a folder; give the CSV file in it"):
        load_csv(tmp_path, target=0)
    with pytest.raises(FileNotFoundError, match="the path is empty"):
        load_csv("", target=0)
    with pytest.raises(ValueError, match="NUL character"):
        load_csv("a\x00b.csv", target=0)


def _loads_without_blocking(path: Path) -> BaseException | None:
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            load_csv(path, target=0)
            outcome.append(None)
        except BaseException as error:  # the test inspects it
            outcome.append(error)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "load_csv blocked on a special file"
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    (tmp_path / "link.csv").symlink_to(fifo)
    for path in (fifo, tmp_path / "link.csv"):
        error = _loads_without_blocking(path)
        assert isinstance(error, NotARegularFileError), error
        assert "not a regular file" in str(error)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_not_read_forever() -> None:
    error = _loads_without_blocking(Path("/dev/zero"))
    assert isinstance(error, NotARegularFileError), error


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_an_unreadable_file_is_a_permission_error(shared_folder: Path) -> None:
    path = write(shared_folder, "a,y\n1,0\n")
    path.chmod(0o000)
    with test_files.unprivileged(), pytest.raises(PermissionError, match="cannot read the file"):
        load_csv(path, target="y")


shared_folder = test_files.shared_folder


def test_a_symlink_to_a_good_file_is_followed(tmp_path: Path) -> None:
    real = write(tmp_path, "a,y\n1,0\n2,1\n", "real.csv")
    (tmp_path / "link.csv").symlink_to(real)
    assert load_csv(tmp_path / "link.csv", target="y").y == [0, 1]
