from structure import shape_differences


def test_identical_shapes_have_no_differences() -> None:
    doc = {"a": [1, 2], "b": {"c": "x", "d": None}}
    assert shape_differences(doc, {"a": [3.5], "b": {"c": "y", "d": 4}}) == []


def test_missing_renamed_and_retyped_fields_are_reported() -> None:
    real = {"a": 1, "b": {"c": "x"}, "rows": [[1, "a"]]}
    ours = {"a": "1", "b": {"cc": "x"}, "rows": [[1, "a"]]}
    diffs = shape_differences(real, ours)
    assert "$.a: real is number, ours is string" in diffs
    assert "$.b: key 'c' missing" in diffs
    assert "$.b: unexpected key 'cc'" in diffs
