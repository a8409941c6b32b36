//! A Python project: `app.py` with the function form, and the Python SDK
//! vendored under `sdk/`, built by componentize-py.

/// The Python SDK's modules, as in `guest-sdk/python/src/algobox_sdk`.
const SDK: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/__init__.py"),
    ),
    (
        "_bindings.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/_bindings.py"),
    ),
    (
        "context.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/context.py"),
    ),
    (
        "data.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/data.py"),
    ),
    (
        "errors.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/errors.py"),
    ),
    (
        "export.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/export.py"),
    ),
    (
        "http.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/http.py"),
    ),
    (
        "payload.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/payload.py"),
    ),
    (
        "pipeline.py",
        include_str!("../../../../guest-sdk/python/src/algobox_sdk/pipeline.py"),
    ),
];

/// The project's files besides the WIT, as (path, contents).
pub(super) fn files(name: &str) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "app.py".to_owned(),
            format!(
                r#""""{name}: an algobox algorithm in Python.

The parameter's annotation picks the input (str, bytes, a dataclass, JSON
values); the return value is the result. For state loaded once (at build
time), progress and stops, use `@export_algorithm` on a class with `load`,
`initialize`, `start` and `stop`.
"""

from algobox_sdk import export_function


@export_function
def apply(name: str) -> str:
    return f"Hello {{name}}"
"#
            ),
        ),
        (
            "README.md".to_owned(),
            format!(
                r#"# {name}

An algobox algorithm in Python, with the Python SDK vendored in `sdk/` and
the WIT contract in `wit/`.

Set up once: `pip install componentize-py==0.25.1` (or point
`ALGOBOX_COMPONENTIZE_PY` at a componentize-py 0.25.1).

```sh
algobox build            # componentize-py -d wit -w algorithm-with-http componentize app -p . -p sdk -o {name}.wasm
algobox run {name}.wasm -d "$(cat input.txt)"
```

componentize-py runs `app.py`'s top level at build time and keeps only the
modules imported then: import at the top everything the calls need.
"#
            ),
        ),
        ("input.txt".to_owned(), "world\n".to_owned()),
        (".gitignore".to_owned(), "*.wasm\n__pycache__/\n".to_owned()),
    ];
    files.extend(
        SDK.iter()
            .map(|(file, contents)| (format!("sdk/algobox_sdk/{file}"), (*contents).to_owned())),
    );
    files
}
