"""The SDK's input and output rules, checked natively (no component):
`python3 -m unittest discover -s guest-sdk/python/tests`."""

import os
import sys
import typing
import unittest
from dataclasses import dataclass, field

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from algobox_sdk import payload  # noqa: E402
from algobox_sdk.errors import AlgorithmError  # noqa: E402


@dataclass
class Point:
    x: float
    y: float


@dataclass
class Shape:
    name: str
    corner: Point
    tags: list = field(default_factory=list)


class Inputs(unittest.TestCase):
    def refused(self, annotation, kind, value):
        with self.assertRaises(AlgorithmError) as caught:
            payload.decoder(annotation)(kind, value)
        self.assertEqual(caught.exception.code, "InputError")
        return caught.exception.message

    def test_text_takes_text_and_json_strings_only(self):
        self.assertEqual(payload.decoder(str)("text", "Neo"), "Neo")
        self.assertEqual(payload.decoder(str)("json", '"Neo"'), "Neo")
        self.assertIn("not a string", self.refused(str, "json", "[1]"))
        self.assertIn("received `binary`", self.refused(str, "binary", b"x"))
        self.assertIn("received no value", self.refused(str, "void", None))

    def test_bytes_take_binary_only(self):
        self.assertEqual(payload.decoder(bytes)("binary", b"\x00\x01"), b"\x00\x01")
        self.assertIn("expected a `binary` input", self.refused(bytes, "text", "x"))

    def test_json_types_are_checked_at_the_top(self):
        self.assertEqual(payload.decoder(dict)("json", '{"a": 1}'), {"a": 1})
        self.assertEqual(payload.decoder(typing.List[int])("json", "[1, 2]"), [1, 2])
        self.assertEqual(payload.decoder(float)("json", "3"), 3)
        self.assertIn("of type `int`", self.refused(int, "json", "true"))
        self.assertIn("holds JSON", self.refused(dict, "text", "{}"))
        self.assertIn("does not parse", self.refused(dict, "text", "{nope"))
        self.assertIn("not well-formed", self.refused(dict, "json", "{nope"))

    def test_dataclasses_are_built_with_nested_ones(self):
        shape = payload.decoder(Shape)("json", '{"name": "s", "corner": {"x": 1, "y": 2.5}}')
        self.assertEqual(shape, Shape("s", Point(1, 2.5), []))
        self.assertEqual(self.refused(Shape, "json", '{"corner": {"x": 1, "y": 2}}'),
                         "missing field `name` for `Shape`")
        self.assertIn("unknown field(s) z", self.refused(Point, "json", '{"x": 1, "y": 2, "z": 3}'))
        self.assertIn("expected a JSON object for `Point`", self.refused(Point, "json", "[1]"))

    def test_any_keeps_the_value_as_it_came(self):
        for annotation in (typing.Any, object, payload.inspect_empty()):
            decode = payload.decoder(annotation)
            self.assertEqual(decode("text", "t"), "t")
            self.assertEqual(decode("json", "[1]"), [1])
            self.assertEqual(decode("binary", b"b"), b"b")
            self.assertIsNone(decode("void", None))

    def test_unsupported_annotations_fail_at_build_time(self):
        with self.assertRaises(TypeError):
            payload.decoder(complex)


class Outputs(unittest.TestCase):
    def test_each_type_has_its_content_type(self):
        self.assertEqual(payload.encode("hi"), ("text", "hi"))
        self.assertEqual(payload.encode(b"\x01"), ("binary", b"\x01"))
        self.assertEqual(payload.encode(bytearray(b"\x01")), ("binary", b"\x01"))
        self.assertEqual(payload.encode(None), ("void", None))
        self.assertEqual(payload.encode({"a": [1, 2.5]}), ("json", '{"a":[1,2.5]}'))
        self.assertEqual(payload.encode(Point(1, 2)), ("json", '{"x":1,"y":2}'))
        self.assertEqual(payload.encode(0), ("json", "0"))

    def test_a_result_that_is_not_json_says_so(self):
        with self.assertRaises(AlgorithmError) as caught:
            payload.encode({1, 2})
        self.assertIn("does not serialize as JSON", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
